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
