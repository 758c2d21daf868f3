//! Schemaless PATCH of bson documents, and the compiler from recorded changes to a
//! minimal MongoDB update document.

use bson::{Bson, Document};
use serde_json::Value;

use super::{Change, ChangeKind, Limits, Patchable, body, pointer};
use crate::Check;
use crate::cx::RawChange;
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
    /// Every change, in the order it was made, each with its JSON Pointer.
    pub changes: Vec<Change>,
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
/// functions. A failing patch changes nothing.
///
/// ```
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
/// assert_eq!((err.http_status(), err.path()), (403, "/_id"));
/// let err = patch::parse::<UserPatch>(br#"{"name": null}"#).unwrap_err();
/// assert_eq!((err.http_status(), err.path()), (422, "/name"));
/// ```
pub fn apply<T: Patchable>(
    target: &mut T,
    patch: T::Patch,
    options: &Options,
) -> Result<Applied, Error> {
    let mut check = Check::new(options);
    target.check_patch(&patch, &mut check)?;
    let mut apply = check.into_apply();
    apply.start_recording();
    target.apply_patch(patch, &mut apply)?;
    Ok(compile(None, apply.take_changes()))
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
/// assert_eq!(err.http_status(), 403);
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
    for (key, _) in map.iter() {
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
    let source = crate::bson::document_from_json(map)?;
    let raw = crate::merge_recorded(target, source, options)?;
    Ok(compile(Some(target), raw))
}

fn unreachable_shape<T>() -> Result<T, Error> {
    Err(Error::new(ErrorKind::Malformed {
        message: "expected a JSON object".into(),
    }))
}

use super::typed::addressable;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Set,
    Unset,
    Push(usize),
}

fn lookup<'d>(doc: &'d Document, path: &[String]) -> Option<&'d Bson> {
    let (first, rest) = path.split_first()?;
    let mut value = doc.get(first)?;
    for segment in rest {
        value = value.as_document()?.get(segment)?;
    }
    Some(value)
}

fn is_prefix(short: &[String], long: &[String]) -> bool {
    short.len() < long.len() && long[..short.len()] == *short
}

/// Turn the recorded changes of a merge into a MongoDB update. `merged` is the document
/// after the merge: `$set` values and `$push` items are read from it.
///
/// A change recorded with its value (typed patches) uses that value; the others read it from
/// `merged` (`None` for typed patches, which record every value).
pub(crate) fn compile(merged: Option<&Document>, raw: Vec<RawChange>) -> Applied {
    let mut ops: Vec<(Vec<String>, Op, Option<Bson>)> = Vec::with_capacity(raw.len());
    let mut changes = Vec::with_capacity(raw.len());
    for change in raw {
        changes.push(Change {
            path: pointer(&change.segments),
            kind: change.kind,
            count: change.count,
        });
        let segments = change.segments;
        let value = change.value;
        let cut = segments
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| !addressable(s))
            .map(|(i, _)| i);
        let op = match (cut, change.kind) {
            (Some(i), _) => (segments[..i].to_vec(), Op::Set, None),
            (None, ChangeKind::Added | ChangeKind::Replaced) => (segments, Op::Set, value),
            (None, ChangeKind::Removed) => (segments, Op::Unset, None),
            (None, ChangeKind::Appended) => (segments, Op::Push(change.count), value),
        };
        ops.push(op);
    }

    // No two operators on overlapping paths. Sorted, a path's descendants follow it: they
    // become part of a whole-value `$set` of the ancestor; equal paths keep one operator.
    ops.sort_by(|a, b| a.0.cmp(&b.0));
    let mut kept: Vec<(Vec<String>, Op, Option<Bson>)> = Vec::with_capacity(ops.len());
    for (path, op, value) in ops {
        if let Some((last, last_op, last_value)) = kept.last_mut() {
            if *last == path {
                if *last_op == op {
                    // The later record holds the later value.
                    if value.is_some() {
                        *last_value = value;
                    }
                } else {
                    *last_op = Op::Set;
                    *last_value = None;
                }
                continue;
            }
            if is_prefix(last, &path) {
                if *last_op != Op::Set {
                    *last_op = Op::Set;
                    *last_value = None;
                }
                continue;
            }
        }
        kept.push((path, op, value));
    }

    let (mut set, mut unset, mut push) = (Document::new(), Document::new(), Document::new());
    for (path, op, value) in kept {
        let dotted = path.join(".");
        let current = || merged.and_then(|m| lookup(m, &path)).cloned();
        match op {
            Op::Set => match value.or_else(current) {
                Some(value) => {
                    set.insert(dotted, value);
                }
                None => {
                    unset.insert(dotted, "");
                }
            },
            Op::Unset => match current() {
                // Recorded as removed but present after the merge: write what is there.
                Some(value) => {
                    set.insert(dotted, value);
                }
                None => {
                    unset.insert(dotted, "");
                }
            },
            Op::Push(count) => match (value, current()) {
                (Some(each @ Bson::Array(_)), _) => {
                    push.insert(dotted, bson::doc! {"$each": each});
                }
                (_, Some(Bson::Array(items))) if count <= items.len() => {
                    let each: Vec<Bson> = items[items.len() - count..].to_vec();
                    push.insert(dotted, bson::doc! {"$each": each});
                }
                (_, Some(value)) => {
                    set.insert(dotted, value);
                }
                (_, None) => {
                    unset.insert(dotted, "");
                }
            },
        }
    }
    let mut update = Document::new();
    for (operator, fields) in [("$set", set), ("$unset", unset), ("$push", push)] {
        if !fields.is_empty() {
            update.insert(operator, fields);
        }
    }
    Applied { update, changes }
}
