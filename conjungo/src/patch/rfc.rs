//! The RFC 7396 PATCH of a stored document in one walk: the merge writes the update and
//! the changes as it goes, where the general path records each change's keys, then sorts
//! the places, looks each value up again in the merged document and builds both paths
//! from the keys.
//!
//! It gives what the general path gives ([`crate::merge_recorded`], then
//! `update::compile`) for the options it takes ([`takes`]): the same document, the same
//! update (members in the same order) and the same changes, in the same order. Why the
//! order comes out the same without a sort: the body's members are in key order (a
//! `serde_json::Map` is sorted, and so is what the one-pass reader builds), and a
//! depth-first walk of a tree whose members are sorted visits places in the order of their
//! paths compared key by key, which is the order the general path sorts them in (a body
//! out of key order, from a `serde_json` built with `preserve_order`, has its update
//! sorted at the end). A property test holds the two paths equal.
//!
//! Nothing here can fail once started: the options make every merge succeed (nulls
//! delete, everything else replaces, no custom function, no validator), the depth of the
//! body was bounded by the gate below the options' depth limit, its top-level keys were
//! checked, and the update was bounded below the limit before the walk (see [`takes`]).

use bson::{Bson, Document};

use super::size::Bounds;
use super::{Change, ChangeKind, Limits, update::Applied};
use crate::impls::dynamic::{DynObject, Dynamic, strip_nulls};
use crate::{Mismatch, NullStrategy, Options, SeqStrategy};

/// Whether a schemaless patch with `options` under `limits`, of a body whose update is
/// within `bounds` and whose top-level members are `keys`, takes this walk: the plain
/// RFC 7396 merge, one that cannot fail — nulls delete, every other value replaces (or is
/// merged into, for two documents), no custom function, no validator of documents, a
/// depth limit no body the gate lets through can reach (the gate refuses bodies deeper
/// than `limits.max_depth`, itself small enough for the recursion), an update that fits
/// whatever the merge finds, and top-level keys an update can name (the gate made sure of
/// it; asked again before a walk that cannot stop halfway).
pub(super) fn takes<'k>(
    options: &Options,
    limits: &Limits,
    bounds: Bounds,
    mut keys: impl Iterator<Item = &'k String>,
) -> bool {
    options.nulls == NullStrategy::Delete
        && options.overwrite
        && options.seq == SeqStrategy::Replace
        && options.mismatch == Mismatch::Replace
        && !options.has_custom()
        && options.validator::<Document>().is_none()
        && limits.max_depth <= crate::DEFAULT_MAX_DEPTH
        && options.max_depth > limits.max_depth + 1
        && bounds
            .upper
            .is_some_and(|upper| upper <= limits.max_update_bytes)
        && keys.all(|key| super::typed::top_level_key(key).is_ok())
}

/// A body's value as the walk takes it: a [`Bson`] (a body converted to a document), or
/// a member of a body read from its bytes and not built yet (see `slice`).
pub(super) trait Source: Sized {
    /// The members of an object, in the body's order.
    type Members: Iterator<Item = (String, Self)>;

    /// Whether this is `null` (the member is removed).
    fn is_null(&self) -> bool;

    /// Whether this is an object (merged into a stored document member by member).
    fn is_object(&self) -> bool;

    /// The members of an object; `None` for any other value.
    fn into_members(self) -> Option<Self::Members>;

    /// The value built whole.
    fn into_bson(self) -> Bson;
}

impl Source for Bson {
    type Members = bson::document::IntoIter;

    fn is_null(&self) -> bool {
        Dynamic::is_null(self)
    }

    fn is_object(&self) -> bool {
        matches!(self, Bson::Document(_))
    }

    fn into_members(self) -> Option<Self::Members> {
        match self {
            Bson::Document(members) => Some(members.into_iter()),
            _ => None,
        }
    }

    fn into_bson(self) -> Bson {
        self
    }
}

/// Merge the members of `source` into `target` by RFC 7396 (see [`takes`]) and return
/// the update and the changes.
pub(super) fn apply<S: Source>(
    target: &mut Document,
    source: impl Iterator<Item = (String, S)>,
) -> Applied {
    let members = source.size_hint().0;
    let mut walk = Walk {
        pointer: String::with_capacity(64),
        dotted: String::with_capacity(64),
        ops: Vec::with_capacity(members),
        changes: Vec::with_capacity(members),
        folded: false,
    };
    walk.object(target, source, true);
    // A body whose members are not in key order (`serde_json` built with
    // `preserve_order`): the update is still in path order, as the general path sorts it.
    // No two operations share a path or are one below the other (a whole `$set` replaced
    // those below it), so the order is total.
    if !walk.ops.is_sorted_by(|a, b| path_order(&a.0, &b.0).is_le()) {
        walk.ops.sort_unstable_by(|a, b| path_order(&a.0, &b.0));
    }
    let mut set = Document::new();
    let mut unset = Document::new();
    for (path, value) in walk.ops {
        match value {
            Some(value) => set.insert(path, value),
            None => unset.insert(path, ""),
        };
    }
    let mut update = Document::new();
    if !set.is_empty() {
        update.insert("$set", set);
    }
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    Applied {
        update,
        changes: walk.changes,
        array_filters: Vec::new(),
        filter: Document::new(),
    }
}

/// The walk's place and what it wrote so far.
struct Walk {
    /// The JSON Pointer of the current place.
    pointer: String,
    /// Its dotted path in an update (meaningless below a key an update cannot name: no
    /// operation is kept there, see [`Walk::object`]).
    dotted: String,
    /// The update's operations in path order: `$set` of a value, or `$unset` (`None`).
    ops: Vec<(String, Option<Bson>)>,
    changes: Vec<Change>,
    /// Below a key an update cannot name (below the top level): a change here makes a
    /// document above a whole `$set`, so nothing here is written in the update (and no
    /// document here is copied for one: a deep body of such keys copies one subtree, not
    /// one per level).
    folded: bool,
}

impl Walk {
    /// Merge the members of `source` into `target` (at the walk's place; `top`: the
    /// document itself), and when a change below a key an update cannot name makes
    /// `target` a whole `$set`, write that instead of the operations below it.
    fn object<S: Source>(
        &mut self,
        target: &mut Document,
        source: impl Iterator<Item = (String, S)>,
        top: bool,
    ) {
        let first_op = self.ops.len();
        // Below the top level, a change under a key an update cannot name (numeric,
        // empty, with `.`) makes this document a whole `$set`.
        let mut whole = false;
        let mut removed: Vec<String> = Vec::new();
        for (key, value) in source {
            let (pointer_len, dotted_len) = (self.pointer.len(), self.dotted.len());
            crate::error::push_segment(&mut self.pointer, &key);
            if !top {
                self.dotted.push('.');
            }
            self.dotted.push_str(&key);
            let changes_before = self.changes.len();
            let named = top || super::typed::addressable(&key);
            let folded = self.folded;
            self.folded |= !named;
            match target.get_mut(&key) {
                Some(_) if value.is_null() => {
                    self.change(ChangeKind::Removed, None);
                    removed.push(key);
                }
                None if value.is_null() => {}
                Some(Bson::Document(have)) if value.is_object() => {
                    if let Some(members) = value.into_members() {
                        self.object(have, members, false);
                    }
                }
                Some(have) => {
                    let value = taken(value);
                    if !have.identical(&value) {
                        self.change(ChangeKind::Replaced, Some(&value));
                        *have = value;
                    }
                }
                None => {
                    let value = taken(value);
                    self.change(ChangeKind::Added, Some(&value));
                    target.insert(key, value);
                }
            }
            self.folded = folded;
            whole |= !named && self.changes.len() > changes_before;
            self.pointer.truncate(pointer_len);
            self.dotted.truncate(dotted_len);
        }
        if !removed.is_empty() {
            target.remove_keys(removed);
        }
        if whole && !self.folded {
            self.ops.truncate(first_op);
            self.ops
                .push((self.dotted.clone(), Some(Bson::Document(target.clone()))));
        }
    }

    /// A change at the current place, and its operation: `$set` of `value`, or `$unset`.
    fn change(&mut self, kind: ChangeKind, value: Option<&Bson>) {
        self.changes.push(Change {
            path: self.pointer.clone(),
            kind,
            count: 0,
        });
        if !self.folded {
            self.ops.push((self.dotted.clone(), value.cloned()));
        }
    }
}

/// Dotted paths in the order of their keys compared one by one: `.` sorts before every
/// byte of a key (the keys of an operation's path have no `.`: below a key with one, the
/// update sets the parent whole).
fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |byte: u8| if byte == b'.' { 0 } else { byte };
    a.bytes().map(key).cmp(b.bytes().map(key))
}

/// A source value taken whole: its documents lose their null members (RFC 7396: a patch
/// object where the target has none is merged into `{}`); arrays are taken verbatim.
fn taken<S: Source>(value: S) -> Bson {
    let mut value = value.into_bson();
    strip_nulls(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use bson::doc;

    use super::*;
    use crate::patch::update::{Merged, compile};

    /// The general path: the merge recorded, then compiled.
    fn general(target: &mut Document, source: Document) -> Applied {
        let raw = crate::merge_recorded(target, source, &Options::merge_patch()).unwrap();
        compile(Merged::<Document>::Document(target), raw, None).unwrap()
    }

    fn bytes(doc: &Document) -> Vec<u8> {
        bson::serialize_to_vec(doc).unwrap()
    }

    /// Members out of key order (what a `serde_json` built with `preserve_order` gives):
    /// the document and the changes follow the body's order, the update is in path order,
    /// as the general path makes them.
    #[test]
    fn members_out_of_key_order_give_what_the_general_path_gives() {
        let stored = doc! {"z": {"b": 1, "a": 2, "c": 3}, "a-": 1, "a": {"b": 1}, "m": 1};
        let sources = [
            doc! {"z": {"c": null, "b": 5, "0": 1}, "m": null, "a": {"c": 2, "b": 2}},
            doc! {"m": 2, "a-": 2, "a": {"b": 3}, "new": {"y": null, "x": 1}},
            doc! {"z": {"c": 4, "a": null}, "a": 7},
        ];
        for source in &sources {
            let (mut walked, mut expected) = (stored.clone(), stored.clone());
            let got = apply(&mut walked, source.clone().into_iter());
            let want = general(&mut expected, source.clone());
            assert_eq!(bytes(&walked), bytes(&expected), "{source}");
            assert_eq!(bytes(&got.update), bytes(&want.update), "{source}");
            assert_eq!(got, want, "{source}");
        }
        // The second source written out: `a-` sorts after `a.b`, as keys compared one by
        // one (`a` < `a-`), not as dotted text (`-` < `.`).
        let mut doc = stored.clone();
        let got = apply(&mut doc, sources[1].clone().into_iter());
        assert_eq!(
            got.update,
            doc! {"$set": {"a.b": 3, "a-": 2, "m": 2, "new": {"x": 1}}}
        );
        let keys: Vec<&String> = got.update.get_document("$set").unwrap().keys().collect();
        assert_eq!(keys, ["a.b", "a-", "m", "new"]);
    }
}
