//! A typed PATCH whose result bson cannot store fails before anything changes, wherever the
//! value is written: a field serde stores through a function of its own (ids kept as hex
//! strings, stored as ObjectIds), a value built new (a map entry, an `Option`, a keyed
//! item), an appended or added item, the result of a custom function. Each of these used
//! to change the target and then fail, or write an update MongoDB stores differently.

use std::collections::BTreeMap;

use bson::{Document, doc, oid::ObjectId};
use conjungo::patch::{self, Applied};
use conjungo::{Error, ErrorKind, Merge, Options};
use conjungo_suite::mongo::apply_applied;
use serde::{Deserialize, Serialize};

/// Ids kept as hex strings in Rust, stored as ObjectIds (as `serde_with`'s
/// `object_id::FromHexString` does): a string that is not one cannot be stored.
mod oid_hex {
    use bson::oid::ObjectId;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(hex: &str, s: S) -> Result<S::Ok, S::Error> {
        ObjectId::parse_str(hex)
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        // Stored ObjectIds and JSON strings alike.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Oid(ObjectId),
            Hex(String),
        }
        Ok(match Either::deserialize(d)? {
            Either::Oid(oid) => oid.to_hex(),
            Either::Hex(hex) => hex,
        })
    }
}

/// A list of [`oid_hex`] ids.
mod oid_hex_list {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ids: &[String], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(ids.len()))?;
        for hex in ids {
            seq.serialize_element(&super::Hex(hex))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(Vec::<super::HexOwned>::deserialize(d)?
            .into_iter()
            .map(|h| h.0)
            .collect())
    }
}

struct Hex<'a>(&'a str);

impl Serialize for Hex<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        oid_hex::serialize(self.0, s)
    }
}

#[derive(Deserialize)]
struct HexOwned(#[serde(deserialize_with = "oid_hex::deserialize")] String);

/// A line of an order, in a map by SKU.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Line {
    #[serde(with = "oid_hex")]
    product: String,
    qty: u64,
    /// Quantities shipped so far.
    #[merge(append)]
    #[serde(default)]
    shipped: Vec<u64>,
}

/// A parcel of an order, in a list keyed by `id`.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Parcel {
    id: String,
    #[serde(with = "oid_hex")]
    carrier: String,
    #[serde(default)]
    grams: u64,
}

/// Points are multiplied by a bonus factor on each patch: the result may overflow `i64`.
fn bonus(points: &mut u64, add: u64, _: &Options) -> Result<(), Error> {
    *points = points.saturating_add(add).saturating_mul(1 << 20);
    Ok(())
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Order {
    #[serde(rename = "_id")]
    #[merge(skip)]
    id: u32,
    title: String,
    #[serde(with = "oid_hex")]
    owner: String,
    lines: BTreeMap<String, Line>,
    gift: Option<Line>,
    #[merge(by_key = id)]
    parcels: Vec<Parcel>,
    #[merge(append)]
    audit: Vec<u64>,
    #[merge(union)]
    codes: Vec<u64>,
    #[merge(with = bonus)]
    points: u64,
    /// A type with no patch form of its own, patched whole.
    #[merge(atomic)]
    window: (u64, u64),
    /// Set once, then kept.
    #[merge(keep)]
    first_seen: Option<u64>,
    /// Reviewers, stored as ObjectIds.
    #[merge(append)]
    #[serde(with = "oid_hex_list")]
    reviewers: Vec<String>,
    /// Watchers, a set stored as ObjectIds.
    #[merge(union)]
    #[serde(with = "oid_hex_list")]
    watchers: Vec<String>,
}

const A: &str = "65a000000000000000000001";
const B: &str = "65a000000000000000000002";

fn order() -> Order {
    Order {
        id: 1,
        title: "t".into(),
        owner: A.into(),
        lines: [(
            "sku-1".to_owned(),
            Line {
                product: A.into(),
                qty: 1,
                shipped: vec![1],
            },
        )]
        .into(),
        gift: None,
        parcels: vec![Parcel {
            id: "p1".into(),
            carrier: A.into(),
            grams: 10,
        }],
        audit: vec![1],
        codes: vec![7],
        points: 3,
        window: (1, 2),
        first_seen: None,
        reviewers: vec![A.into()],
        watchers: vec![A.into()],
    }
}

/// Parse and apply `body` to `order` with `options`: on success, the update replayed on
/// the stored order gives the stored patched one; on failure, nothing changed.
fn run(order: &mut Order, body: &str, options: &Options) -> Result<Applied, Error> {
    let before = order.clone();
    let stored = bson::serialize_to_document(&before).unwrap();
    let result =
        patch::parse::<OrderPatch>(body.as_bytes()).and_then(|p| patch::apply(order, p, options));
    match &result {
        Ok(applied) => assert_eq!(
            apply_applied(&stored, applied).unwrap(),
            bson::serialize_to_document(&*order).unwrap(),
            "update {}",
            applied.update
        ),
        Err(_) => assert_eq!(*order, before, "{body}: a failed patch changed the target"),
    }
    result
}

#[test]
fn a_value_bson_cannot_store_fails_the_patch_before_anything_changes() {
    let max = u64::MAX;
    // (body, the place of the error): `title` changes first in each, then the bad value.
    let cases = [
        // A field stored through its own function, replaced.
        (r#"{"title": "x", "owner": "zz"}"#.to_owned(), "/owner"),
        // Inside a map entry, a stored one and a new one.
        (
            r#"{"title": "x", "lines": {"sku-1": {"product": "zz"}}}"#.to_owned(),
            "/lines/sku-1/product",
        ),
        (
            r#"{"title": "x", "lines": {"sku-2": {"product": "zz", "qty": 1}}}"#.to_owned(),
            "/lines/sku-2/product",
        ),
        (
            format!(
                r#"{{"title": "x", "lines": {{"sku-2": {{"product": "{B}", "qty": {max}}}}}}}"#
            ),
            "/lines/sku-2/qty",
        ),
        // Appended to a stored entry's list, and inside a new entry.
        (
            format!(r#"{{"title": "x", "lines": {{"sku-1": {{"shipped": [{max}]}}}}}}"#),
            "/lines/sku-1/shipped",
        ),
        (
            format!(
                r#"{{"title": "x", "lines": {{"sku-2": {{"product": "{B}", "qty": 1, "shipped": [{max}]}}}}}}"#
            ),
            "/lines/sku-2/shipped",
        ),
        // An `Option` built from the patch.
        (
            r#"{"title": "x", "gift": {"product": "zz", "qty": 1}}"#.to_owned(),
            "/gift/product",
        ),
        // Keyed items, as an array (source index) and by key, stored and new.
        (
            r#"{"title": "x", "parcels": [{"id": "p2", "carrier": "zz"}]}"#.to_owned(),
            "/parcels/0",
        ),
        (
            r#"{"title": "x", "parcels": [{"id": "p1", "carrier": "zz"}]}"#.to_owned(),
            "/parcels/0",
        ),
        (
            r#"{"title": "x", "parcels": {"p1": {"carrier": "zz"}}}"#.to_owned(),
            "/parcels/p1",
        ),
        (
            r#"{"title": "x", "parcels": {"p2": {"id": "p2", "carrier": "zz"}}}"#.to_owned(),
            "/parcels/p2",
        ),
        (
            format!(r#"{{"title": "x", "parcels": {{"p1": {{"grams": {max}}}}}}}"#),
            "/parcels/p1",
        ),
        // Appended and added items.
        (
            format!(r#"{{"title": "x", "audit": [2, {max}]}}"#),
            "/audit",
        ),
        (format!(r#"{{"title": "x", "codes": [{max}]}}"#), "/codes"),
        (
            format!(r#"{{"title": "x", "codes": {{"add": [{max}]}}}}"#),
            "/codes",
        ),
        // A value patched whole with `atomic`.
        (
            format!(r#"{{"title": "x", "window": [1, {max}]}}"#),
            "/window",
        ),
        // The result of a `with` function.
        (
            format!(r#"{{"title": "x", "points": {}}}"#, u64::MAX >> 10),
            "/points",
        ),
        // Lists stored through their own function: appended, added to.
        (
            r#"{"title": "x", "reviewers": ["zz"]}"#.to_owned(),
            "/reviewers",
        ),
        (
            r#"{"title": "x", "watchers": ["zz"]}"#.to_owned(),
            "/watchers",
        ),
    ];
    for (body, at) in &cases {
        let mut o = order();
        let err = run(&mut o, body, &Options::default()).unwrap_err();
        assert_eq!(
            (err.path(), err.http_status()),
            (*at, 422),
            "{body}: {err:?}"
        );
        assert!(
            matches!(err.kind(), ErrorKind::Unstorable { .. }),
            "{body}: {err:?}"
        );
    }
}

#[test]
fn a_custom_function_registered_in_the_options_is_checked_on_its_result() {
    let options = Options::default().on_type::<u64>(|t, s, _| {
        *t = s.saturating_mul(1 << 62);
        Ok(())
    });
    let mut o = order();
    let err = run(
        &mut o,
        r#"{"title": "x", "lines": {"sku-1": {"qty": 4}}}"#,
        &options,
    )
    .unwrap_err();
    assert_eq!(err.path(), "/lines/sku-1/qty");
    assert!(
        matches!(err.kind(), ErrorKind::Unstorable { .. }),
        "{err:?}"
    );
    // A result that fits is written.
    let applied = run(
        &mut o,
        r#"{"title": "x", "lines": {"sku-1": {"qty": 1}}}"#,
        &options,
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"lines.sku-1.qty": 1_i64 << 62, "title": "x"}}
    );
}

#[test]
fn lists_serde_stores_through_their_own_function_are_set_whole_as_it_stores_them() {
    let oid = |hex: &str| ObjectId::parse_str(hex).unwrap();
    // `$push` of the strings would have put strings among the stored ObjectIds.
    let mut o = order();
    let applied = run(
        &mut o,
        &format!(r#"{{"reviewers": ["{B}"], "watchers": ["{A}", "{B}"]}}"#),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {
            "reviewers": [oid(A), oid(B)],
            "watchers": [oid(A), oid(B)],
        }}
    );
    assert_eq!(o.reviewers, [A, B]);
    let pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(pointers, ["/reviewers", "/watchers"]);
    // Nothing new: no change.
    let applied = run(
        &mut o,
        &format!(r#"{{"watchers": ["{B}"]}}"#),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(applied.update, Document::new());
}

#[test]
fn a_with_function_field_is_one_change() {
    let mut o = order();
    let applied = run(&mut o, r#"{"points": 1}"#, &Options::default()).unwrap();
    assert_eq!(o.points, 4 << 20);
    assert_eq!(applied.update, doc! {"$set": {"points": 4_i64 << 20}});
    // It was recorded twice (once by the function's site, once by the field).
    assert_eq!(applied.changes.len(), 1, "{:?}", applied.changes);
    assert_eq!(applied.changes[0].path, "/points");
}

/// A keyed list serde stores as a map from id to quantity.
mod stock_as_map {
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(items: &[super::Stock], s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(items.len()))?;
        for item in items {
            map.serialize_entry(&item.sku, &item.qty)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::Stock>, D::Error> {
        let map = std::collections::BTreeMap::<String, u32>::deserialize(d)?;
        Ok(map
            .into_iter()
            .map(|(sku, qty)| super::Stock { sku, qty })
            .collect())
    }
}

/// An optional list serde stores as one comma-separated string.
mod joined {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|v| v.join(",")).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(|s| s.split(',').map(str::to_owned).collect()))
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Stock {
    sku: String,
    qty: u32,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Shelf {
    #[merge(by_key = sku)]
    #[serde(with = "stock_as_map")]
    stock: Vec<Stock>,
    #[merge(append)]
    #[serde(with = "joined", default)]
    labels: Option<Vec<String>>,
}

#[test]
fn strategies_on_fields_serde_stores_through_their_own_function() {
    // These did not compile (`by_key`, `union`), or pushed items serde never stores.
    let mut shelf = Shelf {
        stock: vec![
            Stock {
                sku: "a".into(),
                qty: 1,
            },
            Stock {
                sku: "b".into(),
                qty: 2,
            },
        ],
        labels: Some(vec!["x".into()]),
    };
    let stored = bson::serialize_to_document(&shelf).unwrap();
    let body: ShelfPatch =
        patch::parse(br#"{"stock": {"a": 5, "c": 1}, "labels": "y,z"}"#).unwrap();
    let applied = patch::apply(&mut shelf, body, &Options::default()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"labels": "x,y,z", "stock": {"a": 5_i64, "b": 2_i64, "c": 1_i64}}}
    );
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&shelf).unwrap()
    );
    let pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(pointers, ["/labels", "/stock"]);
}

/// A period serde refuses to write when it ends before it starts: a `Serialize` impl by
/// hand whose failure no single field shows.
#[derive(Merge, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Period {
    from: u32,
    to: u32,
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if self.from > self.to {
            return Err(serde::ser::Error::custom(
                "a period cannot end before it starts",
            ));
        }
        let mut st = s.serialize_struct("Period", 2)?;
        st.serialize_field("from", &self.from)?;
        st.serialize_field("to", &self.to)?;
        st.end()
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = no_rules)]
struct Booking {
    room: String,
    period: Period,
}

fn no_rules(_: &Booking) -> Result<(), Error> {
    Ok(())
}

#[test]
fn a_validated_type_is_unchanged_when_serde_refuses_the_patched_value() {
    // As `patch::apply` documents: a type with a validator is patched on a copy, so even a
    // failure only serde's impl of the whole value finds changes nothing.
    let mut booking = Booking {
        room: "a".into(),
        period: Period { from: 1, to: 5 },
    };
    let before = booking.clone();
    let body: BookingPatch = patch::parse(br#"{"room": "b", "period": {"from": 9}}"#).unwrap();
    let err = patch::apply(&mut booking, body, &Options::default()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unstorable { .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), "/period");
    assert_eq!(booking, before);
}

#[test]
fn a_kept_field_is_checked_only_where_the_given_value_is_written() {
    let max = u64::MAX;
    // None stored: the given value would be written.
    let mut o = order();
    let err = run(
        &mut o,
        &format!(r#"{{"title": "x", "first_seen": {max}}}"#),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err.path(), "/first_seen");
    // A value stored: it is kept, the given one is never written.
    o.first_seen = Some(5);
    let applied = run(
        &mut o,
        &format!(r#"{{"title": "x", "first_seen": {max}}}"#),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(applied.update, doc! {"$set": {"title": "x"}});
    assert_eq!(o.first_seen, Some(5));
}

mod generated {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// An id: a valid ObjectId in hex, or a string that is none.
    fn id() -> impl Strategy<Value = Value> {
        prop_oneof![Just(json!(A)), Just(json!(B)), Just(json!("zz"))]
    }

    /// A count: small, beyond `i64`, or near the edge.
    fn count() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0u64..5).prop_map(|n| json!(n)),
            Just(json!(u64::MAX)),
            Just(json!(i64::MAX as u64)),
        ]
    }

    fn line() -> impl Strategy<Value = Value> {
        (
            prop::option::of(id()),
            prop::option::of(count()),
            prop::option::of(prop::collection::vec(count(), 0..3)),
        )
            .prop_map(|(product, qty, shipped)| {
                let mut m = serde_json::Map::new();
                for (k, v) in [
                    ("product", product),
                    ("qty", qty),
                    ("shipped", shipped.map(Value::from)),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v);
                    }
                }
                Value::Object(m)
            })
    }

    fn parcels() -> impl Strategy<Value = Value> {
        let parcel = || {
            (
                prop_oneof![Just("p1"), Just("p2")],
                prop::option::of(id()),
                prop::option::of(count()),
            )
        };
        prop_oneof![
            prop::collection::vec(parcel(), 0..3).prop_map(|items| {
                Value::from(
                    items
                        .into_iter()
                        .map(|(pid, carrier, grams)| {
                            let mut m = serde_json::Map::new();
                            m.insert("id".into(), json!(pid));
                            m.insert("carrier".into(), carrier.unwrap_or(json!(A)));
                            if let Some(g) = grams {
                                m.insert("grams".into(), g);
                            }
                            Value::Object(m)
                        })
                        .collect::<Vec<_>>(),
                )
            }),
            prop::collection::btree_map(
                prop_oneof![Just("p1".to_owned()), Just("p2".to_owned())],
                prop::option::of((prop::option::of(id()), prop::option::of(count()))),
                0..3,
            )
            .prop_map(|entries| {
                let m: serde_json::Map<String, Value> = entries
                    .into_iter()
                    .map(|(pid, patch)| {
                        let v = match patch {
                            None => Value::Null,
                            Some((carrier, grams)) => {
                                let mut m = serde_json::Map::new();
                                m.insert("id".into(), json!(pid));
                                if let Some(c) = carrier {
                                    m.insert("carrier".into(), c);
                                }
                                if let Some(g) = grams {
                                    m.insert("grams".into(), g);
                                }
                                Value::Object(m)
                            }
                        };
                        (pid, v)
                    })
                    .collect();
                Value::Object(m)
            }),
        ]
    }

    fn body() -> impl Strategy<Value = Value> {
        (
            prop::option::of(id()),
            prop::option::of(prop::collection::btree_map(
                prop_oneof![Just("sku-1".to_owned()), Just("sku-2".to_owned())],
                prop::option::of(line()),
                0..3,
            )),
            prop::option::of(prop_oneof![Just(Value::Null), line()]),
            prop::option::of(parcels()),
            prop::option::of(prop::collection::vec(count(), 0..3)),
            prop::option::of(prop::collection::vec(count(), 0..3)),
            prop::option::of(count()),
            prop::option::of(prop::collection::vec(id(), 0..3)),
            prop::option::of(prop::collection::vec(id(), 0..3)),
            prop::option::of((count(), count())),
            prop::option::of(prop_oneof![Just(Value::Null), count()]),
        )
            .prop_map(
                |(
                    owner,
                    lines,
                    gift,
                    parcels,
                    audit,
                    codes,
                    points,
                    reviewers,
                    watchers,
                    window,
                    first_seen,
                )| {
                    let mut m = serde_json::Map::new();
                    m.insert("title".into(), json!("x"));
                    let lines = lines.map(|l| {
                        Value::Object(
                            l.into_iter()
                                .map(|(k, v)| (k, v.unwrap_or(Value::Null)))
                                .collect(),
                        )
                    });
                    for (k, v) in [
                        ("owner", owner),
                        ("lines", lines),
                        ("gift", gift),
                        ("parcels", parcels),
                        ("audit", audit.map(Value::from)),
                        ("codes", codes.map(Value::from)),
                        ("points", points),
                        ("reviewers", reviewers.map(Value::from)),
                        ("watchers", watchers.map(Value::from)),
                        ("window", window.map(|(a, b)| json!([a, b]))),
                        ("first_seen", first_seen),
                    ] {
                        if let Some(v) = v {
                            m.insert(k.into(), v);
                        }
                    }
                    Value::Object(m)
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Generated bodies mixing values bson can and cannot store, in every place of the
        /// order: a patch that fails changes nothing, one that succeeds gives an update that
        /// replays to what serde stores (both asserted by `run`).
        #[test]
        fn a_patch_either_applies_whole_or_changes_nothing(
            body in body(),
            gift in any::<bool>(),
            rfc in any::<bool>(),
        ) {
            let mut o = order();
            if gift {
                o.gift = Some(o.lines["sku-1"].clone());
            }
            let options = if rfc { Options::merge_patch() } else { Options::default() };
            let _ = run(&mut o, &body.to_string(), &options);
        }
    }
}
