//! `Merge` for `bson::Bson` and `Document`, and the JSON round trips.

use bson::oid::ObjectId;
use bson::spec::BinarySubtype;
use bson::{Binary, Bson, DateTime, Decimal128, Document, Regex, Timestamp, doc};
use conjungo::{Error, ErrorKind, Kind, Merge, Mismatch, NullStrategy, Options, SeqStrategy};
use serde_json::json;

#[test]
fn documents_merge_deep_arrays_by_strategy() {
    let mut d = doc! {"a": {"b": 1, "c": [1]}, "x": "keep"};
    d.merge(doc! {"a": {"b": 2, "c": [2], "d": true}}).unwrap();
    assert_eq!(d, doc! {"a": {"b": 2, "c": [1, 2], "d": true}, "x": "keep"});
    let mut d = doc! {"c": [1]};
    d.merge_with(
        doc! {"c": [2]},
        &Options::default().seq(SeqStrategy::Replace),
    )
    .unwrap();
    assert_eq!(d, doc! {"c": [2]});
}

#[test]
fn all_numbers_are_one_kind() {
    let dec: Decimal128 = "1.5".parse().unwrap();
    for (target, source) in [
        (Bson::Int32(1), Bson::Int64(2)),
        (Bson::Int64(1), Bson::Double(2.5)),
        (Bson::Double(1.0), Bson::Decimal128(dec)),
        (Bson::Decimal128(dec), Bson::Int32(3)),
    ] {
        let mut t = target.clone();
        t.merge(source.clone()).unwrap();
        assert_eq!(t, source);
        let mut t = target.clone();
        t.merge_with(source, &Options::default().overwrite(false))
            .unwrap();
        assert_eq!(t, target);
    }
}

fn atomic_values() -> Vec<Bson> {
    vec![
        Bson::ObjectId(ObjectId::from_bytes([1; 12])),
        Bson::DateTime(DateTime::from_millis(1_700_000_000_000)),
        Bson::Binary(Binary {
            subtype: BinarySubtype::Generic,
            bytes: vec![1, 2, 3],
        }),
        Bson::Timestamp(Timestamp {
            time: 5,
            increment: 1,
        }),
        Bson::RegularExpression(Regex {
            pattern: "^a".to_string().try_into().unwrap(),
            options: "i".to_string().try_into().unwrap(),
        }),
        Bson::JavaScriptCode("x => x".into()),
        Bson::Symbol("sym".into()),
        Bson::MinKey,
        Bson::MaxKey,
    ]
}

#[test]
fn atomic_values_are_replaced_never_recursed() {
    for value in atomic_values() {
        let kind = conjungo::bson::kind(&value);
        assert!(!kind.is_container());
        let mut t = value.clone();
        t.merge(value.clone()).unwrap();
        assert_eq!(t, value);
        // Against a value of another kind: a mismatch by default, named with both kinds.
        let mut d = doc! {"v": value.clone()};
        let err = d.merge(doc! {"v": "a string"}).unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::TypeMismatch {
                target: kind,
                source: Kind::String
            }
        );
        assert_eq!(err.path(), "/v");
        assert_eq!(d, doc! {"v": value.clone()});
    }
    let a = ObjectId::from_bytes([1; 12]);
    let b = ObjectId::from_bytes([2; 12]);
    let mut d = doc! {"id": a};
    d.merge(doc! {"id": b}).unwrap();
    assert_eq!(d, doc! {"id": b});
}

#[test]
fn nulls_and_undefined_are_absence() {
    let mut d = doc! {"a": 1, "b": Bson::Undefined};
    d.merge(doc! {"a": Bson::Null, "b": 2, "c": Bson::Null})
        .unwrap();
    assert_eq!(d, doc! {"a": 1, "b": 2});
    let mut d = doc! {"a": 1, "b": {"c": 1}};
    d.merge_with(
        doc! {"a": Bson::Null, "b": {"c": Bson::Null}},
        &Options::default().nulls(NullStrategy::Delete),
    )
    .unwrap();
    assert_eq!(d, doc! {"b": {}});
}

#[test]
fn mismatch_options_and_atomicity() {
    let mut d = doc! {"a": 1, "b": {"c": [1], "d": "x"}};
    let before = d.clone();
    let err = d
        .merge(doc! {"a": 2, "b": {"c": [2], "d": {"e": 1}}})
        .unwrap_err();
    assert_eq!(err.path(), "/b/d");
    assert_eq!(d, before);
    d.merge_with(
        doc! {"b": {"d": {"e": 1}}},
        &Options::default().mismatch(Mismatch::Replace),
    )
    .unwrap();
    assert_eq!(d, doc! {"a": 1, "b": {"c": [1], "d": {"e": 1}}});
}

#[test]
fn kind_functions_and_depth_on_bson() {
    let options = Options::default().on_kind::<Bson>(Kind::DateTime, |t, s, _| {
        // Keep the later date.
        if let (Bson::DateTime(a), Bson::DateTime(b)) = (&*t, &s)
            && b > a
        {
            *t = s;
        }
        Ok(())
    });
    let early = DateTime::from_millis(1);
    let late = DateTime::from_millis(2);
    let mut d = doc! {"seen": late};
    d.merge_with(doc! {"seen": early}, &options).unwrap();
    assert_eq!(d, doc! {"seen": late});

    let failing = Options::default()
        .on_kind::<Bson>(Kind::Binary, |_, _, _| Err(Error::custom("no binaries")));
    let bin = Binary {
        subtype: BinarySubtype::Generic,
        bytes: vec![1],
    };
    let mut d = doc! {"a": 1, "z": {"bin": bin.clone()}};
    let before = d.clone();
    let err = d
        .merge_with(doc! {"a": 2, "z": {"bin": bin}}, &failing)
        .unwrap_err();
    assert_eq!(err.path(), "/z/bin");
    assert_eq!(d, before);

    let mut deep = Bson::Int32(1);
    for _ in 0..300 {
        deep = Bson::Document(doc! {"k": deep});
    }
    let mut t = deep.clone();
    let err = t.merge(deep.clone()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit { .. }));
    assert_eq!(t, deep);
}

#[test]
fn json_round_trips_of_the_kinds_the_merge_distinguishes() {
    // Plain JSON kinds survive JSON -> bson -> JSON.
    let json = json!({"n": 1, "big": 5_000_000_000_i64, "f": 2.5, "neg": -7, "s": "x", "b": true,
                      "null": null, "a": [1, "two", {"three": 3}], "o": {"p": {}}});
    let bson = conjungo::bson::from_json(json.clone()).unwrap();
    let doc = bson.as_document().unwrap();
    assert_eq!(doc.get("n"), Some(&Bson::Int32(1)));
    assert_eq!(doc.get("big"), Some(&Bson::Int64(5_000_000_000)));
    assert_eq!(doc.get("f"), Some(&Bson::Double(2.5)));
    assert_eq!(conjungo::bson::to_json(bson), json);

    // Numbers keep their kind through the round trip, as one kind for the merge.
    for value in [Bson::Int32(-3), Bson::Int64(1 << 40), Bson::Double(0.25)] {
        let back = conjungo::bson::from_json(conjungo::bson::to_json(value.clone())).unwrap();
        assert_eq!(conjungo::bson::kind(&back), Kind::Number);
        assert_eq!(conjungo::bson::kind(&value), Kind::Number);
    }
    // Atomic kinds become relaxed Extended JSON; read back by bson's own Extended JSON
    // reader, they are the same values of the same kind.
    for value in atomic_values() {
        let json = conjungo::bson::to_json(value.clone());
        let back = Bson::try_from(json.clone()).unwrap();
        assert_eq!(back, value, "{json}");
        assert_eq!(conjungo::bson::kind(&back), conjungo::bson::kind(&value));
    }
    // A patch body is plain JSON: `$` keys are not interpreted as Extended JSON.
    let b = conjungo::bson::from_json(json!({"$oid": "x"})).unwrap();
    assert_eq!(b, Bson::Document(doc! {"$oid": "x"}));
    // Beyond i64 there is no bson integer.
    let err = conjungo::bson::from_json(json!({"a": [u64::MAX]})).unwrap_err();
    assert_eq!(err.path(), "/a/0");
}

#[test]
fn typed_structs_with_bson_fields() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Stored {
        id: ObjectId,
        meta: Document,
        extra: Option<Bson>,
    }
    impl Stored {
        fn new(meta: Document) -> Self {
            Stored {
                id: ObjectId::from_bytes([9; 12]),
                meta,
                extra: None,
            }
        }
    }
    let mut s = Stored::new(doc! {"a": 1});
    let other = ObjectId::from_bytes([3; 12]);
    s.merge(Stored {
        id: other,
        meta: doc! {"b": 2},
        extra: Some(Bson::Int32(1)),
    })
    .unwrap();
    assert_eq!(
        s,
        Stored {
            id: other,
            meta: doc! {"a": 1, "b": 2},
            extra: Some(Bson::Int32(1))
        }
    );
    let before = s.clone();
    let err = s.merge(Stored::new(doc! {"a": "x"})).unwrap_err();
    assert_eq!(err.path(), "/meta/a");
    assert_eq!(s, before);
}
