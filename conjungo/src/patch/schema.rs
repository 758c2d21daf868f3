//! JSON Schemas of patch bodies (feature `schemars`): what [`parse`](super::parse) accepts
//! for a generated patch type, as `schemars::schema_for!(ServicePatch)` gives it.
//!
//! Every field is optional (absent means unchanged); a field whose type is not an `Option`
//! is not nullable (`null` is refused), an `Option` field is (`null` sets `None`); a field
//! patched field by field has its own patch type's schema; protected (`#[merge(skip)]`) and
//! serde-skipped fields are absent; unknown fields are refused
//! (`"additionalProperties": false`); aliases are properties too. A map's entries are
//! nullable (`null` removes one). A field read through `deserialize_with` or `with` accepts
//! whatever that function reads, so its schema accepts anything.
//!
//! ```
//! use conjungo::Merge;
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//!
//! #[derive(Merge, Serialize, Deserialize, schemars::JsonSchema)]
//! #[merge(patch)]
//! struct Service {
//!     #[merge(skip)]
//!     id: String,
//!     name: String,
//!     nick: Option<String>,
//! }
//!
//! let schema = serde_json::to_value(schemars::schema_for!(ServicePatch)).unwrap();
//! assert_eq!(schema["additionalProperties"], json!(false));
//! assert_eq!(schema["properties"]["name"], json!({"type": "string"}));
//! assert_eq!(
//!     schema["properties"]["nick"],
//!     json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
//! );
//! assert!(schema["properties"].get("id").is_none());
//! assert!(schema.get("required").is_none());
//! ```

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::Patch;

/// The schemas of conjungo's patch wrappers of a type `T`: inlined where used, named
/// after the wrapper and `T`; `schema` builds the schema from `T`'s own (`inner`).
macro_rules! wrapper_schemas {
    ($($(#[$doc:meta])* $name:literal $wrapper:ty => |$inner:ident| $schema:expr;)*) => {$(
        $(#[$doc])*
        impl<T: JsonSchema> JsonSchema for $wrapper {
            fn schema_name() -> Cow<'static, str> {
                format!(concat!($name, "_of_{}"), T::schema_name()).into()
            }

            fn schema_id() -> Cow<'static, str> {
                format!(concat!("conjungo::", $name, "<{}>"), T::schema_id()).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                let $inner = generator.subschema_for::<T>();
                $schema
            }
        }
    )*};
}

wrapper_schemas! {
    /// `Patch<T>` is `T`'s schema or `null` (the value of a map entry: `null` removes it).
    /// A field of a generated patch type has its own schema (see the module docs).
    "Patch" Patch<T> => |inner| nullable(inner);

    /// A keyed list's patch: the array of whole items, or an object whose members are item
    /// merge patches (any object) or `null` (see [`KeyedPatch`](super::KeyedPatch)).
    "KeyedPatch" super::KeyedPatch<T> => |items| Schema::try_from(json!({"anyOf": [
        items.to_value(),
        {
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        },
    ]}))
    .unwrap_or(Schema::from(true));

    /// A set's patch: the array of members to add, or `{"add": [...], "remove": [...]}`
    /// (see [`SetPatch`](super::SetPatch)).
    "SetPatch" super::SetPatch<T> => |members| {
        let members = members.to_value();
        Schema::try_from(json!({"anyOf": [
            members.clone(),
            {
                "type": "object",
                "properties": {"add": members.clone(), "remove": members},
                "additionalProperties": false,
            },
        ]}))
        .unwrap_or(Schema::from(true))
    };
}

/// `schema` or `null`.
fn nullable(schema: Schema) -> Schema {
    let value = schema.to_value();
    if value == Value::Bool(true) {
        return Schema::from(true);
    }
    Schema::try_from(json!({"anyOf": [value, {"type": "null"}]})).unwrap_or(Schema::from(true))
}

/// The schema of one field of a patch type, whose patch form is `F`: nullable for an
/// `Option` field, anything for a field read through a function of its own.
pub fn field_schema<F: JsonSchema>(
    generator: &mut SchemaGenerator,
    nullable_field: bool,
    read_by_function: bool,
) -> Schema {
    if read_by_function {
        return Schema::from(true);
    }
    let schema = generator.subschema_for::<F>();
    if nullable_field {
        nullable(schema)
    } else {
        schema
    }
}

/// The schema of a patch type: an object of optional `properties`, nothing else.
pub fn object_schema(properties: Vec<(&'static str, Schema)>) -> Schema {
    object_schema_with(properties, Vec::new())
}

/// [`object_schema`], with the properties of the schemas of `flattened` patch types (of
/// `#[serde(flatten)]` fields: their fields are this object's).
pub fn object_schema_with(
    properties: Vec<(&'static str, Schema)>,
    flattened: Vec<Schema>,
) -> Schema {
    let mut properties: Map<String, Value> = properties
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema.to_value()))
        .collect();
    for schema in flattened {
        if let Some(Value::Object(inner)) = schema.to_value().get("properties") {
            properties.extend(inner.clone());
        }
    }
    Schema::try_from(json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    }))
    .unwrap_or(Schema::from(true))
}
