//! `patch::parse` reads a typed body in one pass over its bytes when nothing is wrong, and
//! through a `Value` otherwise. The one pass must read exactly the patch the `Value` path
//! reads: generated bodies with keys in any order, escaped keys, repeated keys, refused
//! keys, Extended JSON wrappers, wrong types and nulls, on a model with order-keeping
//! containers (a bson `Document`, a keyed list's object form, a `#[serde(flatten)]` map),
//! dynamic values, enums (external, internally tagged, untagged), tuples, dates and a
//! nested patch type.

use std::collections::BTreeMap;

use conjungo::__private::{parse_one_pass, parse_through_value};
use conjungo::Merge;
use conjungo::patch::{self, Limits};
use conjungo_suite::rng::Rng;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Only its patch type is read here.
#[allow(dead_code)]
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Record {
    title: String,
    #[serde(rename = "desc")]
    description: Option<String>,
    extra: bson::Document,
    labels: BTreeMap<String, String>,
    meta: Value,
    seen: Option<bson::DateTime>,
    kind: Kind,
    shape: Shape,
    #[merge(atomic)]
    pair: (i32, String),
    #[merge(by_key = id)]
    items: Vec<Item>,
    #[merge(union)]
    tags: Vec<String>,
    inner: Option<Inner>,
    count: u32,
    #[merge(atomic)]
    ext: Option<Ext>,
    #[merge(atomic)]
    either: Option<Either>,
}

/// A flattened map (serde reads the struct as a map and buffers its members).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Ext {
    a: Option<i64>,
    #[serde(flatten)]
    rest: bson::Document,
}

/// An untagged enum (serde buffers the value and tries each variant).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
enum Either {
    Number(i64),
    Text(String),
    Map(bson::Document),
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Inner {
    a: i64,
    b: Option<f64>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    id: String,
    n: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Kind {
    Plain,
    Sized(u32),
    Named { name: String },
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

/// `value` as JSON text with objects' keys in key order or any order, some keys escaped, some
/// repeated (an earlier member with another value: a `Value` keeps the last); `repeated`
/// says whether any key was.
fn write(value: &Value, rng: &mut Rng, out: &mut String, repeated: &mut bool) {
    let space = |rng: &mut Rng, out: &mut String| {
        if rng.below(4) == 0 {
            out.push_str(" \n\t");
        }
    };
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // Half of the objects in key order (maps are then read as they come).
            if rng.below(2) == 0 {
                for i in (1..members.len()).rev() {
                    members.swap(i, rng.below(i + 1));
                }
            }
            out.push('{');
            let mut first = true;
            let mut member = |key: &str, value: &Value, rng: &mut Rng, out: &mut String| {
                if !first {
                    out.push(',');
                }
                first = false;
                space(rng, out);
                if rng.below(6) == 0 && !key.is_empty() {
                    // The first character escaped: serde_json gives the key owned.
                    let mut chars = key.chars();
                    let c = chars.next().unwrap();
                    out.push_str(&format!("\"\\u{:04x}", c as u32));
                    out.push_str(&serde_json::to_string(chars.as_str()).unwrap()[1..]);
                } else {
                    out.push_str(&serde_json::to_string(key).unwrap());
                }
                out.push(':');
                space(rng, out);
                write(value, rng, out, &mut false);
            };
            for (key, value) in members {
                if rng.below(40) == 0 {
                    *repeated = true;
                    member(key, &json!(0), rng, out);
                }
                member(key, value, rng, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, rng, out, repeated);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Whether any object of `text` repeats a key (read with the `Value` path's parser: the
/// writer above only marks repeats it made on purpose at the top of each call).
fn repeats(text: &str) -> bool {
    struct Check(bool);
    impl<'de> serde::de::Visitor<'de> for &mut Check {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                self.0 |= !seen.insert(key);
                map.next_value_seed(&mut *self)?;
            }
            Ok(())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(&mut *self)?.is_some() {}
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }
    impl<'de> serde::de::DeserializeSeed<'de> for &mut Check {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    let mut check = Check(false);
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(&mut check, &mut de).unwrap();
    check.0
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::from),
        3 => any::<i32>().prop_map(Value::from),
        1 => prop_oneof![Just(u64::MAX), Just(1u64 << 63)].prop_map(Value::from),
        2 => (-1e6f64..1e6).prop_map(Value::from),
        4 => "[a-c]{0,3}".prop_map(Value::from),
    ]
}

/// A dynamic value with keys a body may or may not use.
fn arb_dynamic() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        12 => prop::sample::select(vec!["a", "b", "c", "d", "e", "1", "", "x.y", "_id"]),
        1 => prop::sample::select(vec!["$set", "$date"]),
    ];
    arb_leaf().prop_recursive(3, 20, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..4).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

/// A value for each field: mostly of the right type, sometimes anything.
fn arb_body() -> impl Strategy<Value = Value> {
    let item = ("[a-c]", any::<i8>()).prop_map(|(id, n)| json!({"id": id, "n": n}));
    let fields: Vec<(&str, BoxedStrategy<Value>)> = vec![
        ("title", "[a-z]{0,4}".prop_map(Value::from).boxed()),
        (
            "desc",
            prop::option::of("[a-z]{0,4}")
                .prop_map(|s| json!(s))
                .boxed(),
        ),
        (
            "extra",
            arb_dynamic()
                .prop_map(|v| if v.is_object() { v } else { json!({"v": v}) })
                .boxed(),
        ),
        (
            "labels",
            prop::collection::btree_map("[a-c]|k\\.l", prop::option::of("[a-z]{0,2}"), 0..4)
                .prop_map(|m| json!(m))
                .boxed(),
        ),
        ("meta", arb_dynamic().boxed()),
        (
            "seen",
            prop_oneof![
                1 => Just(Value::Null),
                4 => (0i64..4_000_000_000_000)
                    .prop_map(|ms| json!({"$date": {"$numberLong": ms.to_string()}})),
                1 => Just(json!({"$date": 5, "x": 1})),
            ]
            .boxed(),
        ),
        (
            "kind",
            prop_oneof![
                2 => Just(json!("Plain")),
                2 => any::<u32>().prop_map(|n| json!({"Sized": n})),
                2 => "[a-z]{0,3}".prop_map(|s| json!({"Named": {"name": s}})),
                1 => Just(json!({"Sized": 1, "Plain": null})),
            ]
            .boxed(),
        ),
        (
            "shape",
            prop_oneof![
                (0.0f64..9.0).prop_map(|r| json!({"type": "Circle", "r": r})),
                (0.0f64..9.0).prop_map(|s| json!({"side": s, "type": "Square"})),
            ]
            .boxed(),
        ),
        (
            "pair",
            (any::<i32>(), "[a-z]{0,2}")
                .prop_map(|(a, b)| json!([a, b]))
                .boxed(),
        ),
        (
            "items",
            prop_oneof![
                prop::collection::vec(item.clone(), 0..4)
                    .prop_map(Value::from)
                    .boxed(),
                prop::collection::btree_map(
                    "[a-c]",
                    prop::option::of(any::<i8>().prop_map(|n| json!({"n": n}))),
                    0..4
                )
                .prop_map(|m| json!(m))
                .boxed(),
            ]
            .boxed(),
        ),
        (
            "tags",
            prop_oneof![
                prop::collection::vec("[a-c]", 0..4).prop_map(|v| json!(v)),
                (
                    prop::collection::vec("[a-c]", 0..3),
                    prop::collection::vec("[a-c]", 0..3)
                )
                    .prop_map(|(a, r)| json!({"add": a, "remove": r})),
            ]
            .boxed(),
        ),
        (
            "inner",
            prop_oneof![
                Just(Value::Null),
                (any::<i64>(), prop::option::of(-5.0f64..5.0))
                    .prop_map(|(a, b)| json!({"a": a, "b": b})),
                any::<i64>().prop_map(|a| json!({"a": a})),
            ]
            .boxed(),
        ),
        ("count", any::<u32>().prop_map(Value::from).boxed()),
        (
            "ext",
            (
                prop::option::of(any::<i32>()),
                prop::collection::btree_map("[a-d]", any::<i32>(), 0..4),
            )
                .prop_map(|(a, rest)| {
                    let mut ext = json!(rest);
                    ext["a"] = json!(a);
                    ext
                })
                .boxed(),
        ),
        (
            "either",
            prop_oneof![
                any::<i64>().prop_map(Value::from),
                "[a-z]{0,3}".prop_map(Value::from),
                prop::collection::btree_map("[a-d]", any::<i32>(), 0..4).prop_map(|m| json!(m)),
            ]
            .boxed(),
        ),
    ];
    let (names, strategies): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    (
        strategies,
        prop::collection::vec(0u8..64, names.len()),
        prop::option::weighted(
            0.1,
            (
                prop::sample::select(vec!["zz", "$inc", "a.b", "", "_id"]),
                arb_leaf(),
            ),
        ),
        arb_dynamic(),
    )
        .prop_map(move |(values, picks, extra, anything)| {
            let mut body = serde_json::Map::new();
            for ((name, value), pick) in names.iter().zip(values).zip(picks) {
                match pick {
                    0..=23 => {}
                    24..=61 => {
                        body.insert((*name).to_owned(), value);
                    }
                    62 => {
                        body.insert((*name).to_owned(), Value::Null);
                    }
                    _ => {
                        body.insert((*name).to_owned(), anything.clone());
                    }
                }
            }
            if let Some((key, value)) = extra {
                body.insert(key.to_owned(), value);
            }
            Value::Object(body)
        })
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        5 => Just(Limits::default()),
        1 => (1usize..6, 1usize..400).prop_map(|(depth, bytes)| {
            let mut limits = Limits::default();
            limits.max_depth = depth;
            limits.max_update_bytes = bytes;
            limits
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_one_pass_reads_the_patch_the_value_path_reads(
        body in arb_body(),
        seed in 1u64..,
        limits in limits(),
    ) {
        let mut rng = Rng(seed);
        let mut text = String::new();
        write(&body, &mut rng, &mut text, &mut false);
        let bytes = text.as_bytes();
        let reference = parse_through_value::<RecordPatch>(bytes, &limits);
        let parsed = patch::parse_with::<RecordPatch>(bytes, &limits);
        // Field order counts (the bson `Document`, the keyed list's object form): `Debug`.
        prop_assert_eq!(format!("{parsed:?}"), format!("{reference:?}"), "{}", text);
        let one_pass = parse_one_pass::<RecordPatch>(bytes, &limits);
        if let Some(p) = &one_pass {
            prop_assert_eq!(Ok(p), reference.as_ref(), "{}", text);
        }
        // The one pass is taken whenever the body is fine and repeats no key.
        if reference.is_ok() && !repeats(&text) {
            prop_assert!(one_pass.is_some(), "{}", text);
        }
    }
}

#[test]
fn keys_in_any_order_read_in_the_value_paths_order() {
    let body = br#"{"extra": {"z": 1, "a": {"y": 2, "b": 3}}, "items": {"b": {"n": 1}, "a": null},
        "title": "t", "meta": {"q": 1, "p": 2}}"#;
    let p = parse_one_pass::<RecordPatch>(body, &Limits::default()).expect("one pass");
    let reference = parse_through_value::<RecordPatch>(body, &Limits::default()).unwrap();
    assert_eq!(format!("{p:?}"), format!("{reference:?}"));
    // The document's keys sorted, as a `Value` has them.
    let conjungo::Patch::Set(extra) = &p.extra else {
        panic!("extra: {:?}", p.extra)
    };
    assert_eq!(extra.keys().collect::<Vec<_>>(), ["a", "z"]);
    let bson::Bson::Document(inner) = &extra["a"] else {
        panic!("{extra:?}")
    };
    assert_eq!(inner.keys().collect::<Vec<_>>(), ["b", "y"]);
}

#[test]
fn what_the_one_pass_leaves_to_the_value_path() {
    let limits = Limits::default();
    for body in [
        // A repeated struct key (the `Value` keeps the last one).
        &br#"{"title": "a", "title": "b"}"#[..],
        // A refused key, an unknown field, a wrapper with a second key, a wrong type.
        br#"{"$set": {"title": "a"}}"#,
        br#"{"zz": 1}"#,
        // Unknown fields serde skips (`deserialize_ignored_any`): in a struct read as it
        // comes, in an externally tagged enum (read into a `Value` first).
        br#"{"items": [{"id": "a", "n": 1, "zz": 2}]}"#,
        br#"{"kind": {"Named": {"name": "x", "zz": 1}}}"#,
        br#"{"seen": {"$date": 5, "x": 1}}"#,
        br#"{"extra": {"a": {"": 0.0, "$date": 0}}}"#,
        br#"{"count": "1"}"#,
        // Not an object; a trailing character; a path over the limit.
        br#"[1]"#,
        br#"{"title": "a"} x"#,
    ] {
        assert!(
            parse_one_pass::<RecordPatch>(body, &limits).is_none(),
            "{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(
            format!("{:?}", patch::parse::<RecordPatch>(body)),
            format!("{:?}", parse_through_value::<RecordPatch>(body, &limits))
        );
    }
    let repeated = patch::parse::<RecordPatch>(br#"{"title": "a", "title": "b"}"#).unwrap();
    assert_eq!(repeated.title, conjungo::Patch::Set("b".to_owned()));
}
