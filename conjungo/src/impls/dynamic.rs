//! The merge rules of dynamic values (DESIGN §3, §6), written once for every dynamic
//! value type: `serde_json::Value` and `bson::Bson` implement [`Dynamic`].

use crate::cx::CustomFn;
use crate::impls::fused::Undo;
use crate::patch::ChangeKind;
use crate::{Apply, Check, Error, ErrorKind, Kind, Merge, Mismatch, NullStrategy, Options};

/// A dynamic value: null, scalars, arrays and objects.
pub(crate) trait Dynamic: Merge + Clone + PartialEq + 'static {
    /// The object (map) type.
    type Object: DynObject<Value = Self>;

    fn null() -> Self;
    fn kind(&self) -> Kind;
    fn is_null(&self) -> bool;
    fn as_object(&self) -> Option<&Self::Object>;
    fn as_object_mut(&mut self) -> Option<&mut Self::Object>;
    fn as_array_mut(&mut self) -> Option<&mut Vec<Self>>;
    /// An array value of these items.
    fn from_array(items: Vec<Self>) -> Self;
    /// This thread's spare journal of one-pass merges ([`super::fused`]).
    fn spare_journal() -> &'static std::thread::LocalKey<std::cell::Cell<Vec<Undo<Self>>>>;
    /// Split off the object or the array, or give the value back.
    fn into_parts(self) -> Parts<Self>;
    /// Equal, and stored the same: `==`, except that floats compare by their bits
    /// (`-0.0` replacing `0.0` is a change of the stored document).
    fn identical(&self, other: &Self) -> bool;
}

/// [`Dynamic::identical`] of two arrays.
pub(crate) fn identical_items<V: Dynamic>(a: &[V], b: &[V]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.identical(b))
}

pub(crate) enum Parts<V: Dynamic> {
    Object(V::Object),
    Array(Vec<V>),
    Other(V),
}

/// The [`DynObject`] methods an object type has under the same names (`$object::get`, …).
macro_rules! delegate_object {
    ($object:ty, $value:ty) => {
        type Value = $value;

        fn get(&self, key: &str) -> Option<&$value> {
            <$object>::get(self, key)
        }

        fn get_mut(&mut self, key: &str) -> Option<&mut $value> {
            <$object>::get_mut(self, key)
        }

        fn insert(&mut self, key: String, value: $value) {
            <$object>::insert(self, key, value);
        }

        fn len(&self) -> usize {
            <$object>::len(self)
        }

        fn clear(&mut self) {
            <$object>::clear(self);
        }

        fn remove(&mut self, key: &str) -> Option<$value> {
            <$object>::remove(self, key)
        }

        fn iter(&self) -> impl Iterator<Item = (&str, &$value)> {
            <$object>::iter(self).map(|(k, v)| (k.as_str(), v))
        }

        fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut $value)> {
            <$object>::iter_mut(self).map(|(k, v)| (k.as_str(), v))
        }

        fn values_mut(&mut self) -> impl Iterator<Item = &mut $value> {
            <$object>::iter_mut(self).map(|(_, v)| v)
        }

        fn into_entries(self) -> impl Iterator<Item = (String, $value)> {
            self.into_iter()
        }
    };
}

pub(crate) use delegate_object;

/// The [`Dynamic`] methods that split a value by its object and array variants.
macro_rules! parts_by_variant {
    ($value:ty, $object:path: $object_ty:ty, $array:path) => {
        fn as_object(&self) -> Option<&$object_ty> {
            match self {
                $object(object) => Some(object),
                _ => None,
            }
        }

        fn as_object_mut(&mut self) -> Option<&mut $object_ty> {
            match self {
                $object(object) => Some(object),
                _ => None,
            }
        }

        fn as_array_mut(&mut self) -> Option<&mut Vec<Self>> {
            match self {
                $array(array) => Some(array),
                _ => None,
            }
        }

        fn from_array(items: Vec<Self>) -> Self {
            $array(items)
        }

        fn spare_journal()
        -> &'static std::thread::LocalKey<std::cell::Cell<Vec<$crate::impls::fused::Undo<Self>>>> {
            thread_local! {
                static SPARE: std::cell::Cell<Vec<$crate::impls::fused::Undo<$value>>> =
                    const { std::cell::Cell::new(Vec::new()) };
            }
            &SPARE
        }

        fn into_parts(self) -> Parts<Self> {
            match self {
                $object(object) => Parts::Object(object),
                $array(array) => Parts::Array(array),
                other => Parts::Other(other),
            }
        }
    };
}

pub(crate) use parts_by_variant;

/// An object of a dynamic value type: string keys in some order.
pub(crate) trait DynObject: Sized + 'static {
    type Value: Dynamic<Object = Self>;

    fn get(&self, key: &str) -> Option<&Self::Value>;
    fn get_mut(&mut self, key: &str) -> Option<&mut Self::Value>;
    fn insert(&mut self, key: String, value: Self::Value);
    /// Whether `remove` costs the object's size (an ordered document shifts its members):
    /// then removals are gathered and done at once with [`remove_keys`](Self::remove_keys).
    const SHIFTS_ON_REMOVE: bool;
    /// Remove one key: its value, if it was there.
    fn remove(&mut self, key: &str) -> Option<Self::Value>;
    fn len(&self) -> usize;
    fn clear(&mut self);
    /// Keep the members for which `keep` is true, in order, in one pass (`keep` is a pure
    /// test: it may be asked twice about a member).
    fn retain(&mut self, keep: impl FnMut(&str, &Self::Value) -> bool);

    /// Remove every key of `keys` (each present, no duplicates), in time linear in the
    /// object's size and the number of keys, keeping the order of the others.
    fn remove_keys(&mut self, keys: Vec<String>) {
        if keys.len() == self.len() {
            self.clear();
        } else if keys.len() <= 8 {
            for key in &keys {
                self.remove(key);
            }
        } else {
            let keys: std::collections::HashSet<String> = keys.into_iter().collect();
            self.retain(|key, _| !keys.contains(key));
        }
    }

    /// Remove the members whose value is null, in linear time.
    fn retain_non_null(&mut self) {
        self.retain(|_, value| !value.is_null());
    }
    fn iter(&self) -> impl Iterator<Item = (&str, &Self::Value)>;
    fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Self::Value)>;
    fn values_mut(&mut self) -> impl Iterator<Item = &mut Self::Value>;
    /// Whether every object of this type iterates in key order (then two objects can be
    /// walked side by side instead of looking each key up).
    fn key_ordered() -> bool;
    fn into_entries(self) -> impl Iterator<Item = (String, Self::Value)>;
}

pub(crate) fn mismatch<V: Dynamic>(target: &V, source: &V) -> Error {
    Error::new(ErrorKind::TypeMismatch {
        target: target.kind(),
        source: source.kind(),
    })
}

/// Whether only the depth limit can fail: then the check pass walks the source alone (no
/// lookups in the target), which bounds every recursion of the apply pass, since the merge
/// recurses only along the source.
pub(crate) fn depth_only(options: &Options) -> bool {
    options.mismatch != Mismatch::Error && !options.has_custom()
}

/// The nesting of `source`'s objects must stay within the limit.
pub(crate) fn check_source_depth<V: Dynamic>(source: &V, cx: &mut Check<'_>) -> Result<(), Error> {
    match source.as_object() {
        Some(object) => cx.nested(|cx| check_members_depth(object, cx)),
        None => Ok(()),
    }
}

/// [`check_source_depth`] of every member of an object already entered.
pub(crate) fn check_members_depth<O: DynObject>(
    object: &O,
    cx: &mut Check<'_>,
) -> Result<(), Error> {
    for (key, value) in object.iter() {
        check_source_depth(value, cx).map_err(|e| e.at_key(key))?;
    }
    Ok(())
}

/// The check of two dynamic values: what [`apply_value`] would fail on. Called when more
/// than the depth can fail ([`depth_only`] is false; the `Merge` impls decide).
pub(crate) fn check_value<V: Dynamic>(
    target: &V,
    source: &V,
    cx: &mut Check<'_>,
) -> Result<(), Error> {
    if source.is_null() {
        return Ok(());
    }
    if target.is_null() {
        return check_taken(source, cx);
    }
    let (target_kind, source_kind) = (target.kind(), source.kind());
    if target_kind != source_kind {
        return match cx.options().mismatch {
            Mismatch::Error => Err(mismatch(target, source)),
            Mismatch::Replace => check_taken(source, cx),
            Mismatch::Keep => Ok(()),
        };
    }
    if cx.options().has_custom()
        && let Some(f) = cx.options().kind_fn::<V>(target_kind)
    {
        return cx.custom(target, Some(target.clone()), Some(source.clone()), f);
    }
    match (target.as_object(), source.as_object()) {
        (Some(target), Some(source)) => cx.nested(|cx| check_object(target, source, cx)),
        _ => Ok(()),
    }
}

/// [`check_value`] of two objects already entered.
pub(crate) fn check_object<O: DynObject>(
    target: &O,
    source: &O,
    cx: &mut Check<'_>,
) -> Result<(), Error> {
    let mut side = joinable(target, source, cx.options()).then(|| Side::new(target.iter()));
    for (key, source) in source.iter() {
        let found = match &mut side {
            Some(side) => side.seek(key),
            None if source.is_null() => None,
            None => target.get(key),
        };
        if source.is_null() {
            continue;
        }
        let result = match found {
            Some(target) => cx.merge(target, source),
            None => check_taken(source, cx),
        };
        result.map_err(|e| e.at_key(key))?;
    }
    Ok(())
}

/// How many target members per source member a side-by-side walk may pass over: beyond,
/// looking keys up costs less, and the cost of a merge follows the source, not the target.
const JOIN_SPAN: usize = 4;

/// Whether `target`'s members are found by walking it beside `source` (both in key order,
/// the target not much larger, no custom function that could look for a member by its
/// place while others are added).
pub(crate) fn joinable<O: DynObject>(target: &O, source: &O, options: &Options) -> bool {
    source.len() > 1
        && target.len() <= JOIN_SPAN * source.len()
        && !options.has_custom()
        && O::key_ordered()
}

/// The members of an object in key order, found one by one for keys in key order.
pub(crate) struct Side<I: Iterator> {
    members: std::iter::Peekable<I>,
}

impl<'t, V: 't, I: Iterator<Item = (&'t str, V)>> Side<I> {
    pub(crate) fn new(members: I) -> Self {
        Side {
            members: members.peekable(),
        }
    }

    /// The member `key`, if there is one; every member before it is passed.
    #[inline(always)]
    pub(crate) fn seek(&mut self, key: &str) -> Option<V> {
        while let Some((k, _)) = self.members.peek() {
            match (*k).cmp(key) {
                std::cmp::Ordering::Less => {
                    self.members.next();
                }
                std::cmp::Ordering::Equal => return self.members.next().map(|(_, v)| v),
                std::cmp::Ordering::Greater => return None,
            }
        }
        None
    }
}

/// A source value taken as a whole: under `NullStrategy::Delete` its nested nulls are
/// removed, a recursion that must stay within the depth limit.
fn check_taken<V: Dynamic>(source: &V, cx: &mut Check<'_>) -> Result<(), Error> {
    if cx.options().nulls != NullStrategy::Delete {
        return Ok(());
    }
    check_source_depth(source, cx)
}

/// Remove the nulls of every object reached through objects (RFC 7396: a patch object
/// inserted where the target has none is merged into `{}`). Arrays are taken verbatim.
pub(crate) fn strip_nulls<V: Dynamic>(value: &mut V) {
    if let Some(object) = value.as_object_mut() {
        object.retain_non_null();
        for v in object.values_mut() {
            strip_nulls(v);
        }
    }
}

#[inline]
fn take<V: Dynamic>(mut source: V, options: &Options) -> V {
    if options.nulls == NullStrategy::Delete {
        strip_nulls(&mut source);
    }
    source
}

/// Replace `target` with `source`, recording the change if it is one.
#[inline]
fn replace<V: Dynamic>(target: &mut V, source: V, cx: &mut Apply<'_>) {
    cx.record_here_if(ChangeKind::Replaced, || !target.identical(&source));
    *target = source;
}

pub(crate) fn apply_value<V: Dynamic>(
    target: &mut V,
    source: V,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    let options = cx.options();
    if source.is_null() {
        match options.nulls {
            NullStrategy::Skip => {}
            NullStrategy::Delete => replace(target, V::null(), cx),
            NullStrategy::Set => {
                if options.overwrite {
                    replace(target, V::null(), cx);
                }
            }
        }
        return Ok(());
    }
    if target.is_null() {
        replace(target, take(source, options), cx);
        return Ok(());
    }
    let target_kind = target.kind();
    if target_kind != source.kind() {
        return match options.mismatch {
            Mismatch::Error => Err(mismatch(target, &source)),
            Mismatch::Replace => {
                replace(target, take(source, options), cx);
                Ok(())
            }
            Mismatch::Keep => Ok(()),
        };
    }
    if options.has_custom()
        && let Some(f) = options.kind_fn::<V>(target_kind)
    {
        return custom(target, source, cx, f);
    }
    match source.into_parts() {
        Parts::Object(source) => match target.as_object_mut() {
            Some(target) => apply_object(target, source, cx),
            None => unreachable_kinds(),
        },
        Parts::Array(source) => match target.as_array_mut() {
            Some(target) => {
                apply_array(target, source, cx);
                Ok(())
            }
            None => unreachable_kinds(),
        },
        Parts::Other(source) => {
            if options.overwrite {
                replace(target, source, cx);
            }
            Ok(())
        }
    }
}

/// Kinds were compared equal just before: an object's target is an object.
fn unreachable_kinds() -> Result<(), Error> {
    Err(Error::custom(
        "conjungo: inconsistent kinds of a dynamic value",
    ))
}

/// A custom function's result, recorded as a replacement of the whole value when it
/// differs.
pub(crate) fn custom<V: Dynamic>(
    target: &mut V,
    source: V,
    cx: &mut Apply<'_>,
    f: CustomFn<'_, V>,
) -> Result<(), Error> {
    cx.recorded(
        target,
        |target, cx| cx.custom_unrecorded(target, source, f),
        V::clone,
        |target, before, cx| cx.record_here_if(ChangeKind::Replaced, || !target.identical(&before)),
    )
}

fn apply_array<V: Dynamic>(target: &mut Vec<V>, source: Vec<V>, cx: &mut Apply<'_>) {
    cx.merge_seq(
        target,
        source,
        |target, source| identical_items(target, source),
        |target, before, cx| cx.record_appended(target.len() - before),
    );
}

pub(crate) fn apply_object<O: DynObject>(
    target: &mut O,
    source: O,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    // Removals happen together at the end: one by one, an ordered document would shift
    // its members once per removal (quadratic in a hostile body).
    let mut removed: Vec<String> = Vec::new();
    let mut later: Vec<(String, O::Value)> = Vec::new();
    if joinable(target, &source, cx.options()) {
        // Both in key order: each member is found by walking the target beside the source;
        // additions and removals wait until the walk is over (the same object in the end).
        let mut side = Side::new(target.iter_mut());
        for (key, source) in source.into_entries() {
            let found = side.seek(&key);
            match member(key, source, found, cx)? {
                Step::Kept => {}
                Step::Add(key, value) => later.push((key, value)),
                Step::Remove(key) => removed.push(key),
            }
        }
    } else {
        // With custom functions, new members go in after the merges, so that no member
        // moves before its custom result is found by its place.
        let defer = cx.options().has_custom();
        for (key, source) in source.into_entries() {
            let found = target.get_mut(&key);
            match member(key, source, found, cx)? {
                Step::Kept => {}
                Step::Add(key, value) if defer => later.push((key, value)),
                Step::Add(key, value) => target.insert(key, value),
                Step::Remove(key) if O::SHIFTS_ON_REMOVE => removed.push(key),
                Step::Remove(key) => {
                    target.remove(&key);
                }
            }
        }
    }
    if !removed.is_empty() {
        target.remove_keys(removed);
    }
    for (key, value) in later {
        target.insert(key, value);
    }
    Ok(())
}

/// What merging one member leaves to its object.
enum Step<V> {
    /// Nothing (merged in place, or nothing to do).
    Kept,
    /// A member to add.
    Add(String, V),
    /// A member to remove.
    Remove(String),
}

/// Merge the member `key` of a source object into `found`, the target's member of that
/// key if it has one, recording what changes.
fn member<V: Dynamic>(
    key: String,
    source: V,
    found: Option<&mut V>,
    cx: &mut Apply<'_>,
) -> Result<Step<V>, Error> {
    let options = cx.options();
    if source.is_null() {
        return Ok(match (options.nulls, found) {
            (NullStrategy::Skip, _) | (NullStrategy::Delete, None) => Step::Kept,
            (NullStrategy::Delete, Some(_)) => {
                cx.record_at(&key, ChangeKind::Removed);
                Step::Remove(key)
            }
            (NullStrategy::Set, Some(target)) => {
                if options.overwrite && !target.is_null() {
                    *target = V::null();
                    cx.record_at(&key, ChangeKind::Replaced);
                }
                Step::Kept
            }
            (NullStrategy::Set, None) => {
                cx.record_at(&key, ChangeKind::Added);
                Step::Add(key, V::null())
            }
        });
    }
    match found {
        Some(target) => {
            cx.under(&key, |cx| cx.merge(target, source))
                .map_err(|e| e.at_key(&key))?;
            Ok(Step::Kept)
        }
        None => {
            cx.record_at(&key, ChangeKind::Added);
            Ok(Step::Add(key, take(source, options)))
        }
    }
}

/// The shared `Merge` impl of a dynamic value type and of its object type.
macro_rules! dynamic_merge {
    ($value:ty, $object:ty) => {
        $crate::impls::dynamic::dynamic_merge!(@impl $value, $object, merge_value,
            |target, source, cx| if $crate::impls::dynamic::depth_only(cx.options()) {
                $crate::impls::dynamic::check_source_depth(source, cx)
            } else {
                $crate::impls::dynamic::check_value(target, source, cx)
            },
            $crate::impls::dynamic::apply_value);
        $crate::impls::dynamic::dynamic_merge!(@impl $object, $object, merge_object,
            |target, source, cx| cx.nested(|cx| if $crate::impls::dynamic::depth_only(cx.options()) {
                $crate::impls::dynamic::check_members_depth(source, cx)
            } else {
                $crate::impls::dynamic::check_object(target, source, cx)
            }),
            $crate::impls::dynamic::apply_object);
    };
    (@impl $ty:ty, $object:ty, $root:ident, |$t:ident, $s:ident, $cx:ident| $check:expr, $apply:path) => {
        impl $crate::Merge for $ty {
            const NEEDS_CHECK: bool = true;

            fn check(&self, source: &Self, cx: &mut $crate::Check<'_>) -> Result<(), $crate::Error> {
                let ($t, $s, $cx) = (self, source, cx);
                $check
            }

            fn apply(&mut self, source: Self, cx: &mut $crate::Apply<'_>) -> Result<(), $crate::Error> {
                $apply(self, source, cx)
            }

            fn __conjungo_merge_root(&mut self, source: Self, options: &$crate::Options) -> Result<(), $crate::Error> {
                if $crate::impls::fused::fusable::<$object>(options) {
                    $crate::impls::fused::$root(self, source, options)
                } else {
                    $crate::two_passes(self, source, options)
                }
            }

            $crate::impls::static_clone_hooks!();
        }
    };
}
pub(crate) use dynamic_merge;
