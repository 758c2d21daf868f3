//! Differences between two bson values as update operations: the fields to `$set` (by
//! dotted path) and to `$unset`, walking documents whose keys a path can name and taking
//! everything else (arrays, values of another kind, documents with keys a path cannot
//! name) whole.

use bson::Bson;

use super::typed::addressable;

/// Equal, with documents' field order (bson's own `==` ignores the order).
pub(crate) fn same(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Document(x), Bson::Document(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

/// The operations that turn `before` into `after` at `path` (relative): `Some(value)` is a
/// `$set`, `None` an `$unset`. A field that moves within its document (same value, other
/// position) is not an operation: MongoDB keeps a replaced field in place and appends new
/// ones, so documents read back may order fields differently than serde writes them.
pub(crate) fn diff(
    before: &Bson,
    after: &Bson,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<Bson>)>,
) {
    match (before, after) {
        (Bson::Document(old), Bson::Document(new))
            if old.keys().chain(new.keys()).all(|k| addressable(k)) =>
        {
            for (key, value) in new {
                path.push(key.clone());
                match old.get(key) {
                    Some(was) => diff(was, value, path, out),
                    None => out.push((path.clone(), Some(value.clone()))),
                }
                path.pop();
            }
            for key in old.keys() {
                if !new.contains_key(key) {
                    path.push(key.clone());
                    out.push((path.clone(), None));
                    path.pop();
                }
            }
        }
        _ if same(before, after) => {}
        _ => out.push((path.clone(), Some(after.clone()))),
    }
}

/// The MongoDB update that turns the stored document `old` into `new`, and the changes,
/// with the update rules of [`apply_document`](super::apply_document): `$set` by dotted
/// path for changed members of documents (recursively), `$unset` for removed ones, `$push`
/// with `$each` for an array that only grew at its end, and a whole-value `$set` where a
/// kind changes, an array changes otherwise, or a document holds keys a path cannot name
/// (empty, numeric, with `.` or a leading `$`). Replaying the update on `old` gives `new`
/// (field order aside: MongoDB appends new fields at the end of their document).
///
/// `_id` is never part of the update (MongoDB refuses to change it), nor are top-level keys
/// no update can name (empty, with `.`, starting with `$`): their changes are left out.
/// [`Applied::filter`](super::Applied::filter) and `array_filters` are empty.
///
/// ```
/// use bson::doc;
///
/// let old = doc! {"_id": 1, "name": "api", "env": {"A": "1", "B": "2"}, "tags": ["a"]};
/// let new = doc! {"_id": 1, "name": "api", "env": {"A": "1", "C": "3"}, "tags": ["a", "b"]};
/// let applied = conjungo::patch::diff_document(&old, &new);
/// assert_eq!(applied.update, doc! {
///     "$set": {"env.C": "3"},
///     "$unset": {"env.B": ""},
///     "$push": {"tags": {"$each": ["b"]}},
/// });
/// let paths: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
/// assert_eq!(paths, ["/env/B", "/env/C", "/tags"]);
/// assert!(conjungo::patch::diff_document(&new, &new).is_empty());
/// ```
pub fn diff_document(old: &bson::Document, new: &bson::Document) -> super::Applied {
    let mut out = Out::default();
    let mut path = Vec::new();
    for (key, was) in old {
        if key != "_id" && super::typed::top_level_key(key).is_ok() && !new.contains_key(key) {
            path.push(key.clone());
            out.unset(&path, was);
            path.pop();
        }
    }
    for (key, value) in new {
        if key == "_id" || super::typed::top_level_key(key).is_err() {
            continue;
        }
        path.push(key.clone());
        match old.get(key) {
            Some(was) => out.walk(was, value, &mut path),
            None => out.set(&path, value, super::ChangeKind::Added),
        }
        path.pop();
    }
    out.into_applied()
}

#[derive(Default)]
struct Out {
    set: bson::Document,
    unset: bson::Document,
    push: bson::Document,
    changes: Vec<super::Change>,
}

impl Out {
    fn walk(&mut self, was: &Bson, value: &Bson, path: &mut Vec<String>) {
        match (was, value) {
            _ if same(was, value) => {}
            (Bson::Document(old), Bson::Document(new))
                if old.keys().chain(new.keys()).all(|k| addressable(k)) =>
            {
                for (key, gone) in old {
                    if !new.contains_key(key) {
                        path.push(key.clone());
                        self.unset(path, gone);
                        path.pop();
                    }
                }
                for (key, value) in new {
                    path.push(key.clone());
                    match old.get(key) {
                        Some(was) => self.walk(was, value, path),
                        None => self.set(path, value, super::ChangeKind::Added),
                    }
                    path.pop();
                }
            }
            (Bson::Array(old), Bson::Array(new))
                if new.len() > old.len() && old.iter().zip(new).all(|(a, b)| same(a, b)) =>
            {
                let tail = new[old.len()..].to_vec();
                self.changes.push(super::Change {
                    path: super::pointer(path),
                    kind: super::ChangeKind::Appended,
                    count: tail.len(),
                });
                self.push.insert(path.join("."), bson::doc! {"$each": tail});
            }
            _ => self.set(path, value, super::ChangeKind::Replaced),
        }
    }

    fn set(&mut self, path: &[String], value: &Bson, kind: super::ChangeKind) {
        self.changes.push(super::Change {
            path: super::pointer(path),
            kind,
            count: 0,
        });
        self.set.insert(path.join("."), value.clone());
    }

    fn unset(&mut self, path: &[String], _was: &Bson) {
        self.changes.push(super::Change {
            path: super::pointer(path),
            kind: super::ChangeKind::Removed,
            count: 0,
        });
        self.unset.insert(path.join("."), "");
    }

    fn into_applied(self) -> super::Applied {
        let mut update = bson::Document::new();
        for (operator, fields) in [
            ("$set", self.set),
            ("$unset", self.unset),
            ("$push", self.push),
        ] {
            if !fields.is_empty() {
                update.insert(operator, fields);
            }
        }
        super::Applied {
            update,
            changes: self.changes,
            array_filters: Vec::new(),
            filter: bson::Document::new(),
        }
    }
}
