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
