//! bson: `Merge` for [`Bson`] and [`Document`], and conversions with JSON.
//!
//! All numbers (`Int32`, `Int64`, `Double`, `Decimal128`) are one [`Kind`] for
//! [`Mismatch`](crate::Mismatch) purposes; atomic values (`ObjectId`, `DateTime`, `Binary`,
//! `Timestamp`, `RegularExpression`, JavaScript code, …) are replaced (overwrite rule) and
//! never recursed into; `Null` and the deprecated `Undefined` are absence.
//!
//! ```
//! use bson::{doc, oid::ObjectId};
//! use conjungo::Merge;
//!
//! let id = ObjectId::new();
//! let mut stored = doc! {"_id": id, "n": 1_i64, "tags": ["a"], "meta": {"x": 1}};
//! stored.merge(doc! {"n": 2.5, "tags": ["b"], "meta": {"y": 2}}).unwrap();
//! assert_eq!(stored, doc! {"_id": id, "n": 2.5, "tags": ["a", "b"], "meta": {"x": 1, "y": 2}});
//! ```

use bson::{Bson, Document};
use serde_json::Value;

use crate::{Error, ErrorKind, Kind};

mod ser;
pub(crate) use ser::to_bson;

/// The [`Kind`] of a bson value.
pub fn kind(value: &Bson) -> Kind {
    match value {
        Bson::Null | Bson::Undefined => Kind::Null,
        Bson::Boolean(_) => Kind::Bool,
        Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::Decimal128(_) => Kind::Number,
        Bson::String(_) => Kind::String,
        Bson::Array(_) => Kind::Array,
        Bson::Document(_) => Kind::Object,
        Bson::ObjectId(_) => Kind::ObjectId,
        Bson::DateTime(_) => Kind::DateTime,
        Bson::Binary(_) => Kind::Binary,
        Bson::Timestamp(_) => Kind::Timestamp,
        Bson::RegularExpression(_) => Kind::Regex,
        Bson::JavaScriptCode(_) | Bson::JavaScriptCodeWithScope(_) => Kind::JavaScript,
        Bson::Symbol(_) => Kind::Symbol,
        Bson::DbPointer(_) => Kind::DbPointer,
        Bson::MinKey => Kind::MinKey,
        Bson::MaxKey => Kind::MaxKey,
    }
}

/// Plain JSON to bson, as a PATCH body is read: integers become `Int32` when they fit and
/// `Int64` otherwise, other numbers `Double`; objects become documents with their keys in
/// lexicographic order (the order in which MongoDB's update operators add new fields).
/// Extended JSON (`{"$oid": …}`) is *not* interpreted: a `$` key is just a key here, and
/// the PATCH helpers reject such keys before converting.
///
/// Fails only for an integer beyond `i64` (bson has no unsigned 64-bit type). The
/// recursion follows the value's nesting: bound it first (the PATCH helpers do).
///
/// ```
/// use bson::{doc, Bson};
/// use serde_json::json;
///
/// let b = conjungo::bson::from_json(json!({"b": 1, "a": [5_000_000_000_i64, 1.5, null]})).unwrap();
/// assert_eq!(b, Bson::Document(doc! {"a": [5_000_000_000_i64, 1.5, null], "b": 1}));
/// ```
pub fn from_json(value: Value) -> Result<Bson, Error> {
    Ok(match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(small) => Bson::Int32(small),
                    Err(_) => Bson::Int64(i),
                }
            } else if n.is_u64() {
                return Err(too_large(&n));
            } else {
                Bson::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Bson::String(s),
        Value::Array(items) => Bson::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| from_json(v).map_err(|e| e.at_index(i)))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Bson::Document(document_from_json(map)?),
    })
}

/// A JSON object as a document (see [`from_json`]).
pub fn document_from_json(map: serde_json::Map<String, Value>) -> Result<Document, Error> {
    document_from_json_like(map, None)
}

/// A JSON object as a document that will be merged into `stored`: numbers keep the numeric
/// type of the value stored at the same place, so that a patch does not turn a stored
/// `Int64` into an `Int32` (a collection validator with `bsonType: "long"` would refuse
/// the write, and typed readers would see the type change).
///
/// | stored | JSON integer | JSON fraction |
/// |---|---|---|
/// | `Int64` | `Int64` | `Double` |
/// | `Double` | `Double` | `Double` |
/// | `Decimal128` | `Decimal128` | `Decimal128` |
/// | `Int32`, anything else, nothing | `Int32` if it fits, else `Int64` | `Double` |
///
/// Inside arrays, each item is guided by the stored item at the same position. Fails only
/// for an integer beyond `i64` (where the stored type is not `Double` or `Decimal128`).
///
/// ```
/// use bson::doc;
/// use serde_json::json;
///
/// let stored = doc! {"n": 5_i64, "price": 1.5, "list": [1_i64]};
/// let json = json!({"n": 6, "price": 2, "list": [7], "new": 8});
/// let body = conjungo::bson::document_from_json_like(
///     json.as_object().unwrap().clone(),
///     Some(&stored),
/// )
/// .unwrap();
/// assert_eq!(body, doc! {"list": [7_i64], "n": 6_i64, "new": 8_i32, "price": 2.0});
/// ```
pub fn document_from_json_like(
    map: serde_json::Map<String, Value>,
    stored: Option<&Document>,
) -> Result<Document, Error> {
    Like { strip: false }.document(map, stored)
}

/// [`document_from_json_like`] for a merge that deletes nulls: objects with no stored
/// document at their place (which the merge takes with their nulls removed) are built
/// without their null members, so they are never built twice.
pub(crate) fn patch_document(
    map: serde_json::Map<String, Value>,
    stored: &Document,
    strip_new_nulls: bool,
) -> Result<Document, Error> {
    Like {
        strip: strip_new_nulls,
    }
    .document(map, Some(stored))
}

/// A JSON scalar (not an array or object) as bson, guided by the value stored at its place
/// like [`document_from_json_like`] (what a body read straight from bytes uses).
pub(crate) fn scalar_like(value: Value, like: Option<&Bson>) -> Result<Bson, Error> {
    debug_assert!(!value.is_array() && !value.is_object());
    Like { strip: false }.value(value, like)
}

/// The rules of [`document_from_json_like`].
#[derive(Clone, Copy)]
struct Like {
    /// Drop the null members of objects with nothing stored at their place (not inside
    /// arrays, which a merge takes verbatim).
    strip: bool,
}

impl Like {
    fn document(
        self,
        map: serde_json::Map<String, Value>,
        stored: Option<&Document>,
    ) -> Result<Document, Error> {
        // serde_json's map is sorted already (unless its `preserve_order` feature is on).
        if map.keys().is_sorted() {
            return self.entries(map, stored);
        }
        let mut entries: Vec<(String, Value)> = map.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        self.entries(entries, stored)
    }

    fn entries(
        self,
        entries: impl IntoIterator<Item = (String, Value)>,
        stored: Option<&Document>,
    ) -> Result<Document, Error> {
        let mut doc = Document::new();
        for (key, value) in entries {
            let value = match value {
                Value::Null if self.strip && stored.is_none() => continue,
                // Only numbers and containers are guided by what is stored.
                Value::Number(_) | Value::Array(_) | Value::Object(_) => {
                    self.value(value, stored.and_then(|d| d.get(&key)))
                }
                scalar => from_json(scalar),
            };
            let value = value.map_err(|e| e.at_key(&key))?;
            doc.insert(key, value);
        }
        Ok(doc)
    }

    fn value(self, value: Value, like: Option<&Bson>) -> Result<Bson, Error> {
        let verbatim = Like { strip: false };
        match (value, like) {
            (Value::Number(n), Some(Bson::Int64(_))) if n.is_i64() || n.is_u64() => {
                n.as_i64().map(Bson::Int64).ok_or_else(|| too_large(&n))
            }
            (Value::Number(n), Some(Bson::Double(_))) => {
                Ok(Bson::Double(n.as_f64().unwrap_or(f64::NAN)))
            }
            (Value::Number(n), Some(Bson::Decimal128(_))) => match n.to_string().parse() {
                Ok(d) => Ok(Bson::Decimal128(d)),
                Err(_) => from_json(Value::Number(n)),
            },
            (Value::Array(items), like) => {
                let stored = match like {
                    Some(Bson::Array(stored)) => stored.as_slice(),
                    _ => &[],
                };
                Ok(Bson::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| verbatim.value(v, stored.get(i)).map_err(|e| e.at_index(i)))
                        .collect::<Result<_, _>>()?,
                ))
            }
            (Value::Object(map), Some(Bson::Document(stored))) => {
                Ok(Bson::Document(self.document(map, Some(stored))?))
            }
            (Value::Object(map), _) => Ok(Bson::Document(self.document(map, None)?)),
            (value, _) => from_json(value),
        }
    }
}

fn too_large(n: &serde_json::Number) -> Error {
    Error::new(ErrorKind::Unstorable {
        message: format!("integer {n} does not fit in a BSON Int64"),
    })
}

/// bson to JSON as MongoDB's relaxed Extended JSON writes it: plain JSON for the JSON
/// kinds (numbers as numbers, except non-finite doubles), `{"$oid": …}`, `{"$date": …}`
/// and the like for the others.
pub fn to_json(value: Bson) -> Value {
    value.into_relaxed_extjson()
}

#[cfg(test)]
mod tests {
    use bson::doc;
    use serde_json::json;

    fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        }
    }

    #[test]
    fn patch_documents_drop_nulls_only_where_a_merge_would() {
        let stored = doc! {"kept": {"x": 1}, "scalar": 5};
        let body = json!({
            "kept": {"x": null, "new": {"a": null, "b": 1}},
            "scalar": {"c": null, "d": 2},
            "fresh": {"e": null, "list": [null, {"f": null}]},
            "gone": null,
        });
        let stripped = super::patch_document(object(body.clone()), &stored, true).unwrap();
        assert_eq!(
            stripped,
            doc! {
                "fresh": {"list": [null, {"f": null}]},
                "gone": null,
                "kept": {"new": {"b": 1}, "x": null},
                "scalar": {"d": 2},
            }
        );
        let verbatim = super::patch_document(object(body.clone()), &stored, false).unwrap();
        assert_eq!(
            verbatim,
            super::document_from_json_like(object(body), Some(&stored)).unwrap()
        );
        assert_eq!(
            verbatim.get_document("fresh").unwrap().get("e"),
            Some(&bson::Bson::Null)
        );
    }
}
