//! JSON: RFC 7396 JSON Merge Patch and helpers for `serde_json::Value`.
//!
//! `Merge` is implemented for [`Value`] and [`Map`](serde_json::Map) with conjungo's rules
//! (objects deep, arrays by [`SeqStrategy`](crate::SeqStrategy), nulls by
//! [`NullStrategy`](crate::NullStrategy), kind changes by [`Mismatch`](crate::Mismatch)).

use serde_json::Value;

use crate::{Error, Kind, Options};

/// Apply an RFC 7396 JSON Merge Patch to `target`, exactly: a non-object patch replaces
/// the target, `null` members delete, arrays replace, an object patch on a non-object
/// target replaces it with the patch minus its nulls.
///
/// The only error is nesting deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH)
/// objects, and then `target` is unchanged. The patch is moved in, never cloned.
///
/// ```
/// use serde_json::json;
///
/// let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
/// conjungo::json::merge_patch(&mut target, json!({"a": "z", "c": {"f": null}})).unwrap();
/// assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
/// ```
pub fn merge_patch(target: &mut Value, patch: Value) -> Result<(), Error> {
    crate::merge(target, patch, &Options::merge_patch())
}

/// The [`Kind`] of a JSON value; integers and floats are both [`Kind::Number`].
pub fn kind(value: &Value) -> Kind {
    match value {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

/// The smallest RFC 7396 merge patch that turns `old` into `new`: the members that
/// changed, `null` for the removed ones, nested objects diffed member by member, and
/// everything else (arrays, values of another kind, a non-object root) whole. `diff(x, x)`
/// is `{}`, the patch that changes nothing.
///
/// `merge_patch(&mut old, diff(&old, &new))` gives `new` whenever RFC 7396 can express
/// the change. It cannot create a `null` member of an object (a `null` in a merge patch
/// deletes, and an object added whole loses its `null` members): where `new` has a `null`
/// member that `old` does not have at the same place, the result is `new` without it,
/// the closest any merge patch gets (a member `old` has with another value is deleted).
/// `null`s inside arrays and `null` members `old` already has are kept (arrays are replaced
/// verbatim; unchanged members are not in the patch).
///
/// ```
/// use serde_json::json;
///
/// let old = json!({"name": "api", "tags": ["a"], "env": {"A": "1", "B": "2"}, "tier": 1});
/// let new = json!({"name": "api", "tags": ["a", "b"], "env": {"A": "1", "C": "3"}});
/// let patch = conjungo::json::diff(&old, &new);
/// assert_eq!(patch, json!({"tags": ["a", "b"], "env": {"B": null, "C": "3"}, "tier": null}));
///
/// let mut merged = old.clone();
/// conjungo::json::merge_patch(&mut merged, patch).unwrap();
/// assert_eq!(merged, new);
/// assert_eq!(conjungo::json::diff(&new, &new), json!({}));
/// ```
pub fn diff(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => Value::Object(diff_objects(old, new)),
        _ => new.clone(),
    }
}

fn diff_objects(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for key in old.keys() {
        if !new.contains_key(key) {
            out.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in new {
        match (old.get(key), value) {
            (Some(was), value) if was == value => {}
            (Some(Value::Object(was)), Value::Object(value)) => {
                let inner = diff_objects(was, value);
                if !inner.is_empty() {
                    out.insert(key.clone(), Value::Object(inner));
                }
            }
            // A `null` member cannot be set by a merge patch: the member is deleted (a
            // `null` in the patch), the closest result.
            (Some(_), Value::Null) => {
                out.insert(key.clone(), Value::Null);
            }
            (None, Value::Null) => {}
            (_, value) => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}
