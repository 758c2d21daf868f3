//! Schemaless PATCH of bson documents, and the compiler from recorded changes to a
//! minimal MongoDB update document.

use bson::Document;
use serde_json::Value;

use serde::Serialize;

use super::extract::{self, Found, Node, Op, unstorable};
use super::{Change, ChangeKind, Limits, Patchable, body, pointer, size};
use crate::Check;
use crate::cx::{RawChange, Segment};
use crate::{Error, ErrorKind, Options};

/// The result of a PATCH: the MongoDB update that turns the stored document into the
/// merged one, and what changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Applied {
    /// The update document: `$set` (dotted paths; a whole value where a kind changes, a
    /// sequence is replaced or reordered, or a key cannot be addressed by a path),
    /// `$unset`, `$push` with `$each`. Never two operators on overlapping paths; empty
    /// when nothing changed (send no update then).
    pub update: Document,
    /// Every change, in the order it was made, each with its JSON Pointer. A typed patch
    /// makes the changes of a struct's fields in the order of their serde names and those
    /// of a map in the order of its keys, so the same patch gives the same list every
    /// time (a `HashMap` iterates in a random order); a schemaless one follows the body,
    /// whose members are in key order.
    pub changes: Vec<Change>,
    /// The `arrayFilters` of the update (the driver takes them as an option of the write,
    /// e.g. `UpdateOptions::array_filters`): one per item of a keyed list the update
    /// changes in place, named `k0`, `k1`, … in the update's `$[k0]` paths. Empty when
    /// none are needed.
    pub array_filters: Vec<Document>,
    /// What the write's query must also match for the update to be safe: for a type with
    /// a `#[merge(version)]` field, `{"<version field>": <version as read>}`; empty
    /// otherwise. Add it to the query (e.g. `{"_id": id}` + `filter`): if another writer
    /// got there first, nothing matches and nothing is written (see the README's
    /// concurrency section).
    pub filter: Document,
}

impl Applied {
    /// True when the patch changed nothing (no changes, an empty update).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Apply a typed patch (a generated `<Name>Patch`, usually from [`parse`](super::parse))
/// to `target`, and return the MongoDB update that turns the stored (serialized) `target`
/// into the patched one, and the changes. Paths are serde names.
///
/// Checked before anything changes: `null` on required fields, nested values built from
/// the patch that miss required fields, kind mismatches in JSON/bson fields, custom
/// functions, changes of `#[merge(immutable)]` fields, and that bson can store every value
/// the patch writes (each value serialized as serde stores it: through a field's
/// `serialize_with`, and the merged value of a strategy field that has one, or the result
/// of a custom function). A failing patch changes nothing.
///
/// One failure cannot be seen before the change: a `Serialize` impl written by hand that
/// refuses a combination of fields, each fine alone, fails when the update is compiled.
/// Give such a type a validator (`#[merge(validate = …)]`), and it is patched on a copy
/// that replaces `target` only when everything succeeded.
///
/// A type with validators (`#[merge(validate = …)]` on it or on the structs it holds,
/// [`Options::validate`]) is patched on a copy, validated, and the copy replaces `target`
/// only when valid: otherwise the error is [`ErrorKind::Invalid`] with every problem.
///
/// ```
/// # #[cfg(all(feature = "derive", feature = "bson"))] {
/// use conjungo::{patch, Merge};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Merge, Serialize, Deserialize, Debug, PartialEq)]
/// #[merge(patch)]
/// struct User {
///     #[merge(skip)]
///     #[serde(rename = "_id")]
///     id: u32,
///     name: String,
///     nick: Option<String>,
///     roles: Vec<String>,
/// }
///
/// let mut user = User { id: 1, name: "ann".into(), nick: None, roles: vec!["dev".into()] };
/// let body = br#"{"nick": "a", "roles": ["ops"]}"#;
/// let patch: UserPatch = patch::parse(body).unwrap();
/// let applied = patch::apply(&mut user, patch, &conjungo::Options::default()).unwrap();
/// assert_eq!(user.nick.as_deref(), Some("a"));
/// assert_eq!(user.roles, ["dev", "ops"]);
/// assert_eq!(applied.update, bson::doc! {
///     "$set": {"nick": "a"},
///     "$push": {"roles": {"$each": ["ops"]}},
/// });
///
/// let err = patch::parse::<UserPatch>(br#"{"_id": 2}"#).unwrap_err();
/// assert_eq!((err.http_status(), err.path()), (422, "/_id"));
/// let err = patch::parse::<UserPatch>(br#"{"name": null}"#).unwrap_err();
/// assert_eq!((err.http_status(), err.path()), (422, "/name"));
/// # }
/// ```
pub fn apply<T: Patchable + Serialize>(
    target: &mut T,
    patch: T::Patch,
    options: &Options,
) -> Result<Applied, Error> {
    T::check_root(&patch)?;
    // The version as read, before anything changes (and whether it can be incremented).
    let version = match target.__conjungo_version() {
        Some((name, v)) => {
            let (read, one) = v.stored().ok_or_else(|| {
                Error::new(ErrorKind::Unstorable {
                    message: "the version cannot be stored as a BSON integer".into(),
                })
                .at_key(name)
            })?;
            if !v.can_bump() {
                return Err(Error::new(ErrorKind::Unstorable {
                    message: "the version is at its type's maximum".into(),
                })
                .at_key(name));
            }
            Some((name, read, one))
        }
        None => None,
    };
    let validator = T::__conjungo_validator(options);
    if !T::VALIDATES && validator.is_none() {
        let mut applied = apply_in_place(target, patch, options)?;
        versioned(target, &mut applied, version);
        return Ok(applied);
    }
    // Validated: the patch is applied to a copy, which replaces the target once valid.
    let mut copy = target.__conjungo_copy().ok_or_else(|| {
        Error::custom(format!(
            "`{}` is validated after a patch, which is applied to a copy first, \
             but it cannot be copied: implement `Clone` for it",
            std::any::type_name::<T>()
        ))
    })?;
    let mut applied = apply_in_place(&mut copy, patch, options)?;
    validated(&copy, validator)?;
    versioned(&mut copy, &mut applied, version);
    *target = copy;
    Ok(applied)
}

/// The version field's part of a patch: the filter on the version as read, and when the
/// patch changed anything, the version incremented in the value and by `$inc` in the update.
fn versioned<T: Patchable>(
    target: &mut T,
    applied: &mut Applied,
    version: Option<(&'static str, bson::Bson, bson::Bson)>,
) {
    let Some((name, read, one)) = version else {
        return;
    };
    applied.filter = bson::doc! {name: read};
    if applied.changes.is_empty() {
        return;
    }
    if let Some(v) = target.__conjungo_version_mut() {
        v.bump();
    }
    applied.update.insert("$inc", bson::doc! {name: one});
    applied.changes.push(Change {
        path: pointer(&[name.to_owned()]),
        kind: ChangeKind::Replaced,
        count: 0,
    });
}

/// The `#[merge(version)]` field of `value` (`None`: it has none, or it is beyond `i64`).
///
/// ```
/// # #[cfg(all(feature = "derive", feature = "bson"))] {
/// # use conjungo::{patch, Merge};
/// # use serde::{Deserialize, Serialize};
/// #[derive(Merge, Serialize, Deserialize)]
/// #[merge(patch)]
/// struct Doc { title: String, #[merge(version)] v: i64 }
///
/// assert_eq!(patch::version(&Doc { title: "a".into(), v: 3 }), Some(3));
/// # }
/// ```
pub fn version<T: Patchable>(value: &T) -> Option<i64> {
    value.__conjungo_version().and_then(|(_, v)| v.current())
}

/// Check the version a client expects (e.g. from an `If-Match: "3"` header, the ETag a
/// `GET` returned) against the stored value's `#[merge(version)]` field, before applying
/// its patch: [`ErrorKind::VersionMismatch`] (HTTP 412 Precondition Failed) when they
/// differ or the type has no version field.
///
/// This refuses a client that read an old version; a writer racing between your read and
/// your write is caught by [`Applied::filter`] (the write matches nothing).
///
/// ```
/// # #[cfg(all(feature = "derive", feature = "bson"))] {
/// use conjungo::{patch, Merge, Options};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Merge, Serialize, Deserialize, Debug)]
/// #[merge(patch)]
/// struct Doc { title: String, #[merge(version)] v: i64 }
///
/// let mut stored = Doc { title: "a".into(), v: 3 };
/// let if_match = "\"3\"";
/// let expected: i64 = if_match.trim_matches('"').parse().unwrap();
/// patch::check_version(&stored, expected).unwrap();
///
/// let p: DocPatch = patch::parse(br#"{"title": "b"}"#).unwrap();
/// let applied = patch::apply(&mut stored, p, &Options::default()).unwrap();
/// assert_eq!(stored.v, 4);
/// assert_eq!(applied.filter, bson::doc! {"v": 3_i64});
/// assert_eq!(applied.update, bson::doc! {"$set": {"title": "b"}, "$inc": {"v": 1_i64}});
///
/// let err = patch::check_version(&stored, 3).unwrap_err();
/// assert_eq!(err.http_status(), 412);
/// # }
/// ```
pub fn check_version<T: Patchable>(value: &T, expected: i64) -> Result<(), Error> {
    let found = version(value);
    if found == Some(expected) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::VersionMismatch { expected, found }))
    }
}

/// Every problem the validators of a merged value find (its own hooks, then the one
/// registered in the options).
fn validated<T: Patchable>(
    value: &T,
    registered: Option<&crate::ValidateFn<T>>,
) -> Result<(), Error> {
    let own = value.validate_merged().err().map(Error::into_problems);
    let registered = registered
        .and_then(|f| f(value).err())
        .map(Error::into_problems);
    Error::invalid(own.into_iter().chain(registered).flatten())
}

fn apply_in_place<T: Patchable + Serialize>(
    target: &mut T,
    patch: T::Patch,
    options: &Options,
) -> Result<Applied, Error> {
    let mut check = Check::new(options);
    check.set_storage_check(true);
    target.check_patch(&patch, &mut check)?;
    let mut apply = check.into_apply();
    apply.start_recording();
    // A custom function, or a type serde does not store as its fields, may replace the
    // whole document: the update then needs the keys it had.
    let before_keys = if options.has_custom() || T::__CONJUNGO_STORED_WHOLE {
        Some(extract::top_level_keys(&*target)?)
    } else {
        None
    };
    target.apply_patch(patch, &mut apply)?;
    compile(Merged::Typed(&*target), apply.take_changes(), before_keys)
}

/// Apply an untrusted JSON PATCH body to a stored document: validate the body (an object;
/// no key that starts with `$` or contains `.` or NUL; no empty top-level key; depth at
/// most 100; no `_id`), merge it with `options` (use [`Options::merge_patch`] for
/// RFC 7396), and return the update and the changes.
///
/// A rejected body or a failing merge changes nothing.
///
/// ```
/// use bson::doc;
/// use conjungo::{patch, Options};
/// use serde_json::json;
///
/// let mut stored = doc! {"_id": 7, "name": "api", "labels": {"env": "dev", "team": "a"}};
/// let applied = patch::apply_document(
///     &mut stored,
///     json!({"labels": {"env": "prod", "team": null}, "tier": 2}),
///     &Options::merge_patch(),
/// ).unwrap();
/// assert_eq!(stored, doc! {"_id": 7, "name": "api", "labels": {"env": "prod"}, "tier": 2});
/// assert_eq!(applied.update, doc! {
///     "$set": {"labels.env": "prod", "tier": 2},
///     "$unset": {"labels.team": ""},
/// });
/// assert_eq!(applied.changes.len(), 3);
///
/// let err = patch::apply_document(&mut stored, json!({"$set": {"x": 1}}), &Options::merge_patch())
///     .unwrap_err();
/// assert_eq!(err.http_status(), 422);
/// ```
pub fn apply_document(
    target: &mut Document,
    body: Value,
    options: &Options,
) -> Result<Applied, Error> {
    apply_document_with(target, body, options, &Limits::default())
}

/// [`apply_document`] with explicit [`Limits`] (depth, protected top-level fields).
pub fn apply_document_with(
    target: &mut Document,
    body: Value,
    options: &Options,
    limits: &Limits,
) -> Result<Applied, Error> {
    body::validate_body(&body, limits)?;
    let Value::Object(map) = body else {
        unreachable_shape()?
    };
    top_level_keys(map.keys(), limits)?;
    // Deletions alone too many for one update: refused before the body is converted.
    if size::deletions_lower_bound(target, &map, options) > limits.max_update_bytes {
        return Err(update_too_large(limits));
    }
    let strip_new_nulls = options.nulls == crate::NullStrategy::Delete;
    let source = crate::bson::patch_document(map, target, strip_new_nulls)?;
    apply_converted(target, source, options, limits)
}

/// [`apply_document`] of a body still in its bytes, as a handler receives it: the same
/// checks, result and errors as parsing the bytes into a `Value` (size, UTF-8 and syntax
/// errors as [`parse`](super::parse) reports them) and calling [`apply_document`], in one
/// pass over the body instead of three (parse, gate, conversion to bson), with the default
/// [`Limits`].
///
/// ```
/// use bson::doc;
/// use conjungo::{patch, Options};
///
/// let mut stored = doc! {"_id": 7, "n": 5_i64, "labels": {"env": "dev", "team": "a"}};
/// let applied = patch::apply_document_slice(
///     &mut stored,
///     br#"{"labels": {"team": null}, "n": 6}"#,
///     &Options::merge_patch(),
/// ).unwrap();
/// // The stored `Int64` stays an `Int64`.
/// assert_eq!(stored, doc! {"_id": 7, "n": 6_i64, "labels": {"env": "dev"}});
/// assert_eq!(applied.update, doc! {"$set": {"n": 6_i64}, "$unset": {"labels.team": ""}});
///
/// let err = patch::apply_document_slice(&mut stored, b"{\"n\": }", &Options::merge_patch())
///     .unwrap_err();
/// assert_eq!(err.http_status(), 400);
/// let err = patch::apply_document_slice(&mut stored, br#"{"a": {"$where": 1}}"#, &Options::merge_patch())
///     .unwrap_err();
/// assert_eq!((err.path(), err.http_status()), ("/a/$where", 422));
/// ```
pub fn apply_document_slice(
    target: &mut Document,
    body: &[u8],
    options: &Options,
) -> Result<Applied, Error> {
    apply_document_slice_with(target, body, options, &Limits::default())
}

/// [`apply_document_slice`] with explicit [`Limits`].
pub fn apply_document_slice_with(
    target: &mut Document,
    body: &[u8],
    options: &Options,
    limits: &Limits,
) -> Result<Applied, Error> {
    let fast = if body.len() <= limits.max_body_bytes {
        super::slice::read(body, target, options, limits)
            .filter(|body| top_level_keys(body.keys(), limits).is_ok())
    } else {
        None
    };
    match fast {
        // Refused before anything is built (the `Value` path refuses the same bodies, by
        // `deletions_lower_bound` or the same bounds).
        Some(body) if body.bounds.lower > limits.max_update_bytes => Err(update_too_large(limits)),
        // The RFC 7396 walk takes the members as read, without building them first.
        Some(body) if super::rfc::takes(options, limits, body.bounds, body.keys()) => {
            Ok(super::rfc::apply(target, body.into_members()))
        }
        Some(body) => {
            let bounds = body.bounds;
            let source = body.into_document();
            debug_assert_eq!(bounds, size::bounds(target, &source, options));
            apply_bounded(target, source, bounds, options, limits)
        }
        // Refused by the one-pass reader: the `Value` path finds and names the problem.
        None => {
            let value = body::read_body(body, limits)?;
            apply_document_with(target, value, options, limits)
        }
    }
}

/// The top-level rules of a schemaless body: no empty key, no protected field.
fn top_level_keys<'k>(
    keys: impl Iterator<Item = &'k String>,
    limits: &Limits,
) -> Result<(), Error> {
    for key in keys {
        if key.is_empty() {
            return Err(Error::new(ErrorKind::ForbiddenKey {
                key: String::new(),
                reason: "an empty top-level key cannot be addressed by a MongoDB update",
            })
            .at_key(key));
        }
        if limits.protected.iter().any(|p| p == key) {
            return Err(Error::new(ErrorKind::ProtectedField { field: key.clone() }).at_key(key));
        }
    }
    Ok(())
}

fn update_too_large(limits: &Limits) -> Error {
    Error::new(ErrorKind::UpdateTooLarge {
        limit: limits.max_update_bytes,
    })
}

/// Merge a gated body, converted to bson, into `target`, unless its update cannot fit or
/// the result is invalid (then nothing changes).
fn apply_converted(
    target: &mut Document,
    source: Document,
    options: &Options,
    limits: &Limits,
) -> Result<Applied, Error> {
    let bounds = size::bounds(target, &source, options);
    apply_bounded(target, source, bounds, options, limits)
}

/// [`apply_converted`] with the bounds of the update known.
fn apply_bounded(
    target: &mut Document,
    source: Document,
    bounds: size::Bounds,
    options: &Options,
    limits: &Limits,
) -> Result<Applied, Error> {
    let limit = limits.max_update_bytes;
    if bounds.lower > limit {
        return Err(update_too_large(limits));
    }
    let before_keys = options
        .has_custom()
        .then(|| target.keys().cloned().collect());
    if super::rfc::takes(options, limits, bounds, source.keys()) {
        return Ok(super::rfc::apply(target, source.into_iter()));
    }
    let validator = options.validator::<Document>();
    if validator.is_none() && bounds.upper.is_some_and(|upper| upper <= limit) {
        let raw = crate::merge_recorded(target, source, options)?;
        return compile(Merged::<Document>::Document(target), raw, before_keys);
    }
    // Validated, or the update may or may not fit: merge a copy, and keep it only if it is
    // valid and its update fits.
    let mut merged = target.clone();
    let raw = crate::merge_recorded(&mut merged, source, options)?;
    let applied = compile(Merged::<Document>::Document(&merged), raw, before_keys)?;
    validated(&merged, validator)?;
    if size::document_size(&applied.update) > limit {
        return Err(update_too_large(limits));
    }
    *target = merged;
    Ok(applied)
}

fn unreachable_shape<T>() -> Result<T, Error> {
    Err(Error::new(ErrorKind::Malformed {
        message: "expected a JSON object".into(),
    }))
}

/// Where a recorded change is written in the update: its own path, or the nearest parent
/// MongoDB can address by a dotted path (a numeric or empty key below the top level, which
/// MongoDB would read as an array index or cannot name, makes the parent a whole `$set`).
fn placed(segments: &[Segment], kind: ChangeKind, count: usize) -> Result<(&[Segment], Op), Error> {
    top_level(segments)?;
    Ok(extract::op_of(segments, kind, count))
}

/// A change's place must be below a top-level key an update can set.
fn top_level(segments: &[Segment]) -> Result<(), Error> {
    let Some(first) = segments.first() else {
        return Err(unstorable(
            "the whole document would be replaced: an update can only change its fields",
        ));
    };
    super::typed::top_level_key(first)
}

/// The merged value the update's values are read from.
pub(crate) enum Merged<'a, T: ?Sized> {
    /// A typed value: read through serde (see [`extract`](super::extract)).
    Typed(&'a T),
    /// A bson document: read by lookups.
    Document(&'a Document),
}

/// Turn the recorded changes of a merge into a MongoDB update whose values are what serde
/// stores for the merged value at each changed place.
///
/// Fails (and the caller must not write) when a value cannot be stored as BSON, or when
/// serde stores no value where a change was recorded.
pub(crate) fn compile<T: Serialize + ?Sized>(
    merged: Merged<'_, T>,
    mut raw: Vec<RawChange>,
    before_keys: Option<Vec<String>>,
) -> Result<Applied, Error> {
    // A custom function that replaced the whole root: every top-level key is set, and the
    // keys that were there before and are gone are unset (`_id` is never written).
    let root_replaced = raw.iter().any(|c| c.segments.is_empty());
    let mut root: Vec<([Segment; 1], ChangeKind)> = Vec::new();
    if root_replaced {
        let before = before_keys.ok_or_else(|| {
            unstorable("the whole document was replaced, and its keys before are unknown")
        })?;
        let after = match &merged {
            Merged::Typed(value) => extract::top_level_keys(*value)?,
            Merged::Document(doc) => doc.keys().cloned().collect(),
        };
        let kept: std::collections::HashSet<&str> = after.iter().map(String::as_str).collect();
        let gone: Vec<String> = before
            .into_iter()
            .filter(|k| !kept.contains(k.as_str()))
            .collect();
        let set = after.into_iter().map(|k| (k, ChangeKind::Replaced));
        let unset = gone.into_iter().map(|k| (k, ChangeKind::Removed));
        root = set
            .chain(unset)
            .filter(|(k, _)| k != "_id")
            .map(|(k, kind)| ([Segment::from(k)], kind))
            .collect();
    }
    // Each change's place, with the value read on the spot (a typed merge's; a schemaless
    // merge reads nothing on the spot), to take when it is written.
    let typed = matches!(merged, Merged::Typed(_)) && !root_replaced;
    let mut values: Vec<&mut Option<Found>> = Vec::with_capacity(if typed { raw.len() } else { 0 });
    let mut ops: Vec<extract::Planned<'_>> = Vec::with_capacity(raw.len().max(root.len()));
    // Whether the places are in path order: known where a change follows its sibling, else
    // compared with the place before.
    let mut sorted = !root_replaced;
    if root_replaced {
        for (key, kind) in &root {
            let (path, op) = placed(key, *kind, 0)?;
            ops.push((path, op, None));
        }
    } else {
        // Changes below one top-level key: the key is asked about once in a row.
        let mut checked: Option<&Segment> = None;
        for change in raw.iter_mut() {
            let (follows, placed) = (change.follows, change.placed.is_some());
            let ((path, op), prefill) = RawChange::place_and_prefill(change);
            if !placed {
                // Not placed: the place is the change's path or a part of it from the top.
                let first = path.first();
                if first.is_none() || first != checked {
                    top_level(path)?;
                    checked = first;
                }
            }
            if sorted && !follows {
                sorted = ops
                    .last()
                    .is_none_or(|last| extract::in_order(last.0, path));
            }
            let value = (typed && prefill.is_some()).then_some(values.len());
            if typed {
                values.push(prefill);
            }
            ops.push((path, op, value));
        }
    }

    let mut out = Update::default();
    let ops = extract::resolve(ops, sorted);
    match merged {
        // Values are found by lookups along each path (a schemaless merge reads nothing on
        // the spot, and a lookup finds it anyway).
        Merged::Document(doc) => {
            let mut covered: Option<&[Segment]> = None;
            for (path, op, _) in ops {
                if covered.is_some_and(|c| path.starts_with(c)) {
                    continue;
                }
                let (at, found) = extract::lookup(doc, path, op);
                if at.len() < path.len() {
                    covered = Some(at);
                }
                out.write(at, Some(op), found)?;
            }
        }
        // The walk of the merged value reads only what was not read on the spot (changes
        // of struct fields; map entries and dynamic values are read where they change):
        // only those places go in its tree, and every value is written in path order.
        Merged::Typed(value) => {
            let mut walked = Node::default();
            for &(path, op, at) in &ops {
                if at.is_none() {
                    walked.insert(path, op, None);
                }
            }
            extract::from_serialize(&mut walked, value)?;
            if walked.taken_above() {
                // Serde stores a value taken whole (not a document) or nothing above some
                // changed place: the tree of every place decides what is written.
                let mut tree = Node::default();
                for (path, op, at) in ops {
                    tree.insert(path, op, at.and_then(|i| values[i].take()));
                }
                extract::from_serialize(&mut tree, value)?;
                let mut path = Vec::new();
                for (key, node) in tree.children {
                    emit(key, node, &mut path, &mut out)?;
                }
            } else {
                for (path, op, at) in ops {
                    let found = match at {
                        Some(i) => values[i].take().unwrap_or_default(),
                        None => walked.take_found(path),
                    };
                    out.write(path, Some(op), found)?;
                }
            }
        }
    }
    // One filter per identifier (each change of an item carries its item's filter).
    let mut array_filters: Vec<Document> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for change in &mut raw {
        if let Some(filter) = change.placed.as_mut().and_then(|p| p.array_filter.take())
            && filter.keys().next().is_some_and(|k| seen.insert(k.clone()))
        {
            array_filters.push(filter);
        }
    }
    // A filter whose identifier the update does not use (its change was folded into a
    // whole-value `$set` of a parent) would make MongoDB refuse the update.
    let update = out.into_document();
    if !array_filters.is_empty() {
        let used = identifiers(&update);
        array_filters.retain(|f| {
            f.keys()
                .next()
                .and_then(|k| k.split('.').next())
                .is_some_and(|id| used.contains(id))
        });
    }
    // Taken by reference: a recorded change is large, and moving each one out costs more
    // than the new list.
    let changes = raw
        .iter_mut()
        .map(|change| Change {
            path: std::mem::take(&mut change.pointer),
            kind: change.kind,
            count: change.count,
        })
        .collect();
    Ok(Applied {
        update,
        changes,
        array_filters,
        filter: Document::new(),
    })
}

/// The array filter identifiers an update's paths use (`k0` of `items.$[k0].name`).
fn identifiers(update: &Document) -> std::collections::HashSet<String> {
    let mut used = std::collections::HashSet::new();
    for (_, fields) in update {
        if let bson::Bson::Document(fields) = fields {
            for path in fields.keys() {
                for segment in path.split('.') {
                    if let Some(id) = segment.strip_prefix("$[").and_then(|s| s.strip_suffix(']')) {
                        used.insert(id.to_owned());
                    }
                }
            }
        }
    }
    used
}

#[derive(Default)]
struct Update {
    set: Document,
    unset: Document,
    push: Document,
    add_to_set: Document,
    pull: Document,
}

impl Update {
    fn into_document(self) -> Document {
        let mut update = Document::new();
        for (operator, fields) in [
            ("$set", self.set),
            ("$unset", self.unset),
            ("$push", self.push),
            ("$addToSet", self.add_to_set),
            ("$pull", self.pull),
        ] {
            if !fields.is_empty() {
                update.insert(operator, fields);
            }
        }
        update
    }
}

impl Update {
    /// Write what was found at `path` (an operation's place, or an inner place whose value
    /// is taken whole) with the operation `op` there (`None`: an inner place).
    fn write<S: AsRef<str>>(
        &mut self,
        path: &[S],
        op: Option<Op>,
        found: Found,
    ) -> Result<(), Error> {
        match (op, found) {
            (_, Found::Skipped) | (Some(Op::Unset), Found::Unreached) => {
                self.unset.insert(dotted(path), "");
            }
            (Some(Op::Push(_)), Found::Items(items)) => {
                if !items.is_empty() {
                    self.push.insert(dotted(path), bson::doc! {"$each": items});
                }
            }
            (Some(Op::AddToSet), Found::Items(items)) => {
                if !items.is_empty() {
                    self.add_to_set
                        .insert(dotted(path), bson::doc! {"$each": items});
                }
            }
            (Some(Op::Pull), Found::Value(condition)) => {
                self.pull.insert(dotted(path), condition);
            }
            (_, Found::Value(value)) => {
                self.set.insert(dotted(path), value);
            }
            (_, Found::Unreached | Found::Items(_)) => {
                let mut e =
                    unstorable("serde stores no value at this place, where the patch changed one");
                for segment in path.iter().rev() {
                    e = e.at_key(segment.as_ref());
                }
                return Err(e);
            }
        }
        Ok(())
    }
}

/// The segments of a path joined with `.`, as an update names the place.
fn dotted<S: AsRef<str>>(path: &[S]) -> String {
    let len = path.iter().map(|s| s.as_ref().len() + 1).sum::<usize>();
    let mut out = String::with_capacity(len.saturating_sub(1));
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(segment.as_ref());
    }
    out
}

/// The operator of one node of the change tree (and of its descendants). The tree is
/// consumed: its values move into the update.
fn emit<'k>(
    key: &'k str,
    node: Node<'k>,
    path: &mut Vec<&'k str>,
    out: &mut Update,
) -> Result<(), Error> {
    path.push(key);
    match (node.op, node.found) {
        (None, Found::Unreached) => {
            for (key, child) in node.children {
                emit(key, child, path, out)?;
            }
        }
        (op, found) => out.write(path, op, found)?,
    }
    path.pop();
    Ok(())
}
