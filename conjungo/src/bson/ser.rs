//! [`to_bson`]: what `bson::serialize_to_bson` gives, built more directly for the common
//! shapes (structs, maps, sequences, options, scalars) — the update compiler serializes
//! every changed value, and a PATCH that appends many items serializes each one.
//!
//! bson's own serializer checks every document of at most two keys for an Extended JSON
//! form (`{"$oid": …}` becomes an `ObjectId`): a sort of the keys and a match against
//! two dozen names, about half the cost of serializing a small struct. A document without
//! a `$` key can never be one of those forms. So this serializer builds documents and
//! arrays itself, hands every other shape (newtypes, enums' variants, bytes, scalars) to
//! bson's serializer as it is, and whenever a document has a `$` key — or anything fails —
//! serializes the whole value again with bson's serializer, whose answer (value or error)
//! is then the answer. The result is bson's, exactly (a unit test compares them).

use bson::{Bson, Document};
use serde::ser::{self, Serialize};

/// `bson::serialize_to_bson(value)`, faster for documents without `$` keys.
pub(crate) fn to_bson<T: Serialize + ?Sized>(value: &T) -> Result<Bson, bson::error::Error> {
    match value.serialize(Fast) {
        Ok(bson) => Ok(bson),
        Err(Redo) => bson::serialize_to_bson(value),
    }
}

/// The value must be serialized by bson's serializer (an Extended JSON form is possible,
/// or bson refuses something and its error is the answer).
use crate::error::Declined as Redo;

/// bson's serializer, for one shape.
fn bson_ser() -> bson::Serializer {
    bson::Serializer::new()
}

fn redo<T>(result: Result<T, bson::error::Error>) -> Result<T, Redo> {
    result.map_err(|_| Redo)
}

/// A document as bson's serializer ends it, unless a key might make it an Extended JSON
/// form.
fn document(doc: Document) -> Result<Bson, Redo> {
    if doc.keys().any(|k| k.starts_with('$')) {
        return Err(Redo);
    }
    Ok(Bson::Document(doc))
}

struct Fast;

/// The shapes handed to bson's serializer as they are.
macro_rules! forward {
    ($($method:ident $(<$t:ident>)? ($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method $(<$t: Serialize + ?Sized>)? (self, $($arg: $ty),*) -> Result<Bson, Redo> {
            redo(ser::Serializer::$method(bson_ser(), $($arg),*))
        }
    )*};
}

/// The variants with fields: bson's serializer builds them, its errors made [`Redo`].
macro_rules! forward_variant {
    ($($method:ident -> $ty:ident;)*) => {$(
        fn $method(
            self,
            name: &'static str,
            index: u32,
            variant: &'static str,
            len: usize,
        ) -> Result<Self::$ty, Redo> {
            redo(ser::Serializer::$method(bson_ser(), name, index, variant, len)).map(Forwarded)
        }
    )*};
}

impl ser::Serializer for Fast {
    type Ok = Bson;
    type Error = Redo;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant =
        Forwarded<<bson::Serializer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = Members;
    type SerializeStruct = Members;
    type SerializeStructVariant =
        Forwarded<<bson::Serializer as ser::Serializer>::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Bson, Redo> {
        value.serialize(self)
    }

    // bson gives some newtype names a meaning of their own (its raw and special types).
    forward! {
        serialize_newtype_struct<T>(name: &'static str, value: &T);
        serialize_newtype_variant<T>(name: &'static str, index: u32, variant: &'static str, value: &T);
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Items, Redo> {
        Ok(Items(Vec::with_capacity(len.unwrap_or(0))))
    }

    fn serialize_tuple(self, len: usize) -> Result<Items, Redo> {
        Ok(Items(Vec::with_capacity(len)))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Items, Redo> {
        Ok(Items(Vec::with_capacity(len)))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Members, Redo> {
        Ok(Members {
            doc: Document::new(),
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members, Redo> {
        self.serialize_map(None)
    }

    forward_variant! {
        serialize_tuple_variant -> SerializeTupleVariant;
        serialize_struct_variant -> SerializeStructVariant;
    }

    fn is_human_readable(&self) -> bool {
        ser::Serializer::is_human_readable(&bson_ser())
    }
}

/// The items of a sequence or tuple.
struct Items(Vec<Bson>);

impl Items {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Redo> {
        self.0.push(value.serialize(Fast)?);
        Ok(())
    }
}

/// The three item shapes, built alike.
macro_rules! items {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Items {
            type Ok = Bson;
            type Error = Redo;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Redo> {
                self.push(value)
            }

            fn end(self) -> Result<Bson, Redo> {
                Ok(Bson::Array(self.0))
            }
        }
    )*};
}

items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

/// The members of a map or struct.
struct Members {
    doc: Document,
    key: Option<String>,
}

impl ser::SerializeMap for Members {
    type Ok = Bson;
    type Error = Redo;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Redo> {
        match key.serialize(Fast)? {
            Bson::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            // bson refuses the key: its error is the answer.
            _ => Err(Redo),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Redo> {
        let key = self.key.take().unwrap_or_default();
        self.doc.insert(key, value.serialize(Fast)?);
        Ok(())
    }

    fn end(self) -> Result<Bson, Redo> {
        document(self.doc)
    }
}

named_fields! {
    Ok = Bson, Error = Redo;
    impl[] SerializeStruct for Members {
        |self, key, value| {
            self.doc.insert(key, value.serialize(Fast)?);
            Ok(())
        };
        |self| document(self.doc);
    }
    impl[S: ser::SerializeStructVariant<Ok = Bson, Error = bson::error::Error>]
        SerializeStructVariant for Forwarded<S>
    {
        |self, key, value| redo(self.0.serialize_field(key, value));
        |self| redo(self.0.end());
    }
}

/// A shape bson's serializer builds, its errors made [`Redo`].
struct Forwarded<S>(S);

impl<S: ser::SerializeTupleVariant<Ok = Bson, Error = bson::error::Error>>
    ser::SerializeTupleVariant for Forwarded<S>
{
    type Ok = Bson;
    type Error = Redo;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Redo> {
        redo(self.0.serialize_field(value))
    }

    fn end(self) -> Result<Bson, Redo> {
        redo(self.0.end())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use bson::{Bson, doc, oid::ObjectId};
    use serde::Serialize;
    use serde_json::{Value, json};

    /// The same value or the same error as bson's serializer, field order included (a
    /// `Document`'s `==` ignores the order, its `Debug` does not).
    fn same<T: Serialize + ?Sized>(value: &T) {
        let fast = super::to_bson(value).map_err(|e| e.to_string());
        let bson = bson::serialize_to_bson(value).map_err(|e| e.to_string());
        assert_eq!(format!("{fast:?}"), format!("{bson:?}"));
    }

    #[derive(Serialize)]
    struct Id(String);

    #[derive(Serialize)]
    struct Pair(i32, Option<String>);

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    enum Shape {
        Empty,
        Named(String),
        Both(i64, bool),
        Sized { w: u32, h: u64 },
    }

    #[derive(Serialize)]
    #[serde(tag = "type")]
    enum Tagged {
        Circle { r: f64 },
        Dot,
    }

    #[derive(Serialize)]
    struct Model {
        id: ObjectId,
        at: bson::DateTime,
        price: bson::Decimal128,
        blob: bson::Binary,
        ts: bson::Timestamp,
        small: u8,
        wide: u32,
        big: u64,
        neg: i8,
        ch: char,
        ratio: f32,
        name: Id,
        pair: Pair,
        unit: Unit,
        nothing: Option<Option<i32>>,
        maybe: Option<Option<i32>>,
        shapes: Vec<Shape>,
        tagged: Vec<Tagged>,
        tuple: (u16, String, ()),
        map: BTreeMap<String, Vec<i64>>,
        doc: bson::Document,
        dynamic: Value,
        duration: std::time::Duration,
        boxed: Box<[u8]>,
    }

    fn model() -> Model {
        Model {
            id: ObjectId::new(),
            at: bson::DateTime::from_millis(1_700_000_000_000),
            price: "12.50".parse().unwrap(),
            blob: bson::Binary {
                subtype: bson::spec::BinarySubtype::Generic,
                bytes: vec![1, 2, 3],
            },
            ts: bson::Timestamp {
                time: 5,
                increment: 6,
            },
            small: 7,
            wide: u32::MAX,
            big: 1 << 40,
            neg: -8,
            ch: 'é',
            ratio: 0.25,
            name: Id("svc".into()),
            pair: Pair(1, None),
            unit: Unit,
            nothing: None,
            maybe: Some(None),
            shapes: vec![
                Shape::Empty,
                Shape::Named("n".into()),
                Shape::Both(-1, true),
                Shape::Sized { w: 2, h: 3 },
            ],
            tagged: vec![Tagged::Circle { r: 1.5 }, Tagged::Dot],
            tuple: (9, "t".into(), ()),
            map: BTreeMap::from([("b".into(), vec![2]), ("a".into(), vec![1, 3])]),
            doc: doc! {
                "z": 1, "a": {"$oid": "507f1f77bcf86cd799439011"}, "n": {"$numberLong": "5"},
                "code": Bson::JavaScriptCode("f()".into()), "sym": Bson::Symbol("s".into()),
                "u": Bson::Undefined, "max": Bson::MaxKey, "min": Bson::MinKey,
                "re": Bson::RegularExpression(bson::Regex {
                    pattern: "a+".try_into().unwrap(),
                    options: "i".try_into().unwrap(),
                }),
            },
            dynamic: json!({"b": [1, {"$date": "2024-01-01T00:00:00Z"}], "a": null}),
            duration: std::time::Duration::from_millis(1500),
            boxed: vec![4, 5].into_boxed_slice(),
        }
    }

    #[test]
    fn typed_values_serialize_as_bson_does() {
        same(&model());
        same(&vec![model(), model()]);
        same(&Some(model()));
        same(&Shape::Sized { w: 1, h: 2 });
        same(&Tagged::Dot);
        same(&(1, "two", [3.0]));
        same(&Bson::Document(doc! {"$oid": "507f1f77bcf86cd799439011"}));
        same(&doc! {"$date": {"$numberLong": "5"}});
        same(&doc! {"$oid": "507f1f77bcf86cd799439011", "x": 1});
        #[cfg(feature = "chrono")]
        same(&chrono::DateTime::<chrono::Utc>::from_timestamp(5, 0));
        #[cfg(feature = "uuid")]
        same(&uuid::Uuid::from_u128(7));
        #[cfg(feature = "rust_decimal")]
        same(&rust_decimal::Decimal::new(1250, 2));
    }

    #[test]
    fn errors_are_bsons_errors() {
        same(&u64::MAX);
        same(&vec![1_u64, u64::MAX]);
        same(&BTreeMap::from([("a", i128::MAX)]));
        same(&HashMap::from([(1_u32, "x")]));
        same(&BTreeMap::from([(true, 1)]));
        same(&json!({"a": {"b": 18_446_744_073_709_551_615_u64}}));
    }

    /// JSON values of every shape, from a fixed pseudo-random sequence: `$` keys, nested
    /// documents of one, two and more keys, numbers of every width.
    #[test]
    fn dynamic_values_serialize_as_bson_does() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        fn value(next: &mut impl FnMut(u64) -> u64, depth: u32) -> Value {
            const KEYS: [&str; 10] = [
                "a",
                "b",
                "$oid",
                "$date",
                "$numberLong",
                "$binary",
                "$type",
                "$regex",
                "$options",
                "x.y",
            ];
            match next(if depth > 3 { 6 } else { 8 }) {
                0 => Value::Null,
                1 => json!(next(2) == 0),
                2 => json!(next(1000) as i64 - 500),
                3 => json!(u64::MAX - next(2)),
                4 => json!(next(100) as f64 / 8.0),
                5 => json!(["507f1f77bcf86cd799439011", "5", "x"][next(3) as usize]),
                6 => Value::Array((0..next(4)).map(|_| value(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next(4))
                        .map(|_| (KEYS[next(10) as usize].to_owned(), value(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        for _ in 0..5000 {
            let v = value(&mut next, 0);
            same(&v);
            // Through bson's own types too (documents keep their order).
            if let Ok(b) = bson::serialize_to_bson(&v) {
                same(&b);
            }
        }
    }
}
