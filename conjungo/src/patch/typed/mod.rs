//! Typed patches: [`Patch`], the [`Patchable`] mapping from types to their patch forms,
//! and the rules every form shares (a whole value replaced, the keys an update can
//! address). The impls live by family, as `impls/` does for `Merge`: `leaves` (atomic
//! values, std and foreign), `seqs` (sequences), `wrappers` (`Option`, `Box`), `maps`
//! (maps of entries), `dynamic` (JSON and bson values). `#[merge(patch)]` implements
//! [`Patchable`] for derived structs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, Hash};

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde::ser::{Serialize, Serializer};

use super::ChangeKind;
use crate::{Apply, Check, Error, ErrorKind, Merge};

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
/// Leaves (numbers, strings, `bool`, sequences, sets, tuples, arrays, `Rc`/`Arc`/`Cow`
/// values, bson atomic values) patch as
/// themselves: the new value replaces the old (sequences follow
/// [`SeqStrategy`](crate::SeqStrategy): appended items become a `$push`). `Option<T>` patches as `T`'s form (a `null` at the field
/// sets `None`). Maps patch as maps of [`Patch`] entries (`null` removes one entry); an
/// entry's place is its key as serde writes it (a `String` as it is, a unit variant by its
/// serde name, a newtype through to its string): what bson stores. A key that does not
/// serialize as a string (a number) is refused, as bson refuses to store it. JSON
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

    /// Whether serde stores this type as something other than its fields
    /// (`#[serde(transparent)]`, `#[serde(into = "…")]`): its changes are then written as
    /// one replacement of the whole value, which serde serializes where it stands.
    #[doc(hidden)]
    const __CONJUNGO_STORED_WHOLE: bool = false;

    /// Whether a field of this type may be `#[serde(flatten)]` in a patch type: a struct
    /// with its own `#[merge(patch)]` that serde stores as its fields. Its fields are then
    /// the parent's: read from the parent's members, and changed at the parent's place.
    #[doc(hidden)]
    const __CONJUNGO_FLATTENS: bool = false;

    /// Whether this type has a `#[merge(version)]` field, its own or one of a struct
    /// flattened into it (a type has at most one: checked where they meet).
    #[doc(hidden)]
    const __CONJUNGO_VERSIONED: bool = false;

    /// Whether [`check_patch`](Patchable::check_patch) of any value is
    /// [`check_build`](Patchable::check_build) of the patch when no custom function is
    /// registered (values patched whole): a map then checks an entry's patch without
    /// looking its key up.
    #[doc(hidden)]
    const __CONJUNGO_CHECK_IS_BUILD: bool = false;

    /// For values replaced whole by a patch when they differ (leaves), with no custom
    /// function registered: replace `self` by `patch`, recording nothing, and tell whether
    /// it changed. Others give the patch back (`Err`), and are patched by
    /// [`apply_patch`](Patchable::apply_patch). A map records a changed entry of such
    /// values at its key without entering it.
    #[doc(hidden)]
    fn __conjungo_replace(&mut self, patch: Self::Patch) -> Result<bool, Self::Patch> {
        Err(patch)
    }

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
/// other crates' validation errors into JSON Pointers. An empty name: the field is
/// `#[serde(flatten)]`, its fields are the type's own (no segment of its own).
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
    // The key of every change is asked: one scan, eight bytes at a time.
    if key.is_empty()
        || key.starts_with('$')
        || crate::scan::contains_either(key.as_bytes(), b'.', 0)
    {
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
    crate::bson::to_bson(value).map(drop).map_err(|e| {
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
    if replace_if_changed(target, value) {
        cx.record_here(ChangeKind::Replaced);
    }
}

/// Replace `target` with `value` when they differ; whether it did.
fn replace_if_changed<T: PartialEq>(target: &mut T, value: T) -> bool {
    let changed = *target != value;
    if changed {
        *target = value;
    }
    changed
}

/// The methods every whole-value patch form shares: nothing to check, and a value is built
/// from its patch as it is.
macro_rules! whole_value {
    ($storage:expr) => {
        type Patch = Self;

        const __CONJUNGO_CHECK_IS_BUILD: bool = true;

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
    if cx.options().has_custom()
        && let Some(f) = T::custom_fn(cx.options())
    {
        // The function's result is what is stored.
        return cx.custom_stored(target, target.try_clone(), patch.try_clone(), f, |r, cx| {
            if storage { storable(r, cx) } else { Ok(()) }
        });
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

/// Whether MongoDB reads `segment` as a field name of a document when it appears after the
/// first segment of a dotted path: not empty, no `$` prefix, no `.`, no NUL, and not all
/// digits (MongoDB would read those as array indexes where the parent is an array).
pub fn addressable(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.first().is_none_or(|&b| b == b'$') || bytes.iter().all(u8::is_ascii_digit) {
        return false;
    }
    !crate::scan::contains_either(bytes, b'.', 0)
}

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

/// `null` given for a field that is not an `Option`.
pub fn null_on_required() -> Error {
    Error::new(ErrorKind::NullOnRequired)
}

#[cfg(feature = "json")]
mod dynamic;
mod leaves;
mod maps;
mod seqs;
mod wrappers;

#[cfg(test)]
mod tests {
    /// The one-pass `addressable` says what the rule says, on every string of up to three
    /// characters from a set that reaches each clause.
    #[test]
    fn addressable_is_the_rule() {
        let rule = |s: &str| {
            !s.is_empty()
                && !s.starts_with('$')
                && !s.contains('.')
                && !s.contains('\0')
                && !s.bytes().all(|b| b.is_ascii_digit())
        };
        let alphabet = ["", "a", "7", "$", ".", "\0", "é", "_"];
        let mut checked = 0;
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(super::addressable(&s), rule(&s), "{s:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 512);
    }
}
