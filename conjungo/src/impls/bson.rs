//! `bson::Bson` and `Document`: the dynamic rules of [`super::dynamic`]. All numbers
//! (`Int32`, `Int64`, `Double`, `Decimal128`) are one kind; atomic values (`ObjectId`,
//! `DateTime`, `Binary`, `Timestamp`, …) are replaced, never recursed into.

use bson::{Bson, Document};

use super::dynamic::{
    DynObject, Dynamic, Parts, delegate_object, dynamic_merge, identical_items, parts_by_variant,
};
use crate::Kind;

dynamic_merge!(Bson, Document);

super::scalars::scalar! {
    bson::oid::ObjectId, bson::DateTime, bson::Decimal128, bson::Binary, bson::Timestamp,
    bson::Regex, bson::JavaScriptCodeWithScope, bson::DbPointer, bson::Uuid,
}

impl Dynamic for Bson {
    type Object = Document;

    fn null() -> Self {
        Bson::Null
    }

    fn kind(&self) -> Kind {
        crate::bson::kind(self)
    }

    fn is_null(&self) -> bool {
        matches!(self, Bson::Null | Bson::Undefined)
    }

    parts_by_variant!(Bson, Bson::Document: Document, Bson::Array);

    fn identical(&self, other: &Self) -> bool {
        match (self, other) {
            (Bson::Double(a), Bson::Double(b)) => a.to_bits() == b.to_bits(),
            (Bson::Array(a), Bson::Array(b)) => identical_items(a, b),
            (Bson::Document(a), Bson::Document(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.identical(vb))
            }
            (a, b) => a == b,
        }
    }
}

impl DynObject for Document {
    delegate_object!(Document, Bson);

    const SHIFTS_ON_REMOVE: bool = true;

    /// `Document::remove` keeps the order by shifting the members after the key, so many
    /// removals rebuild the document once instead; nothing is rebuilt when all stay.
    fn retain(&mut self, mut keep: impl FnMut(&str, &Bson) -> bool) {
        if Document::iter(self).all(|(k, v)| keep(k, v)) {
            return;
        }
        let all = std::mem::take(self);
        for (key, value) in all {
            if keep(&key, &value) {
                self.insert(key, value);
            }
        }
    }

    /// Documents keep insertion order.
    fn key_ordered() -> bool {
        false
    }
}
