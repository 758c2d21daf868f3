//! Typed patches: [`Patch`], the [`Patchable`] mapping from types to their patch forms,
//! and its impls for std, JSON and bson types. `#[merge(patch)]` implements it for
//! derived structs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Display;
use std::hash::{BuildHasher, Hash};

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::ser::{Serialize, Serializer};

use super::ChangeKind;
use crate::{Apply, Check, Error, ErrorKind, Merge, SeqStrategy};

/// One field of a patch: left alone, set to null (`None`, or a map entry removed), or set.
///
/// Deserializes a missing field as [`Patch::Absent`] (with `#[serde(default)]`, which the
/// generated patch types put on every field), `null` as [`Patch::Null`], anything else as
/// [`Patch::Set`]; serializes back the same way (skip absent fields with
/// `#[serde(skip_serializing_if = "Patch::is_absent")]`).
///
/// ```
/// use conjungo::Patch;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Body {
///     #[serde(default)]
///     name: Patch<String>,
///     #[serde(default)]
///     nick: Patch<String>,
///     #[serde(default)]
///     age: Patch<u8>,
/// }
/// let body: Body = serde_json::from_str(r#"{"name": "ann", "nick": null}"#).unwrap();
/// assert_eq!(body.name, Patch::Set("ann".to_string()));
/// assert_eq!(body.nick, Patch::Null);
/// assert_eq!(body.age, Patch::Absent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// The field was not in the patch: leave it as it is.
    #[default]
    Absent,
    /// The field was `null`: set it to `None` (or remove the map entry).
    Null,
    /// The field was given a value.
    Set(T),
}

impl<T> Patch<T> {
    /// True for [`Patch::Absent`].
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// True for [`Patch::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Patch::Null)
    }

    /// The value of a [`Patch::Set`].
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(value) => Some(value),
            _ => None,
        }
    }

    /// `Absent` → `None`, `Null` → `Some(None)`, `Set(v)` → `Some(Some(v))`.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Set(value) => Some(Some(value)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    /// `None` → `Null`, `Some(v)` → `Set(v)`.
    fn from(value: Option<T>) -> Self {
        match value {
            None => Patch::Null,
            Some(value) => Patch::Set(value),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Patch::from)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => serializer.serialize_some(value),
            Patch::Absent | Patch::Null => serializer.serialize_none(),
        }
    }
}

/// A type with a patch form: what a PATCH body holds for a value of this type, how it is
/// checked and applied, and how a value is built from it where there was none.
///
/// Leaves (numbers, strings, `bool`, sequences, sets, bson atomic values) patch as
/// themselves: the new value replaces the old (sequences follow [`SeqStrategy`]: appended
/// items become a `$push`). `Option<T>` patches as `T`'s form (a `null` at the field
/// sets `None`). Maps patch as maps of [`Patch`] entries (`null` removes one entry). JSON
/// and bson values merge their patch with the merge options (RFC 7396 with
/// [`Options::merge_patch`](crate::Options::merge_patch)). Structs with
/// `#[merge(patch)]` patch as their generated `<Name>Patch`.
///
/// Changes are recorded (for [`Applied`](super::Applied)) with paths made of serde names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no patch form",
    label = "no patch form",
    note = "add `#[merge(patch)]` to the type to patch it field by field, or put `#[merge(atomic)]` on the field to patch it as a whole value (any serde type)"
)]
pub trait Patchable: Sized {
    /// The patch form.
    type Patch: DeserializeOwned;

    /// The read-only pass: the error applying `patch` would give.
    fn check_patch(&self, patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error>;

    /// Apply `patch`, recording what changes.
    fn apply_patch(&mut self, patch: Self::Patch, cx: &mut Apply<'_>) -> Result<(), Error>;

    /// The error [`build`](Patchable::build) would give (missing required fields, values
    /// that cannot be stored).
    fn check_build(patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error>;

    /// A value made from a patch alone, where the target had none.
    fn build(patch: Self::Patch) -> Result<Self, Error>;

    /// The rules of a patch of the whole stored document (the root of
    /// [`apply`](super::apply)): maps and dynamic values refuse top-level keys an update
    /// cannot address (empty, `$…`, with `.` or NUL) and `_id`. Structs need none: their
    /// fields are their keys. The default accepts every patch.
    fn check_root(patch: &Self::Patch) -> Result<(), Error> {
        let _ = patch;
        Ok(())
    }

    /// Whether [`validate_merged`](Patchable::validate_merged) checks anything: the type, or a value
    /// it holds, has a `#[merge(validate = …)]` hook. Only then does
    /// [`apply`](super::apply) merge a copy of the target and validate it.
    const VALIDATES: bool = false;

    /// Check a merged value: the `#[merge(validate = …)]` hooks of this type and of the
    /// values it holds (fields, map entries), every problem at its place (see
    /// [`Error::invalid`]). The default finds nothing.
    fn validate_merged(&self) -> Result<(), Error> {
        Ok(())
    }

    /// The patch that turns `self` into `new` under [`Options::merge_patch`](crate::Options::merge_patch)
    /// (`None`: they are equal). See [`diff`](super::diff).
    #[doc(hidden)]
    fn __conjungo_diff(&self, new: &Self) -> Option<Self::Patch>;

    /// The patch that builds `self` from nothing (every field set; `None`: no patch builds
    /// it, as for an `Option` that is `None`).
    #[doc(hidden)]
    fn __conjungo_full(&self) -> Option<Self::Patch>;

    /// The `#[merge(version)]` field: its serde name and value.
    #[doc(hidden)]
    fn __conjungo_version(&self) -> Option<(&'static str, &dyn crate::__private::Version)> {
        None
    }

    /// The `#[merge(version)]` field, to increment.
    #[doc(hidden)]
    fn __conjungo_version_mut(&mut self) -> Option<&mut dyn crate::__private::Version> {
        None
    }

    /// A copy of the target, for a validated patch (`None`: the type cannot be copied).
    #[doc(hidden)]
    fn __conjungo_copy(&self) -> Option<Self> {
        None
    }

    /// The serde names of this type's fields by their Rust names, with the names of the
    /// field's own type (for errors of validators that name fields the Rust way).
    #[doc(hidden)]
    fn __conjungo_serde_names() -> SerdeNames {
        SerdeNames::NONE
    }

    /// The validator registered for this type with
    /// [`Options::validate`](crate::Options::validate) (`'static` types only).
    #[doc(hidden)]
    fn __conjungo_validator(options: &crate::Options) -> Option<&crate::ValidateFn<Self>> {
        let _ = options;
        None
    }
}

/// The serde name of a field of a type, given its Rust name, and the names of the field's
/// own type. Generated for `#[merge(patch)]` types; used to turn the Rust field names of
/// other crates' validation errors into JSON Pointers.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct SerdeNames(pub fn(&str) -> Option<(&'static str, SerdeNames)>);

impl SerdeNames {
    /// No known fields: names are kept as they are.
    pub const NONE: SerdeNames = SerdeNames(|_| None);

    /// The serde name of the field `rust`, and its type's names.
    pub fn field(self, rust: &str) -> Option<(&'static str, SerdeNames)> {
        (self.0)(rust)
    }
}

/// A top-level key of a map or dynamic root: addressable by an update, and not `_id`.
fn root_key(key: &str) -> Result<(), Error> {
    if key == "_id" {
        return Err(Error::new(ErrorKind::ProtectedField {
            field: key.to_owned(),
        })
        .at_key(key));
    }
    top_level_key(key)
}

/// A key an update can name at the top level of a document: not empty, no `$` prefix, no
/// `.` or NUL.
pub(crate) fn top_level_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.starts_with('$') || key.contains('.') || key.contains('\0') {
        return Err(Error::new(ErrorKind::ForbiddenKey {
            key: key.to_owned(),
            reason: "a top-level key that is empty, starts with `$` or contains `.` or NUL \
                     cannot be addressed by a MongoDB update",
        })
        .at_key(key));
    }
    Ok(())
}

/// Whether `value` can be stored as BSON: what bson's serializer says of it (an integer
/// beyond `i64`, any `i128`/`u128`, a failing `Serialize` impl cannot). Checked in the
/// check pass of a typed PATCH so that a value the update could not carry fails the
/// patch before anything changes.
#[cfg(feature = "bson")]
pub fn storable<T: Serialize + ?Sized>(value: &T, cx: &Check<'_>) -> Result<(), Error> {
    if !cx.checks_storage() {
        return Ok(());
    }
    bson::serialize_to_bson(value).map(drop).map_err(|e| {
        Error::new(ErrorKind::Unstorable {
            message: e.to_string(),
        })
    })
}

/// Without the `bson` feature there is no update to store: everything is storable.
#[cfg(not(feature = "bson"))]
pub fn storable<T: Serialize + ?Sized>(_value: &T, _cx: &Check<'_>) -> Result<(), Error> {
    Ok(())
}

/// Replace `target` with `value` when they differ, recording a `$set` of the place.
pub fn replace_leaf<T: PartialEq>(target: &mut T, value: T, cx: &mut Apply<'_>) {
    if *target != value {
        *target = value;
        cx.record_here(ChangeKind::Replaced);
    }
}

/// The methods every whole-value patch form shares: nothing to check, and a value is built
/// from its patch as it is.
macro_rules! whole_value {
    ($storage:expr) => {
        type Patch = Self;

        fn check_patch(&self, patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
            check_whole(self, patch, cx, $storage)
        }

        fn check_build(patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
            if $storage {
                storable(patch, cx)?;
            }
            Ok(())
        }

        fn build(patch: Self) -> Result<Self, Error> {
            Ok(patch)
        }

        fn __conjungo_diff(&self, new: &Self) -> Option<Self> {
            (self != new).then(|| new.clone())
        }

        fn __conjungo_full(&self) -> Option<Self> {
            Some(self.clone())
        }
    };
}

/// Whether a custom function is registered for `T`: a whole-value patch then runs it, as
/// `merge_with` with the same options would.
fn has_custom_fn<T: Merge>(options: &crate::Options) -> bool {
    options.has_custom() && T::custom_fn(options).is_some()
}

/// The check pass of a whole-value patch: the custom function on copies, if one is
/// registered; and, where `storage` says the type's values may not fit in BSON, the
/// storage check of the new value.
fn check_whole<T: Merge + Serialize>(
    target: &T,
    patch: &T,
    cx: &mut Check<'_>,
    storage: bool,
) -> Result<(), Error> {
    if has_custom_fn::<T>(cx.options()) {
        return cx.merge(target, patch);
    }
    if storage {
        storable(patch, cx)?;
    }
    Ok(())
}

/// The apply pass of a whole-value patch: the custom function if one is registered, else
/// the new value replaces the old (a change only if they differ).
fn apply_whole<T: Merge + PartialEq>(
    target: &mut T,
    patch: T,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    if has_custom_fn::<T>(cx.options()) {
        return cx.merge(target, patch);
    }
    replace_leaf(target, patch, cx);
    Ok(())
}

macro_rules! leaf {
    ($($ty:ty),* $(,)?) => {$(
        impl Patchable for $ty {
            whole_value!(false);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                apply_whole(self, patch, cx)
            }
        }
    )*};
}

/// Floats: `-0.0` replacing `0.0` is a change (the stored bits differ), though `==` says
/// they are equal.
macro_rules! float_leaf {
    ($($ty:ty),*) => {$(
        impl Patchable for $ty {
            whole_value!(false);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if has_custom_fn::<$ty>(cx.options()) {
                    return cx.merge(self, patch);
                }
                if self.to_bits() != patch.to_bits() {
                    *self = patch;
                    cx.record_here(ChangeKind::Replaced);
                }
                Ok(())
            }
        }
    )*};
}

float_leaf!(f32, f64);

leaf! {
    bool, char, i8, i16, i32, i64, isize, u8, u16, u32,
    String, std::path::PathBuf, std::net::IpAddr,
    std::net::Ipv4Addr, std::net::Ipv6Addr, std::net::SocketAddr,
}

/// Leaves whose values bson may refuse (integers beyond `i64`, `i128`, durations beyond
/// `i64` seconds): the check pass asks bson's serializer about the new value.
macro_rules! checked_leaf {
    ($($ty:ty),* $(,)?) => {$(
        impl Patchable for $ty {
            whole_value!(true);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                apply_whole(self, patch, cx)
            }
        }
    )*};
}

checked_leaf! { i128, u64, u128, usize, std::time::Duration }

macro_rules! leaf_generic {
    ($($ty:ident<T $(, $s:ident)?> where $($bound:path),*;)*) => {$(
        impl<T $(, $s)?> Patchable for $ty<T $(, $s)?>
        where
            T: DeserializeOwned + Serialize + PartialEq + Clone + 'static $(+ $bound)*,
            $($s: BuildHasher + Default + Clone + 'static,)?
        {
            whole_value!(true);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                apply_whole(self, patch, cx)
            }
        }
    )*};
}

leaf_generic! {
    HashSet<T, S> where Eq, Hash;
    BTreeSet<T> where Ord;
}

/// Sequences patch as whole sequences combined by [`SeqStrategy`]: appended items are
/// recorded as such (a `$push`), anything else as a new whole value.
macro_rules! seq {
    ($($ty:ident),*) => {$(
        impl<T: DeserializeOwned + Serialize + PartialEq + Clone + 'static> Patchable for $ty<T> {
            whole_value!(true);

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                if has_custom_fn::<Self>(cx.options()) {
                    return cx.merge(self, patch);
                }
                let options = cx.options();
                match options.seq {
                    SeqStrategy::Append => append_items(self, patch, cx),
                    SeqStrategy::Prepend if !patch.is_empty() => {
                        let mut patch = patch;
                        std::mem::swap(self, &mut patch);
                        self.extend(patch);
                        cx.record_here(ChangeKind::Replaced);
                    }
                    SeqStrategy::Replace if options.overwrite => replace_leaf(self, patch, cx),
                    _ => {}
                }
                Ok(())
            }
        }
    )*};
}

seq!(Vec, VecDeque);

fn append_items<S, T>(target: &mut S, items: S, cx: &mut Apply<'_>)
where
    S: crate::__private::Appendable + Extend<T> + IntoIterator<Item = T>,
{
    let before = target.appended_len().unwrap_or(0);
    target.extend(items);
    if cx.is_recording() && target.appended_len().unwrap_or(0) > before {
        target.record_tail(before, cx);
    }
}

/// `Option<T>` patches as `T`'s form; the `null` that sets `None` is handled by the field.
impl<T: Patchable + Serialize> Patchable for Option<T> {
    type Patch = T::Patch;

    fn check_patch(&self, patch: &T::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
        match self {
            Some(inner) => inner.check_patch(patch, cx),
            None => T::check_build(patch, cx),
        }
    }

    fn apply_patch(&mut self, patch: T::Patch, cx: &mut Apply<'_>) -> Result<(), Error> {
        match self {
            Some(inner) => inner.apply_patch(patch, cx),
            None => {
                let built = T::build(patch)?;
                cx.record_here(ChangeKind::Replaced);
                *self = Some(built);
                Ok(())
            }
        }
    }

    fn check_build(patch: &T::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
        T::check_build(patch, cx)
    }

    fn build(patch: T::Patch) -> Result<Self, Error> {
        T::build(patch).map(Some)
    }

    fn check_root(patch: &T::Patch) -> Result<(), Error> {
        T::check_root(patch)
    }

    const VALIDATES: bool = T::VALIDATES;

    fn validate_merged(&self) -> Result<(), Error> {
        self.as_ref().map_or(Ok(()), T::validate_merged)
    }

    fn __conjungo_copy(&self) -> Option<Self> {
        match self {
            Some(inner) => inner.__conjungo_copy().map(Some),
            None => Some(None),
        }
    }

    /// From `Some` to `None` is a `null` of the field or entry holding the `Option`,
    /// which its own diff writes; here it is no patch.
    fn __conjungo_diff(&self, new: &Self) -> Option<T::Patch> {
        match (self, new) {
            (Some(old), Some(new)) => old.__conjungo_diff(new),
            (None, Some(new)) => new.__conjungo_full(),
            (_, None) => None,
        }
    }

    fn __conjungo_full(&self) -> Option<T::Patch> {
        self.as_ref().and_then(T::__conjungo_full)
    }

    fn __conjungo_serde_names() -> SerdeNames {
        T::__conjungo_serde_names()
    }
}

/// `Box<T>` patches as a boxed `T` form, so that recursive types
/// (`children: Option<Box<Node>>`) have patch types of finite size.
impl<T: Patchable> Patchable for Box<T> {
    type Patch = Box<T::Patch>;

    fn check_patch(&self, patch: &Box<T::Patch>, cx: &mut Check<'_>) -> Result<(), Error> {
        (**self).check_patch(patch, cx)
    }

    fn apply_patch(&mut self, patch: Box<T::Patch>, cx: &mut Apply<'_>) -> Result<(), Error> {
        (**self).apply_patch(*patch, cx)
    }

    fn check_build(patch: &Box<T::Patch>, cx: &mut Check<'_>) -> Result<(), Error> {
        T::check_build(patch, cx)
    }

    fn build(patch: Box<T::Patch>) -> Result<Self, Error> {
        T::build(*patch).map(Box::new)
    }

    fn check_root(patch: &Box<T::Patch>) -> Result<(), Error> {
        T::check_root(patch)
    }

    const VALIDATES: bool = T::VALIDATES;

    fn validate_merged(&self) -> Result<(), Error> {
        (**self).validate_merged()
    }

    fn __conjungo_copy(&self) -> Option<Self> {
        (**self).__conjungo_copy().map(Box::new)
    }

    fn __conjungo_diff(&self, new: &Self) -> Option<Box<T::Patch>> {
        (**self).__conjungo_diff(new).map(Box::new)
    }

    fn __conjungo_full(&self) -> Option<Box<T::Patch>> {
        (**self).__conjungo_full().map(Box::new)
    }

    fn __conjungo_serde_names() -> SerdeNames {
        T::__conjungo_serde_names()
    }
}

/// Whether MongoDB reads `segment` as a field name of a document when it appears after the
/// first segment of a dotted path: not empty, no `$` prefix, no `.`, no NUL, and not all
/// digits (MongoDB would read those as array indexes where the parent is an array).
pub fn addressable(segment: &str) -> bool {
    !segment.is_empty()
        && !segment.starts_with('$')
        && !segment.contains('.')
        && !segment.contains('\0')
        && !segment.bytes().all(|b| b.is_ascii_digit())
}

/// Where a map entry's changes were recorded, for [`prefill_entry`].
#[derive(Clone, Copy)]
enum EntryAt {
    /// The entry was removed (one change, a key below the current place).
    Removed,
    /// The entry was added (one change, a key below the current place).
    Added,
    /// The entry was patched in place, with its key entered (changes below it).
    Entered,
}

/// The values of the changes recorded since `first` for one map entry (`value`), read
/// from the entry alone (see `extract::prefill_serialized`); for a removed entry, nothing.
fn prefill_entry<T: Serialize + ?Sized>(cx: &mut Apply<'_>, first: usize, value: &T, at: EntryAt) {
    #[cfg(feature = "bson")]
    if cx.is_recording() {
        let depth = cx.recording_depth();
        let changes = cx.changes_since(first);
        match at {
            EntryAt::Removed => {
                for change in changes {
                    change.prefill = Some(super::extract::Found::Unreached);
                }
            }
            EntryAt::Added => super::extract::prefill_serialized(changes, depth + 1, value),
            EntryAt::Entered => super::extract::prefill_serialized(changes, depth, value),
        }
    }
    #[cfg(not(feature = "bson"))]
    let _ = (cx, first, value, at);
}

/// Maps patch as maps of [`Patch`] entries: `null` removes an entry, a value patches the
/// entry or, where there is none, builds one.
macro_rules! map {
    ($map:ident<K, V $(, $s:ident)?> where $($bound:path),*) => {
        impl<K, V $(, $s)?> Patchable for $map<K, V $(, $s)?>
        where
            K: DeserializeOwned + Serialize + Display + Clone $(+ $bound)*,
            V: Patchable + Serialize,
            $($s: BuildHasher + Default,)?
        {
            type Patch = $map<K, Patch<V::Patch> $(, $s)?>;

            fn check_patch(&self, patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
                for (key, entry) in patch {
                    let name = key.to_string();
                    no_operator(&name)?;
                    if let Patch::Set(entry) = entry {
                        match self.get(key) {
                            Some(have) => have.check_patch(entry, cx),
                            None => V::check_build(entry, cx),
                        }
                        .map_err(|e| e.at_key(&name))?;
                    }
                }
                Ok(())
            }

            fn apply_patch(&mut self, patch: Self::Patch, cx: &mut Apply<'_>) -> Result<(), Error> {
                // Keys MongoDB cannot address below the top level: the whole map is set.
                let whole = cx.is_recording()
                    && patch.keys().any(|k| !addressable(&k.to_string()));
                let start = cx.change_count();
                // With custom functions, built entries go in after the patches of existing
                // ones, so that no entry moves before its custom result is found by its place.
                let defer = cx.options().has_custom();
                let mut later = Vec::new();
                for (key, entry) in patch {
                    let name = key.to_string();
                    match entry {
                        Patch::Absent => {}
                        Patch::Null => {
                            if self.remove(&key).is_some() && cx.is_recording() {
                                let first = cx.change_count();
                                cx.record_at(&name, ChangeKind::Removed);
                                prefill_entry(cx, first, &(), EntryAt::Removed);
                            }
                        }
                        Patch::Set(entry) => match self.get_mut(&key) {
                            Some(have) => {
                                cx.enter(&name);
                                let first = cx.change_count();
                                let result = have.apply_patch(entry, cx);
                                if result.is_ok() {
                                    prefill_entry(cx, first, &*have, EntryAt::Entered);
                                }
                                cx.leave();
                                result.map_err(|e| e.at_key(&name))?;
                            }
                            None => {
                                let built = V::build(entry).map_err(|e| e.at_key(&name))?;
                                let first = cx.change_count();
                                cx.record_at(&name, ChangeKind::Added);
                                prefill_entry(cx, first, &built, EntryAt::Added);
                                if defer {
                                    later.push((key, built));
                                } else {
                                    self.insert(key, built);
                                }
                            }
                        },
                    }
                }
                self.extend(later);
                if whole && cx.change_count() > start {
                    cx.truncate_changes(start);
                    cx.record_here(ChangeKind::Replaced);
                }
                Ok(())
            }

            fn check_build(patch: &Self::Patch, cx: &mut Check<'_>) -> Result<(), Error> {
                for (key, entry) in patch {
                    let name = key.to_string();
                    no_operator(&name)?;
                    if let Patch::Set(entry) = entry {
                        V::check_build(entry, cx).map_err(|e| e.at_key(&name))?;
                    }
                }
                Ok(())
            }

            fn check_root(patch: &Self::Patch) -> Result<(), Error> {
                patch.keys().try_for_each(|key| root_key(&key.to_string()))
            }

            fn build(patch: Self::Patch) -> Result<Self, Error> {
                let mut out = Self::default();
                for (key, entry) in patch {
                    if let Patch::Set(entry) = entry {
                        let built = V::build(entry).map_err(|e| e.at_key(&key.to_string()))?;
                        out.insert(key, built);
                    }
                }
                Ok(out)
            }

            fn __conjungo_diff(&self, new: &Self) -> Option<Self::Patch> {
                let mut out = Self::Patch::default();
                for (key, old) in self {
                    match new.get(key) {
                        None => {
                            out.insert(key.clone(), Patch::Null);
                        }
                        Some(value) => {
                            if let Some(p) = old.__conjungo_diff(value) {
                                out.insert(key.clone(), Patch::Set(p));
                            }
                        }
                    }
                }
                for (key, value) in new {
                    if !self.contains_key(key)
                        && let Some(full) = value.__conjungo_full()
                    {
                        out.insert(key.clone(), Patch::Set(full));
                    }
                }
                (!out.is_empty()).then_some(out)
            }

            fn __conjungo_full(&self) -> Option<Self::Patch> {
                Some(
                    self.iter()
                        .filter_map(|(k, v)| Some((k.clone(), Patch::Set(v.__conjungo_full()?))))
                        .collect(),
                )
            }

            const VALIDATES: bool = V::VALIDATES;

            fn validate_merged(&self) -> Result<(), Error> {
                if !V::VALIDATES {
                    return Ok(());
                }
                Error::invalid(self.iter().filter_map(|(key, value)| {
                    value.validate_merged().err().map(|e| e.at_key(&key.to_string()))
                }))
            }
        }
    };
}

map!(HashMap<K, V, S> where Eq, Hash);
map!(BTreeMap<K, V> where Ord);

/// A map key of a patch: never a MongoDB operator. (A body's keys pass the gate of
/// [`parse`](super::parse), which lets Extended JSON wrappers such as `{"$date": …}` through
/// for fields typed as dates; a map must not take such a key as its own.)
fn no_operator(key: &str) -> Result<(), Error> {
    if key.starts_with('$') {
        return Err(Error::new(ErrorKind::ForbiddenKey {
            key: key.to_owned(),
            reason: "keys starting with `$` are MongoDB operators",
        })
        .at_key(key));
    }
    Ok(())
}

/// The keys of a dynamic value's objects, at any depth: no `$` operators (see
/// [`no_operator`]). Bounded by the merge's depth limit.
#[cfg(feature = "json")]
fn check_dynamic_keys<V: DynamicKeys>(value: &V, max_depth: usize) -> Result<(), Error> {
    value.check_keys(Depth {
        left: max_depth,
        limit: max_depth,
    })
}

/// Walk the object keys of a dynamic value.
#[cfg(feature = "json")]
trait DynamicKeys {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error>;
}

#[cfg(feature = "json")]
impl DynamicKeys for serde_json::Value {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        match self {
            serde_json::Value::Object(map) => {
                let left = deeper(depth_left)?;
                for (key, value) in map {
                    no_operator(key)?;
                    value.check_keys(left).map_err(|e| e.at_key(key))?;
                }
            }
            serde_json::Value::Array(items) => {
                let left = deeper(depth_left)?;
                for (i, value) in items.iter().enumerate() {
                    value.check_keys(left).map_err(|e| e.at_index(i))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One level deeper in a key walk: an error when no level is left.
#[cfg(feature = "json")]
fn deeper(depth: Depth) -> Result<Depth, Error> {
    let left = depth
        .left
        .checked_sub(1)
        .ok_or_else(|| Error::new(ErrorKind::DepthLimit { limit: depth.limit }))?;
    Ok(Depth { left, ..depth })
}

/// How many levels a key walk may still go down, and the limit to name when it cannot.
#[cfg(feature = "json")]
#[derive(Clone, Copy)]
struct Depth {
    left: usize,
    limit: usize,
}

#[cfg(feature = "bson")]
impl DynamicKeys for bson::Bson {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        match self {
            bson::Bson::Document(doc) => doc.check_keys(depth_left),
            bson::Bson::Array(items) => {
                let left = deeper(depth_left)?;
                for (i, value) in items.iter().enumerate() {
                    value.check_keys(left).map_err(|e| e.at_index(i))?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "bson")]
impl DynamicKeys for bson::Document {
    fn check_keys(&self, depth_left: Depth) -> Result<(), Error> {
        let left = deeper(depth_left)?;
        for (key, value) in self {
            no_operator(key)?;
            value.check_keys(left).map_err(|e| e.at_key(key))?;
        }
        Ok(())
    }
}

/// The root of a dynamic patch: an object whose keys pass [`root_key`].
#[cfg(feature = "json")]
trait DynamicRoot {
    fn root_keys(&self) -> Option<Vec<&str>>;
}

#[cfg(feature = "json")]
impl DynamicRoot for serde_json::Value {
    fn root_keys(&self) -> Option<Vec<&str>> {
        self.as_object()
            .map(|m| m.keys().map(String::as_str).collect())
    }
}

#[cfg(feature = "bson")]
impl DynamicRoot for bson::Bson {
    fn root_keys(&self) -> Option<Vec<&str>> {
        self.as_document().and_then(DynamicRoot::root_keys)
    }
}

#[cfg(feature = "bson")]
impl DynamicRoot for bson::Document {
    fn root_keys(&self) -> Option<Vec<&str>> {
        Some(self.keys().map(String::as_str).collect())
    }
}

#[cfg(feature = "json")]
fn dynamic_root<V: DynamicRoot>(patch: &V) -> Result<(), Error> {
    let keys = patch.root_keys().ok_or_else(|| {
        Error::new(ErrorKind::Malformed {
            message: "a patch of a whole document must be an object".into(),
        })
    })?;
    keys.into_iter().try_for_each(root_key)
}

/// The values of the changes a dynamic field's merge recorded (see
/// `extract::prefill`). A `Document` is looked up as the `Bson` it is inside.
#[cfg(feature = "bson")]
fn prefill_dynamic<V: PrefillRoot>(
    value: &V,
    start: usize,
    cx: &mut Apply<'_>,
) -> Result<(), Error> {
    if !cx.is_recording() {
        return Ok(());
    }
    let depth = cx.recording_depth();
    value.prefill_from(cx.changes_since(start), depth)
}

#[cfg(feature = "bson")]
trait PrefillRoot {
    fn prefill_from(&self, changes: &mut [crate::cx::RawChange], depth: usize)
    -> Result<(), Error>;
}

#[cfg(feature = "bson")]
impl PrefillRoot for serde_json::Value {
    fn prefill_from(
        &self,
        changes: &mut [crate::cx::RawChange],
        depth: usize,
    ) -> Result<(), Error> {
        super::extract::prefill(changes, depth, |k| self.as_object()?.get(k))
    }
}

#[cfg(feature = "bson")]
impl PrefillRoot for bson::Bson {
    fn prefill_from(
        &self,
        changes: &mut [crate::cx::RawChange],
        depth: usize,
    ) -> Result<(), Error> {
        super::extract::prefill(changes, depth, |k| self.as_document()?.get(k))
    }
}

#[cfg(feature = "bson")]
impl PrefillRoot for bson::Document {
    fn prefill_from(
        &self,
        changes: &mut [crate::cx::RawChange],
        depth: usize,
    ) -> Result<(), Error> {
        super::extract::prefill(changes, depth, |k| self.get(k))
    }
}

/// Dynamic values patch as themselves, merged with the merge options (RFC 7396 with
/// `Options::merge_patch()`); their changes are recorded place by place.
#[cfg(feature = "json")]
macro_rules! dynamic {
    ($($ty:ty),*) => {$(
        impl Patchable for $ty {
            type Patch = Self;

            fn check_patch(&self, patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                cx.merge(self, patch)?;
                check_dynamic_keys(patch, cx.options().max_depth)?;
                storable(patch, cx)
            }

            fn apply_patch(&mut self, patch: Self, cx: &mut Apply<'_>) -> Result<(), Error> {
                #[cfg(feature = "bson")]
                let start = cx.change_count();
                cx.merge(self, patch)?;
                #[cfg(feature = "bson")]
                prefill_dynamic(self, start, cx)?;
                Ok(())
            }

            fn check_build(patch: &Self, cx: &mut Check<'_>) -> Result<(), Error> {
                check_dynamic_keys(patch, cx.options().max_depth)?;
                storable(patch, cx)
            }

            fn check_root(patch: &Self) -> Result<(), Error> {
                dynamic_root(patch)
            }

            fn build(patch: Self) -> Result<Self, Error> {
                Ok(patch)
            }

            fn __conjungo_copy(&self) -> Option<Self> {
                Some(self.clone())
            }

            fn __conjungo_validator(options: &crate::Options) -> Option<&crate::ValidateFn<Self>> {
                options.validator::<Self>()
            }

            fn __conjungo_diff(&self, new: &Self) -> Option<Self> {
                (self != new).then(|| MergeDiff::merge_diff(self, new))
            }

            fn __conjungo_full(&self) -> Option<Self> {
                Some(self.clone())
            }
        }
    )*};
}

/// The RFC 7396 merge patch from one dynamic value to another (see
/// [`json::diff`](crate::json::diff), whose rules bson values follow).
#[cfg(feature = "json")]
trait MergeDiff: Sized {
    fn merge_diff(old: &Self, new: &Self) -> Self;
}

#[cfg(feature = "json")]
impl MergeDiff for serde_json::Value {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        crate::json::diff(old, new)
    }
}

#[cfg(feature = "bson")]
impl MergeDiff for bson::Document {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        let mut out = bson::Document::new();
        for key in old.keys() {
            if !new.contains_key(key) {
                out.insert(key.clone(), bson::Bson::Null);
            }
        }
        for (key, value) in new {
            match (old.get(key), value) {
                (Some(was), value) if was == value => {}
                (Some(bson::Bson::Document(was)), bson::Bson::Document(value)) => {
                    let inner = Self::merge_diff(was, value);
                    if !inner.is_empty() {
                        out.insert(key.clone(), inner);
                    }
                }
                (Some(_), bson::Bson::Null) => {
                    out.insert(key.clone(), bson::Bson::Null);
                }
                (None, bson::Bson::Null) => {}
                (_, value) => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        out
    }
}

#[cfg(feature = "bson")]
impl MergeDiff for bson::Bson {
    fn merge_diff(old: &Self, new: &Self) -> Self {
        match (old, new) {
            (bson::Bson::Document(old), bson::Bson::Document(new)) => {
                bson::Bson::Document(bson::Document::merge_diff(old, new))
            }
            _ => new.clone(),
        }
    }
}

#[cfg(feature = "json")]
dynamic!(serde_json::Value);

#[cfg(feature = "bson")]
dynamic!(bson::Bson, bson::Document);

#[cfg(feature = "bson")]
leaf! {
    bson::oid::ObjectId, bson::DateTime, bson::Decimal128, bson::Binary, bson::Timestamp,
    bson::Uuid,
}

#[cfg(feature = "chrono")]
leaf! {
    chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::FixedOffset>,
    chrono::NaiveDate, chrono::NaiveTime,
    chrono::NaiveDateTime, chrono::TimeDelta,
}

#[cfg(feature = "time")]
leaf! {
    time::OffsetDateTime, time::PrimitiveDateTime, time::UtcDateTime, time::Date, time::Time,
    time::UtcOffset, time::Duration,
}

#[cfg(feature = "uuid")]
leaf! { uuid::Uuid }

#[cfg(feature = "rust_decimal")]
leaf! { rust_decimal::Decimal }

#[cfg(feature = "url")]
leaf! { url::Url }

/// `null` given for a field that is not an `Option`.
pub fn null_on_required() -> Error {
    Error::new(ErrorKind::NullOnRequired)
}
