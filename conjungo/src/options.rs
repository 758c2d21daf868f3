//! Merge options: the Overwrite switch, the rules for sequences, nulls and kind
//! mismatches, the depth bound, and custom merge functions per type and per kind.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::cx::CustomFn;
use crate::{Error, Kind};

/// How sequences (`Vec`, `VecDeque`, JSON and bson arrays) are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SeqStrategy {
    /// Source items are added after the target's (Go conjungo; even with overwrite off).
    #[default]
    Append,
    /// Source items are added before the target's.
    Prepend,
    /// The sequence is a single value: with overwrite on the source replaces it, with
    /// overwrite off the target is kept (RFC 7396 uses this).
    Replace,
    /// The target's sequence is always kept.
    Keep,
}

/// What a `null` in a dynamic source (JSON, bson) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum NullStrategy {
    /// Ignored: the target is kept, and a key missing from the target is not added
    /// (Go conjungo). A whole subtree inserted where the target has nothing is taken as
    /// it is, nulls included.
    #[default]
    Skip,
    /// The key is removed from the target object (RFC 7396); a root `null` makes the
    /// target `null`. Nulls inside inserted objects are dropped too, so no null survives.
    Delete,
    /// The target becomes `null` (with overwrite off, only where it had nothing).
    Set,
}

/// What happens when two dynamic values of different kinds meet (a number and a string,
/// an object and an array, …). Numbers of every width are one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mismatch {
    /// The merge fails with [`ErrorKind::TypeMismatch`](crate::ErrorKind::TypeMismatch),
    /// naming the place; the target is left untouched (Go conjungo).
    #[default]
    Error,
    /// The source replaces the target (RFC 7396).
    Replace,
    /// The target is kept.
    Keep,
}

/// A custom merge function for one type, see [`Options::on_type`].
pub type TypeFn<T> = dyn Fn(&mut T, T, &Options) -> Result<(), Error> + Send + Sync;

/// What [`Options::on_type`], [`on_kind`](Options::on_kind) and
/// [`on_default`](Options::on_default) accept: a function or closure that merges a source
/// `T` into a target `T` under the merge's options, `Send + Sync + 'static` so that
/// `Options` stays shareable. Implemented for every such `Fn`; closures need no type
/// annotations.
///
/// ```
/// use conjungo::{Error, MergeFn, Options};
///
/// fn add(target: &mut i64, source: i64, _: &Options) -> Result<(), Error> {
///     *target += source;
///     Ok(())
/// }
/// fn accepts<T>(_: impl MergeFn<T>) {}
/// accepts(add);
/// let options = Options::default().on_type(add);
/// # let _ = options;
/// ```
pub trait MergeFn<T>: Fn(&mut T, T, &Options) -> Result<(), Error> + Send + Sync + 'static {}

impl<T, F> MergeFn<T> for F where
    F: Fn(&mut T, T, &Options) -> Result<(), Error> + Send + Sync + 'static
{
}

/// The default maximum nesting of dynamic merges: the same as `serde_json`'s parser limit.
pub const DEFAULT_MAX_DEPTH: usize = 128;

/// How a merge behaves. `Options::default()` is Go conjungo's `NewOptions()`: overwrite on,
/// sequences appended, source nulls skipped, kind mismatches an error.
///
/// Modelled on a settings type: public documented fields (the struct is
/// `#[non_exhaustive]`, so build it from [`Options::default`] or [`Options::merge_patch`]),
/// builder methods that take and return `Options` by value, and custom merge functions.
///
/// ```
/// use conjungo::{Merge, Options, SeqStrategy};
///
/// let options = Options::default().overwrite(false).seq(SeqStrategy::Replace);
/// let mut tags = vec!["a".to_string()];
/// tags.merge_with(vec!["b".to_string()], &options).unwrap();
/// assert_eq!(tags, ["a"]); // replace, but overwrite is off: the target stays
/// ```
///
/// `Options` is `Clone + Send + Sync + Debug`; cloning it is cheap (custom functions are
/// shared behind an `Arc`).
#[derive(Clone)]
#[non_exhaustive]
pub struct Options {
    /// Whether a source value replaces a target value that is already there
    /// (Go's `Overwrite`; default `true`). Absent targets (`None`, null, a missing key) are
    /// filled either way.
    pub overwrite: bool,
    /// How sequences are merged (default [`SeqStrategy::Append`]).
    pub seq: SeqStrategy,
    /// What a source `null` does to dynamic values (default [`NullStrategy::Skip`]).
    pub nulls: NullStrategy,
    /// What two dynamic values of different kinds do (default [`Mismatch::Error`]).
    pub mismatch: Mismatch,
    /// The deepest nesting a dynamic merge or patch may reach before it fails with
    /// [`ErrorKind::DepthLimit`](crate::ErrorKind::DepthLimit) (default
    /// [`DEFAULT_MAX_DEPTH`]). It bounds recursion: deep input is an error, never a
    /// stack overflow.
    pub max_depth: usize,
    custom: Option<Arc<Registry>>,
    validators: Option<Arc<HashMap<TypeId, Validator, IdHash>>>,
}

/// A validator of merged values of one type, see [`Options::validate`].
pub type ValidateFn<T> = dyn Fn(&T) -> Result<(), Error> + Send + Sync;

#[derive(Clone)]
struct Validator {
    name: &'static str,
    func: Arc<dyn Any + Send + Sync>,
}

#[derive(Clone, Default)]
struct Registry {
    types: HashMap<TypeId, Entry, IdHash>,
    kinds: HashMap<(TypeId, Kind), Entry, IdHash>,
    defaults: HashMap<TypeId, Entry, IdHash>,
}

/// Hashing for `TypeId` keys, which are hashes already: a multiply-xor fold instead of
/// SipHash, since the lookup happens for every value merged while functions are registered.
#[derive(Clone, Copy, Default)]
struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[derive(Clone)]
struct Entry {
    name: &'static str,
    func: Arc<dyn Any + Send + Sync>,
}

impl Entry {
    fn new<T: 'static>(f: Box<TypeFn<T>>) -> Self {
        Entry {
            name: std::any::type_name::<T>(),
            func: Arc::new(f),
        }
    }

    fn get<T: 'static>(&self) -> Option<CustomFn<'_, T>> {
        let f: &TypeFn<T> = self.func.downcast_ref::<Box<TypeFn<T>>>()?;
        Some(CustomFn::new(f))
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The default options as a static, so that [`Merge::merge`](crate::Merge::merge) builds
/// nothing per call.
pub(crate) static DEFAULT_OPTIONS: Options = Options::DEFAULT;

impl Options {
    /// Go conjungo's defaults, as a constant (what [`Merge::merge`](crate::Merge::merge)
    /// uses).
    pub(crate) const DEFAULT: Options = Options {
        overwrite: true,
        seq: SeqStrategy::Append,
        nulls: NullStrategy::Skip,
        mismatch: Mismatch::Error,
        max_depth: DEFAULT_MAX_DEPTH,
        custom: None,
        validators: None,
    };

    /// Go conjungo's defaults; the same as [`Options::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Exact RFC 7396 JSON Merge Patch: overwrite on, nulls delete, arrays replace, a
    /// kind change replaces. `conjungo::merge` on JSON values with these options gives
    /// exactly [`json::merge_patch`](crate::json::merge_patch).
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use conjungo::{Merge, Options};
    /// use serde_json::json;
    ///
    /// let mut doc = json!({"title": "Goodbye!", "author": {"given": "John", "family": "Doe"},
    ///                      "tags": ["example", "sample"], "content": "x"});
    /// doc.merge_with(
    ///     json!({"title": "Hello!", "phoneNumber": "+01-123-456-7890",
    ///            "author": {"family": null}, "tags": ["example"]}),
    ///     &Options::merge_patch(),
    /// ).unwrap();
    /// assert_eq!(doc, json!({"title": "Hello!", "author": {"given": "John"},
    ///     "tags": ["example"], "content": "x", "phoneNumber": "+01-123-456-7890"}));
    /// # }
    /// ```
    pub fn merge_patch() -> Self {
        Options {
            overwrite: true,
            seq: SeqStrategy::Replace,
            nulls: NullStrategy::Delete,
            mismatch: Mismatch::Replace,
            ..Options::default()
        }
    }

    setters! {
        /// Whether source values replace target values that are already there.
        overwrite: bool;
        /// How sequences are merged.
        seq: SeqStrategy;
        /// What a source `null` does to dynamic values.
        nulls: NullStrategy;
        /// What two dynamic values of different kinds do.
        mismatch: Mismatch;
        /// The deepest nesting a dynamic merge may reach (an error beyond it).
        max_depth: usize;
    }

    /// Register `f` for values of type `V` in the table `insert` puts it in.
    fn register<V: 'static>(
        mut self,
        f: Box<TypeFn<V>>,
        insert: impl FnOnce(&mut Registry, TypeId, Entry) -> Option<Entry>,
    ) -> Self {
        let registry = Arc::make_mut(self.custom.get_or_insert_with(Default::default));
        insert(registry, TypeId::of::<V>(), Entry::new::<V>(f));
        self
    }

    /// Merge every `T` reached, at any depth, with `f` instead of `T`'s own rule
    /// (Go's `SetTypeMergeFunc`). A later call for the same `T` replaces the earlier one.
    ///
    /// `f` sees the target, the source (moved in) and these options. If it returns an
    /// error, the whole merge returns it, with the path of the place filled in, and the
    /// target is left exactly as it was: conjungo runs `f` on copies during its validation
    /// pass and only installs the result once everything succeeded (see the crate docs,
    /// "Atomicity"). Only `'static` types can have a custom function; values of types with
    /// borrowed lifetimes always use their own rule.
    ///
    /// ```
    /// use conjungo::{Merge, Options};
    /// use std::collections::HashMap;
    ///
    /// // Go's example: add integers instead of replacing them.
    /// let options = Options::default().on_type::<i64>(|t, s, _| {
    ///     *t += s;
    ///     Ok(())
    /// });
    /// let mut totals = HashMap::from([("a", 1i64), ("b", 2)]);
    /// totals.merge_with(HashMap::from([("a", 10), ("c", 5)]), &options).unwrap();
    /// assert_eq!(totals, HashMap::from([("a", 11), ("b", 2), ("c", 5)]));
    /// ```
    #[must_use]
    pub fn on_type<T: 'static>(self, f: impl MergeFn<T>) -> Self {
        self.register::<T>(Box::new(f), |r, id, entry| r.types.insert(id, entry))
    }

    /// Merge two dynamic values (`serde_json::Value`, `bson::Bson`) of the same
    /// [`Kind`] with `f` instead of the built-in rule (Go's `SetKindMergeFunc`). `f` is
    /// called only after nulls and kind mismatches have been handled, so both sides are of
    /// `kind`. A per-type function ([`Options::on_type`]) for the value type wins over this.
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use conjungo::{Kind, Merge, Options};
    /// use serde_json::{json, Value};
    ///
    /// // Concatenate strings instead of replacing them.
    /// let options = Options::default().on_kind::<Value>(Kind::String, |t, s, _| {
    ///     if let (Value::String(t), Value::String(s)) = (t, s) {
    ///         t.push_str(&s);
    ///     }
    ///     Ok(())
    /// });
    /// let mut v = json!({"greeting": "hello"});
    /// v.merge_with(json!({"greeting": ", world"}), &options).unwrap();
    /// assert_eq!(v, json!({"greeting": "hello, world"}));
    /// # }
    /// ```
    #[must_use]
    pub fn on_kind<V: 'static>(self, kind: Kind, f: impl MergeFn<V>) -> Self {
        self.register::<V>(Box::new(f), |r, id, entry| {
            r.kinds.insert((id, kind), entry)
        })
    }

    /// Merge two dynamic values of the same non-container kind (anything but arrays and
    /// objects) that has no [`on_kind`](Options::on_kind) function with `f` (Go's
    /// `SetDefaultMergeFunc`, whose default is "source if overwrite, else target").
    ///
    /// ```
    /// # #[cfg(feature = "json")] {
    /// use conjungo::{Merge, Options};
    /// use serde_json::{json, Value};
    ///
    /// // Keep the larger of two scalars compared as text; objects still merge deeply.
    /// let options = Options::default().on_default::<Value>(|t, s, _| {
    ///     if s.to_string() > t.to_string() {
    ///         *t = s;
    ///     }
    ///     Ok(())
    /// });
    /// let mut v = json!({"a": "b", "n": {"x": "z"}});
    /// v.merge_with(json!({"a": "a", "n": {"x": "zz"}}), &options).unwrap();
    /// assert_eq!(v, json!({"a": "b", "n": {"x": "zz"}}));
    /// # }
    /// ```
    #[must_use]
    pub fn on_default<V: 'static>(self, f: impl MergeFn<V>) -> Self {
        self.register::<V>(Box::new(f), |r, id, entry| r.defaults.insert(id, entry))
    }

    /// Validate the merged value before a PATCH of a `T` root returns
    /// ([`patch::apply`](crate::patch::apply) with `T` the patched type,
    /// [`patch::apply_document`](crate::patch::apply_document) with `T` =
    /// `bson::Document`): if `f` fails, the patch fails with [`ErrorKind::Invalid`]
    /// listing every problem `f` reports (see [`Error::invalid`]), the target is left as
    /// it was and there is no update. The merge is done on a copy of the target, which
    /// replaces it once valid. It runs after the type's own `#[merge(validate = …)]` hook.
    /// A later call for the same `T` replaces the earlier one. Plain merges
    /// ([`Merge::merge_with`](crate::Merge::merge_with)) do not run validators.
    ///
    /// [`ErrorKind::Invalid`]: crate::ErrorKind::Invalid
    ///
    /// ```
    /// # #[cfg(feature = "bson")] {
    /// use bson::{doc, Document};
    /// use conjungo::{patch, Error, Options};
    /// use serde_json::json;
    ///
    /// let options = Options::merge_patch().validate::<Document>(|doc| {
    ///     let mut problems = Vec::new();
    ///     if doc.get_str("name").map_or(true, str::is_empty) {
    ///         problems.push(Error::custom("a name is required").at_key("name"));
    ///     }
    ///     if doc.get_array("tags").map_or(true, |tags| tags.is_empty()) {
    ///         problems.push(Error::custom("at least one tag").at_key("tags"));
    ///     }
    ///     Error::invalid(problems)
    /// });
    /// let mut stored = doc! {"name": "api", "tags": ["a"]};
    /// let err = patch::apply_document(&mut stored, json!({"name": null, "tags": []}), &options)
    ///     .unwrap_err();
    /// let places: Vec<&str> = err.problems().iter().map(|e| e.path()).collect();
    /// assert_eq!(places, ["/name", "/tags"]);
    /// assert_eq!(stored, doc! {"name": "api", "tags": ["a"]}); // unchanged
    /// # }
    /// ```
    #[must_use]
    pub fn validate<T: 'static>(
        mut self,
        f: impl Fn(&T) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        let boxed: Box<ValidateFn<T>> = Box::new(f);
        let validator = Validator {
            name: std::any::type_name::<T>(),
            func: Arc::new(boxed),
        };
        Arc::make_mut(self.validators.get_or_insert_with(Default::default))
            .insert(TypeId::of::<T>(), validator);
        self
    }

    /// The validator registered for `T` with [`validate`](Options::validate), if any.
    pub fn validator<T: 'static>(&self) -> Option<&ValidateFn<T>> {
        let validator = self.validators.as_deref()?.get(&TypeId::of::<T>())?;
        let f = validator.func.downcast_ref::<Box<ValidateFn<T>>>()?;
        Some(f.as_ref())
    }

    /// True when any custom function (per type, per kind or default) is registered.
    #[inline]
    #[doc(hidden)]
    pub fn has_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// The custom function registered for `T`, if any. One branch when none is registered.
    #[inline]
    pub fn type_fn<T: 'static>(&self) -> Option<CustomFn<'_, T>> {
        match &self.custom {
            None => None,
            Some(registry) => lookup_type(registry, TypeId::of::<T>())?.get::<T>(),
        }
    }

    /// The function that merges two dynamic values of type `V` and kind `kind`, if any:
    /// the [`on_kind`](Options::on_kind) one, else (for non-container kinds) the
    /// [`on_default`](Options::on_default) one.
    #[inline]
    #[doc(hidden)]
    pub fn kind_fn<V: 'static>(&self, kind: Kind) -> Option<CustomFn<'_, V>> {
        let registry = self.custom.as_deref()?;
        let id = TypeId::of::<V>();
        if let Some(entry) = registry.kinds.get(&(id, kind)) {
            return entry.get::<V>();
        }
        if kind.is_container() {
            return None;
        }
        registry.defaults.get(&id)?.get::<V>()
    }
}

#[inline(never)]
fn lookup_type(registry: &Registry, id: TypeId) -> Option<&Entry> {
    if registry.types.is_empty() {
        None
    } else {
        registry.types.get(&id)
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Options");
        d.field("overwrite", &self.overwrite)
            .field("seq", &self.seq)
            .field("nulls", &self.nulls)
            .field("mismatch", &self.mismatch)
            .field("max_depth", &self.max_depth);
        if let Some(registry) = &self.custom {
            let mut types: Vec<_> = registry.types.values().map(|e| e.name).collect();
            types.sort_unstable();
            let mut kinds: Vec<_> = registry
                .kinds
                .iter()
                .map(|((_, kind), e)| format!("{}:{kind:?}", e.name))
                .collect();
            kinds.sort_unstable();
            let mut defaults: Vec<_> = registry.defaults.values().map(|e| e.name).collect();
            defaults.sort_unstable();
            d.field("on_type", &types)
                .field("on_kind", &kinds)
                .field("on_default", &defaults);
        }
        if let Some(validators) = &self.validators {
            let mut names: Vec<_> = validators.values().map(|v| v.name).collect();
            names.sort_unstable();
            d.field("validate", &names);
        }
        d.finish()
    }
}
