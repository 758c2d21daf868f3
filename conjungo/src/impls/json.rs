//! `serde_json::Value` and `Map`: the dynamic rules of [`super::dynamic`].

use serde_json::{Map, Value};

use super::dynamic::{
    DynObject, Dynamic, Parts, delegate_object, dynamic_merge, identical_items, parts_by_variant,
};
use crate::Kind;

dynamic_merge!(Value, Map<String, Value>);

impl Dynamic for Value {
    type Object = Map<String, Value>;

    fn null() -> Self {
        Value::Null
    }

    fn kind(&self) -> Kind {
        crate::json::kind(self)
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    parts_by_variant!(Value, Value::Object: Map<String, Value>, Value::Array);

    fn identical(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) if a.is_f64() && b.is_f64() => {
                a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits)
            }
            (Value::Array(a), Value::Array(b)) => identical_items(a, b),
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.identical(w)))
            }
            (a, b) => a == b,
        }
    }
}

impl DynObject for Map<String, Value> {
    delegate_object!(Map<String, Value>, Value);

    const SHIFTS_ON_REMOVE: bool = false;

    fn retain(&mut self, mut keep: impl FnMut(&str, &Value) -> bool) {
        Map::retain(self, |k, v| keep(k, v));
    }

    /// A `BTreeMap`, unless serde_json's `preserve_order` feature is on somewhere in the
    /// build (then an insertion-ordered map): asked once.
    fn key_ordered() -> bool {
        static ORDERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ORDERED.get_or_init(|| {
            let mut probe = Map::new();
            probe.insert("b".to_owned(), Value::Null);
            probe.insert("a".to_owned(), Value::Null);
            probe.keys().next().is_some_and(|k| k == "a")
        })
    }
}
