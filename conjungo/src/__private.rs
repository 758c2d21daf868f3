//! Items used by the code `#[derive(Merge)]` generates. Not public API.

pub use core;
pub use std;

use std::hash::Hash;
use std::marker::PhantomData;

use crate::index::KeyIndex;
use crate::strategy::seq::Seq;
use crate::{Apply, Check, Error, ErrorKind, Merge, Options};

/// Autoref probe: `(&Probe(&value)).__conjungo_try_clone()` is `Some(clone)` for `Clone` types (of
/// concrete type at the call site), `None` otherwise.
pub struct Probe<'a, T>(pub &'a T);

/// The `Clone` arm of the probe.
pub trait ViaClone<T> {
    /// A copy.
    fn __conjungo_try_clone(&self) -> Option<T>;
}

impl<T: Clone> ViaClone<T> for Probe<'_, T> {
    #[inline]
    fn __conjungo_try_clone(&self) -> Option<T> {
        Some(self.0.clone())
    }
}

/// The fallback arm of the probe.
pub trait ViaNothing<T> {
    /// No copy.
    fn __conjungo_try_clone(&self) -> Option<T>;
}

impl<T> ViaNothing<T> for &Probe<'_, T> {
    #[inline]
    fn __conjungo_try_clone(&self) -> Option<T> {
        None
    }
}

/// The check pass of `#[merge(immutable)]`: the error [`strategy::immutable`] would give.
///
/// [`strategy::immutable`]: crate::strategy::immutable
#[inline]
pub fn immutable_check<T: PartialEq>(target: &T, source: &T) -> Result<(), Error> {
    if target == source {
        Ok(())
    } else {
        Err(Error::new(crate::ErrorKind::Immutable))
    }
}

/// [`immutable_check`] through an `Option`: a value where there is none is a first setting.
#[inline]
pub fn immutable_check_option<T: PartialEq>(
    target: &Option<T>,
    source: &Option<T>,
) -> Result<(), Error> {
    match (target, source) {
        (Some(target), Some(source)) => immutable_check(target, source),
        _ => Ok(()),
    }
}

/// Run a strategy through an `Option`: absent source keeps, absent target takes, two
/// values go to `f`.
#[inline]
pub fn through_option<T, C>(
    target: &mut Option<T>,
    source: Option<T>,
    cx: C,
    f: impl FnOnce(&mut T, T, C) -> Result<(), Error>,
) -> Result<(), Error> {
    match (target, source) {
        (_, None) => Ok(()),
        (Some(target), Some(source)) => f(target, source, cx),
        (target @ None, source) => {
            *target = source;
            Ok(())
        }
    }
}

/// A hash function for keys of type `K`, or `None` to find keys by scanning; chosen by
/// [`HashProbe`] at the derive's call site.
pub type HashFn<K> = crate::index::HashFn<K>;

/// Autoref probe: `(&HashProbe::<K>::NEW).__conjungo_hash()` is `Some` for `Hash + Eq` keys
/// (of concrete type at the call site), `None` otherwise.
pub struct HashProbe<K: ?Sized>(PhantomData<fn(&K)>);

impl<K: ?Sized> HashProbe<K> {
    /// The probe.
    pub const NEW: Self = HashProbe(PhantomData);
}

/// The hashing arm of the probe.
pub trait ViaHash<K: ?Sized> {
    /// A hash function.
    fn __conjungo_hash(&self) -> Option<HashFn<K>>;
}

impl<K: Hash + Eq + ?Sized> ViaHash<K> for HashProbe<K> {
    #[inline]
    fn __conjungo_hash(&self) -> Option<HashFn<K>> {
        Some(crate::index::hash_of::<K>)
    }
}

/// The scanning arm of the probe.
pub trait ViaScan<K: ?Sized> {
    /// No hash function.
    fn __conjungo_hash(&self) -> Option<HashFn<K>>;
}

impl<K: ?Sized> ViaScan<K> for &HashProbe<K> {
    #[inline]
    fn __conjungo_hash(&self) -> Option<HashFn<K>> {
        None
    }
}

/// The probe for the keys `key` returns.
pub fn key_probe<I, K: ?Sized>(_key: impl Fn(&I) -> &K) -> HashProbe<K> {
    HashProbe::NEW
}

/// `#[merge(union)]`: [`union_hashed`](crate::strategy::seq::union_hashed) when `hash` is
/// given, else [`union`](crate::strategy::seq::union).
pub fn union_with<S: Seq>(
    hash: Option<HashFn<S::Item>>,
) -> impl Fn(&mut S, S, &Options) -> Result<(), Error>
where
    S::Item: PartialEq,
{
    move |target, source, _| {
        crate::strategy::seq::union_by(target, source, hash);
        Ok(())
    }
}

/// The items of a `#[merge(by_key = field)]` list and how they are found: the key of an
/// item, and the hash function the derive's probe found for the key type (`None`: keys
/// are found by scanning). Its methods are the strategy's passes, on the list or on an
/// `Option` of it; the patch passes are in `patch::keyed`.
pub struct ByKey<I, K: ?Sized, F> {
    pub(crate) key: F,
    pub(crate) hash: Option<HashFn<K>>,
    item: PhantomData<fn(&I)>,
}

impl<I, K: PartialEq + ?Sized, F: Fn(&I) -> &K> ByKey<I, K, F> {
    /// The key function `key` (`|item| &item.field`) with the probe's `hash`.
    #[inline]
    pub fn new(key: F, hash: Option<HashFn<K>>) -> Self {
        ByKey {
            key,
            hash,
            item: PhantomData,
        }
    }

    /// An index of a sequence's items by key.
    pub(crate) fn index<S: Seq<Item = I>>(&self, seq: &S) -> KeyIndex<K> {
        let mut index = KeyIndex::with_capacity(self.hash, seq.seq_len());
        for (i, item) in seq.seq_iter().enumerate() {
            index.insert((self.key)(item), i);
        }
        index
    }

    /// The place in `seq` (indexed by `index`) of the item with the key of `item`.
    pub(crate) fn find<S: Seq<Item = I>>(
        &self,
        index: &KeyIndex<K>,
        seq: &S,
        item: &I,
    ) -> Option<usize> {
        index.find((self.key)(item), |i| seq.seq_get(i).map(&self.key))
    }

    /// A key given twice in one source is an error (at the second item): which of the two
    /// items would win is not something a body should leave open.
    fn no_duplicates<S: Seq<Item = I>>(&self, source: &S) -> Result<(), Error> {
        let mut seen = KeyIndex::with_capacity(self.hash, source.seq_len());
        for (j, item) in source.seq_iter().enumerate() {
            let key = (self.key)(item);
            if seen
                .find_or_insert(key, j, |i| source.seq_get(i).map(&self.key))
                .is_some()
            {
                return Err(Error::new(ErrorKind::DuplicateKey).at_index(j));
            }
        }
        Ok(())
    }
}

impl<I: Merge, K: PartialEq + ?Sized, F: Fn(&I) -> &K> ByKey<I, K, F> {
    /// The check pass: no key twice in the source, and each source item whose key matches
    /// a target item is checked against it. Linear with a hash (`Hash + Eq` keys),
    /// quadratic otherwise.
    pub fn check<S: Seq<Item = I>>(
        &self,
        target: &S,
        source: &S,
        cx: &mut Check<'_>,
    ) -> Result<(), Error> {
        self.no_duplicates(source)?;
        let index = self.index(target);
        for item in source.seq_iter() {
            if let Some(i) = self.find(&index, target, item)
                && let Some(have) = target.seq_get(i)
            {
                cx.merge(have, item).map_err(|e| e.at_index(i))?;
            }
        }
        Ok(())
    }

    /// [`check`](Self::check) of an `Option` of a sequence.
    pub fn check_option<S: Seq<Item = I>>(
        &self,
        target: &Option<S>,
        source: &Option<S>,
        cx: &mut Check<'_>,
    ) -> Result<(), Error> {
        match (target, source) {
            (Some(target), Some(source)) => self.check(target, source, cx),
            (None, Some(source)) => self.no_duplicates(source),
            _ => Ok(()),
        }
    }

    /// The apply pass: a source item whose key matches one of the target's items merges
    /// into it, in place; the others are appended in order.
    pub fn apply<S: Seq<Item = I>>(
        &self,
        target: &mut S,
        source: S,
        cx: &mut Apply<'_>,
    ) -> Result<(), Error> {
        let index = self.index(target);
        // With custom functions, new items are appended after the merges, so that no item
        // moves (the sequence growing) before its custom result is found by its place.
        let defer = cx.options().has_custom();
        let mut later = Vec::new();
        for item in source.seq_into_iter() {
            match self.find(&index, target, &item) {
                Some(i) => {
                    if let Some(have) = target.seq_get_mut(i) {
                        cx.merge(have, item).map_err(|e| e.at_index(i))?;
                    }
                }
                // A source has no key twice (checked): later items never match a new one,
                // which need not be indexed.
                None if defer => later.push(item),
                None => target.seq_push(item),
            }
        }
        for item in later {
            target.seq_push(item);
        }
        Ok(())
    }

    /// [`apply`](Self::apply) of an `Option` of a sequence: with none stored, the source
    /// is taken.
    pub fn apply_option<S: Seq<Item = I>>(
        &self,
        target: &mut Option<S>,
        source: Option<S>,
        cx: &mut Apply<'_>,
    ) -> Result<(), Error> {
        through_option(target, source, cx, |target, source, cx| {
            self.apply(target, source, cx)
        })
    }
}

pub use serde;

pub use crate::patch::typed::{null_on_required, replace_leaf, storable};

/// How many changes were recorded so far (0 when not recording).
pub fn change_count(cx: &Apply<'_>) -> usize {
    cx.change_count()
}

/// The changes recorded since `start` (below the current place), if any, become one
/// replacement of the whole value at the current place: its value is then read through
/// serde where it stands (left out by `skip_serializing_if`: the update unsets it).
pub fn changed_whole_since(cx: &mut Apply<'_>, start: usize) {
    if cx.change_count() > start {
        cx.truncate_changes(start);
        cx.record_here(ChangeKind::Replaced);
    }
}

/// The patch of a type serde does not store as its fields (`#[serde(transparent)]`,
/// `#[serde(into = "…")]`): what `apply` changes is recorded as one replacement of the
/// whole value at the current place, whose value the update reads through serde. Its
/// fields' own places (`tags.map.k` for a transparent `tags`) name nothing stored.
pub fn stored_whole(
    cx: &mut Apply<'_>,
    apply: impl FnOnce(&mut Apply<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let start = cx.change_count();
    apply(cx)?;
    changed_whole_since(cx, start);
    Ok(())
}

/// The error of a `null` for a required field, as a deserializer error (recognised by
/// `parse`).
pub fn null_on_required_de<'de, D: Deserializer<'de>>() -> D::Error {
    serde::de::Error::custom(crate::patch::markers::NULL_ON_REQUIRED)
}

/// [`Patchable::check_build`](crate::patch::Patchable::check_build) outside a patch (from
/// `build`): missing fields only.
pub fn check_build<T: crate::patch::Patchable>(patch: &T::Patch) -> Result<(), Error> {
    let mut cx = Check::new(&crate::options::DEFAULT_OPTIONS);
    T::check_build(patch, &mut cx)
}

/// The `check_build` of a struct flattened into another patch type: its missing fields
/// are the parent's (it has no place of its own), and join the parent's list.
pub fn missing_into(result: Result<(), Error>, missing: &mut Vec<String>) -> Result<(), Error> {
    match result {
        Err(e) => match e.kind() {
            crate::ErrorKind::MissingFields { fields } if e.path().is_empty() => {
                missing.extend(fields.iter().cloned());
                Ok(())
            }
            _ => Err(e),
        },
        Ok(()) => Ok(()),
    }
}

use crate::patch::{ChangeKind, Patch};
use serde::{Deserialize, Deserializer};

/// The type of the hidden fields that stand for skipped fields in generated patch types:
/// present in a body, they are an error.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Protected;

/// `deserialize_with` of a protected field: always an error, recognised by `parse`.
pub fn protected<'de, D: Deserializer<'de>>(_: D) -> Result<Protected, D::Error> {
    Err(serde::de::Error::custom(crate::patch::markers::PROTECTED))
}

/// `deserialize_with` of a required (non-`Option`) field: `null` is an error.
pub fn required<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Patch<T>, D::Error> {
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Patch::Set(value)),
        None => Err(serde::de::Error::custom(
            crate::patch::markers::NULL_ON_REQUIRED,
        )),
    }
}

/// A field of a patch written whole (a strategy field, a field serde stores through a
/// function of its own): run `f`, and record the field as replaced if it changed. What `f`
/// records itself is dropped: the field is one change.
pub fn patch_field<T: Clone + PartialEq>(
    target: &mut T,
    cx: &mut Apply<'_>,
    f: impl FnOnce(&mut T, &mut Apply<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let whole = |target: &mut T, cx: &mut Apply<'_>| {
        let paused = cx.pause_recording();
        let result = f(target, cx);
        cx.resume_recording(paused);
        result
    };
    cx.recorded(target, whole, T::clone, |target, before, cx| {
        if *target != before {
            cx.record_here(ChangeKind::Replaced);
        }
    })
}

/// The check pass of a field written whole whose stored form only its merged value can
/// tell (serde stores it through a function of its own): `merge` runs on a copy, and
/// `storable` is asked of the result, so that a value bson refuses fails the patch before
/// anything changes. Nothing to do where storage is not checked.
pub fn check_merged<T: Clone>(
    target: &T,
    source: T,
    cx: &mut Check<'_>,
    merge: impl FnOnce(&mut T, T, &mut Apply<'_>) -> Result<(), Error>,
    storable: impl FnOnce(&T, &mut Check<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    if !cx.checks_storage() {
        return Ok(());
    }
    let mut merged = target.clone();
    merge(&mut merged, source, &mut Apply::new(cx.options()))?;
    storable(&merged, cx)
}

/// Sequences (and `Option`s of them) that the appending strategies (`append`, `union`)
/// only ever grow at the end: their length before and after tells what was appended,
/// without a copy of the target.
pub trait Appendable {
    /// The length; `None` for an absent `Option`.
    fn appended_len(&self) -> Option<usize>;

    /// Record the items from position `from` on as appended.
    fn record_tail(&self, from: usize, cx: &mut Apply<'_>);
}

impl<T: serde::Serialize> Appendable for Vec<T> {
    fn appended_len(&self) -> Option<usize> {
        Some(self.len())
    }

    fn record_tail(&self, from: usize, cx: &mut Apply<'_>) {
        cx.record_appended_items(self[from..].iter());
    }
}

impl<T: serde::Serialize> Appendable for std::collections::VecDeque<T> {
    fn appended_len(&self) -> Option<usize> {
        Some(self.len())
    }

    fn record_tail(&self, from: usize, cx: &mut Apply<'_>) {
        cx.record_appended_items(self.range(from..));
    }
}

impl<S: Appendable> Appendable for Option<S> {
    fn appended_len(&self) -> Option<usize> {
        self.as_ref().and_then(Appendable::appended_len)
    }

    fn record_tail(&self, from: usize, cx: &mut Apply<'_>) {
        if let Some(inner) = self {
            inner.record_tail(from, cx);
        }
    }
}

/// An appending strategy field of a patch: run `f`; record a `$push` of the new items, or
/// the whole field where an absent one was built.
pub fn patch_append<S: Appendable>(
    target: &mut S,
    cx: &mut Apply<'_>,
    f: impl FnOnce(&mut S, &mut Apply<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    cx.recorded(target, f, S::appended_len, |target, before, cx| {
        match (before, target.appended_len()) {
            (Some(before), Some(after)) if after > before => target.record_tail(before, cx),
            (Some(before), Some(after)) if after == before => {}
            (None, None) => {}
            _ => cx.record_here(ChangeKind::Replaced),
        }
    })
}

/// Generated patch types implement `schemars::JsonSchema` when conjungo's `schemars`
/// feature is on: the derive wraps the impl in this macro, which keeps it or drops it.
#[cfg(feature = "schemars")]
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars {
    ($($impl:tt)*) => { $($impl)* };
}

/// Generated patch types implement `schemars::JsonSchema` when conjungo's `schemars`
/// feature is on: without it, this macro drops the impl.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __schemars {
    ($($impl:tt)*) => {};
}

#[cfg(feature = "schemars")]
pub use schemars;

#[cfg(feature = "schemars")]
pub use crate::patch::schema::{field_schema, object_schema, object_schema_with};

/// The integer types a `#[merge(version)]` field can have.
#[diagnostic::on_unimplemented(
    message = "`#[merge(version)]` needs an integer field, not `{Self}`",
    label = "a version field counts writes: use an integer type such as `i64`"
)]
pub trait Version {
    /// The value (`None`: beyond `i64`).
    fn current(&self) -> Option<i64>;
    /// Whether one more fits in the type.
    fn can_bump(&self) -> bool;
    /// Add one (unchanged at the type's maximum, which [`can_bump`](Self::can_bump) says).
    fn bump(&mut self);
    /// The value as serde stores it in bson, and `1` of the same bson type (for `$inc`).
    #[cfg(feature = "bson")]
    fn stored(&self) -> Option<(bson::Bson, bson::Bson)>;
}

macro_rules! version_impl {
    ($($t:ty),*) => {$(
        impl Version for $t {
            fn current(&self) -> Option<i64> {
                i64::try_from(*self).ok()
            }
            fn can_bump(&self) -> bool {
                self.checked_add(1).is_some_and(|n| i64::try_from(n).is_ok())
            }
            fn bump(&mut self) {
                if self.can_bump() {
                    *self += 1;
                }
            }
            #[cfg(feature = "bson")]
            fn stored(&self) -> Option<(bson::Bson, bson::Bson)> {
                let value = crate::bson::to_bson(self).ok()?;
                let one = match value {
                    bson::Bson::Int32(_) => bson::Bson::Int32(1),
                    bson::Bson::Int64(_) => bson::Bson::Int64(1),
                    _ => return None,
                };
                Some((value, one))
            }
        }
    )*};
}

version_impl!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

pub use crate::patch::{
    diff_append, diff_keyed, diff_nested, diff_option, diff_prepend, diff_set, diff_whole,
    full_nested, full_set,
};

/// The options `Merge::merge` uses, as a constant (derived merges of atomic fields read
/// its switches when compiling).
pub const DEFAULT_OPTIONS: Options = Options::DEFAULT;

/// The options `Merge::merge` uses (Go's `NewOptions()`).
#[inline(always)]
pub fn default_options() -> &'static Options {
    &crate::options::DEFAULT_OPTIONS
}

/// [`merge`](crate::merge), kept out of line: the general path of a derived merge whose
/// fast path (moves of atomic values) is inlined at the call site.
#[inline(never)]
pub fn merge_out_of_line<T: Merge>(
    target: &mut T,
    source: T,
    options: &Options,
) -> Result<(), Error> {
    crate::merge(target, source, options)
}

/// [`patch::parse_with`](crate::patch::parse_with)'s one pass over the bytes alone
/// (`None`: the body would take the `Value` path). For the suite's equivalence tests.
#[cfg(feature = "json")]
pub fn parse_one_pass<P: serde::de::DeserializeOwned>(
    body: &[u8],
    limits: &crate::patch::Limits,
) -> Option<P> {
    crate::patch::stream::parse(body, limits)
}

/// [`patch::parse_with`](crate::patch::parse_with) through a `Value` alone, the reference
/// of [`parse_one_pass`]. For the suite's equivalence tests.
#[cfg(feature = "json")]
pub fn parse_through_value<P: serde::de::DeserializeOwned>(
    body: &[u8],
    limits: &crate::patch::Limits,
) -> Result<P, Error> {
    crate::patch::body::parse_value(body, limits)
}
