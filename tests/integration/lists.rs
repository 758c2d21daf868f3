//! Keyed lists (`by_key`), sets (`union`) and versions (`version`) under PATCH, on a
//! customer model: partial item patches by key, insertions, removals, set additions and
//! removals compile to updates that touch only what they name (`$[kN]` with
//! `arrayFilters`, `$push`, `$pull`, `$addToSet`), so two writers who read the same
//! document and change different items or members both keep their change; a version field
//! makes racing writers of the same document fail instead of overwriting each other.
//!
//! Every accepted update is replayed with the suite's MongoDB applier (`src/mongo.rs`,
//! which models `arrayFilters`, `$addToSet`, `$pull` and `$inc` from MongoDB's manual) and
//! compared by equality with what serde stores for the merged value.

use bson::{Document, doc};
use conjungo::patch::{self, Applied};
use conjungo::{Error, ErrorKind, Merge, Options};
use conjungo_suite::mongo::{apply_applied, matches_filter};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Customer {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: String,
    name: String,
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    addresses: Vec<Address>,
    /// Keyed by a number stored under another name than the Rust field's.
    #[merge(by_key = sku)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cart: Option<Vec<Line>>,
    #[merge(version)]
    version: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Address {
    id: String,
    city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    geo: Option<Geo>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Geo {
    lat: f64,
    lon: f64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Line {
    #[serde(rename = "SKU")]
    sku: u32,
    qty: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gift_note: Option<String>,
}

fn address(id: &str, city: &str) -> Address {
    Address {
        id: id.into(),
        city: city.into(),
        zip: None,
        geo: None,
    }
}

fn customer() -> Customer {
    Customer {
        id: "c1".into(),
        name: "Ann".into(),
        roles: vec!["buyer".into(), "beta".into()],
        addresses: vec![
            Address {
                zip: Some("75001".into()),
                geo: Some(Geo {
                    lat: 48.8,
                    lon: 2.3,
                }),
                ..address("home", "Paris")
            },
            address("work", "Lyon"),
            address("old", "Nice"),
        ],
        cart: Some(vec![
            Line {
                sku: 17,
                qty: 1,
                gift_note: None,
            },
            Line {
                sku: 42,
                qty: 2,
                gift_note: Some("hi".into()),
            },
        ]),
        version: 7,
    }
}

fn stored(c: &Customer) -> Document {
    bson::serialize_to_document(c).unwrap()
}

/// Parse and apply `body`; on success the update (with its array filters) replayed on the
/// stored document gives exactly what serde stores for the merged value; on failure
/// nothing changed.
fn run(target: &mut Customer, body: &Value) -> Result<Applied, Error> {
    let before = target.clone();
    let bytes = serde_json::to_vec(body).unwrap();
    let result = patch::parse::<CustomerPatch>(&bytes)
        .and_then(|p| patch::apply(target, p, &Options::default()));
    match &result {
        Ok(applied) => {
            let replayed = apply_applied(&stored(&before), applied).unwrap_or_else(|e| {
                panic!(
                    "MongoDB would refuse {} with {:?}: {e}",
                    applied.update, applied.array_filters
                )
            });
            assert_eq!(
                replayed,
                stored(target),
                "body {body}\nupdate {}",
                applied.update
            );
            assert_eq!(applied.filter, doc! {"version": before.version});
            assert!(matches_filter(&stored(&before), &applied.filter));
        }
        Err(_) => assert_eq!(*target, before, "a failed patch changed the target"),
    }
    result
}

#[test]
fn an_item_patched_by_key_is_updated_in_place_through_an_array_filter() {
    let mut c = customer();
    let applied = run(
        &mut c,
        &json!({"addresses": {"home": {"city": "Paris 1er", "zip": null, "geo": {"lat": 48.86}}}}),
    )
    .unwrap();
    assert_eq!(
        c.addresses[0],
        Address {
            id: "home".into(),
            city: "Paris 1er".into(),
            zip: None,
            geo: Some(Geo {
                lat: 48.86,
                lon: 2.3
            }),
        }
    );
    assert_eq!(
        applied.update,
        doc! {
            "$set": {"addresses.$[k0].city": "Paris 1er", "addresses.$[k0].geo.lat": 48.86},
            "$unset": {"addresses.$[k0].zip": ""},
            "$inc": {"version": 1_i64},
        }
    );
    assert_eq!(applied.array_filters, vec![doc! {"k0.id": "home"}]);
    assert_eq!(c.version, 8);
    let paths: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/addresses/0/city",
            "/addresses/0/geo/lat",
            "/addresses/0/zip",
            "/version"
        ]
    );
}

#[test]
fn two_items_get_two_filters_and_numeric_renamed_keys_are_found() {
    let mut c = customer();
    let applied = run(
        &mut c,
        &json!({"cart": {"42": {"qty": 3, "giftNote": null}, "17": {"giftNote": "for Bo"}}}),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {
            "$set": {"cart.$[k0].giftNote": "for Bo", "cart.$[k1].qty": 3_i64},
            "$unset": {"cart.$[k1].giftNote": ""},
            "$inc": {"version": 1_i64},
        }
    );
    // Members in key order (serde_json's maps are sorted); u32 keys are stored as Int64;
    // the key's stored name is `SKU`.
    assert_eq!(
        applied.array_filters,
        vec![doc! {"k0.SKU": 17_i64}, doc! {"k1.SKU": 42_i64}]
    );
}

#[test]
fn new_items_are_pushed_and_removed_items_pulled_by_key() {
    let mut c = customer();
    let applied = run(
        &mut c,
        &json!({"addresses": {"beach": {"id": "beach", "city": "Biarritz", "zip": null}}}),
    )
    .unwrap();
    assert_eq!(c.addresses.last(), Some(&address("beach", "Biarritz")));
    assert_eq!(
        applied.update,
        doc! {
            "$push": {"addresses": {"$each": [{"id": "beach", "city": "Biarritz"}]}},
            "$inc": {"version": 1_i64},
        }
    );
    assert!(applied.array_filters.is_empty());

    let applied = run(
        &mut c,
        &json!({"addresses": {"old": null, "work": null, "nowhere": null}}),
    )
    .unwrap();
    let ids: Vec<&str> = c.addresses.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["home", "beach"]);
    assert_eq!(
        applied.update,
        doc! {
            // In stored order.
            "$pull": {"addresses": {"id": {"$in": ["work", "old"]}}},
            "$inc": {"version": 1_i64},
        }
    );
    let paths: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/addresses/1", "/addresses/2", "/version"]);
}

#[test]
fn whole_items_in_an_array_merge_by_key_with_the_items_own_rules() {
    let mut c = customer();
    let applied = run(
        &mut c,
        &json!({"addresses": [{"id": "work", "city": "Lyon 2e"}]}),
    )
    .unwrap();
    assert_eq!(c.addresses[1], address("work", "Lyon 2e"));
    assert_eq!(
        applied.update,
        doc! {"$set": {"addresses.$[k0].city": "Lyon 2e"}, "$inc": {"version": 1_i64}}
    );
    assert_eq!(applied.array_filters, vec![doc! {"k0.id": "work"}]);
}

#[test]
fn changing_and_adding_or_removing_in_one_list_sets_the_list() {
    let mut c = customer();
    let applied = run(
        &mut c,
        &json!({"addresses": {"home": {"city": "Paris 2e"}, "old": null}}),
    )
    .unwrap();
    let set = applied.update.get_document("$set").unwrap();
    assert_eq!(
        set.get_array("addresses").unwrap().len(),
        2,
        "the whole list is set: {}",
        applied.update
    );
    assert!(applied.array_filters.is_empty());
}

#[test]
fn set_members_are_added_with_add_to_set_and_removed_with_pull() {
    let mut c = customer();
    let applied = run(&mut c, &json!({"roles": ["admin", "buyer"]})).unwrap();
    assert_eq!(c.roles, ["buyer", "beta", "admin"]);
    assert_eq!(
        applied.update,
        doc! {"$addToSet": {"roles": {"$each": ["admin"]}}, "$inc": {"version": 1_i64}}
    );

    let applied = run(&mut c, &json!({"roles": {"remove": ["beta", "ghost"]}})).unwrap();
    assert_eq!(c.roles, ["buyer", "admin"]);
    assert_eq!(
        applied.update,
        doc! {"$pull": {"roles": {"$in": ["beta", "ghost"]}}, "$inc": {"version": 1_i64}}
    );

    // Adding and removing in one body: one array, two operators MongoDB cannot combine.
    let applied = run(
        &mut c,
        &json!({"roles": {"add": ["ops"], "remove": ["buyer"]}}),
    )
    .unwrap();
    assert_eq!(c.roles, ["admin", "ops"]);
    assert_eq!(
        applied.update,
        doc! {"$set": {"roles": ["admin", "ops"]}, "$inc": {"version": 1_i64}}
    );

    // Nothing to do: no update, no version increment.
    let applied = run(
        &mut c,
        &json!({"roles": {"add": ["ops"], "remove": ["nobody"]}}),
    )
    .unwrap();
    assert!(applied.is_empty());
    assert_eq!(applied.update, doc! {});
    assert_eq!(c.version, 10);
}

#[test]
fn bad_item_patches_fail_at_their_place_and_change_nothing() {
    let cases = [
        (
            json!({"addresses": {"home": {"id": "house"}}}),
            "/addresses/home",
            "Immutable",
        ),
        (
            json!({"addresses": {"beach": {"id": "sea", "city": "Biarritz"}}}),
            "/addresses/beach",
            "Custom",
        ),
        (
            json!({"addresses": {"beach": {"id": "beach"}}}),
            "/addresses/beach",
            "MissingFields",
        ),
        (
            json!({"addresses": {"home": {"city": 5}}}),
            "/addresses/home/city",
            "Custom",
        ),
        (
            json!({"addresses": {"home": {"bogus": 1}}}),
            "/addresses/home/bogus",
            "UnknownField",
        ),
        (
            json!({"addresses": [{"id": "a", "city": "x"}, {"id": "a", "city": "y"}]}),
            "/addresses/1",
            "DuplicateKey",
        ),
        (
            json!({"roles": {"drop": ["x"]}}),
            "/roles/drop",
            "UnknownField",
        ),
        (json!({"version": 9}), "/version", "ProtectedField"),
    ];
    for (body, path, kind) in cases {
        let mut c = customer();
        let err = run(&mut c, &body).unwrap_err();
        assert_eq!(
            (err.path(), err.kind().name(), err.http_status()),
            (path, kind, 422),
            "{body}: {err}"
        );
    }
    // A member that is neither an object nor null.
    let err = patch::parse::<CustomerPatch>(br#"{"addresses": {"home": 5}}"#).unwrap_err();
    assert_eq!((err.path(), err.http_status()), ("/addresses/home", 422));
}

#[test]
fn the_expected_version_is_checked_before_applying() {
    let c = customer();
    assert_eq!(patch::version(&c), Some(7));
    patch::check_version(&c, 7).unwrap();
    let err = patch::check_version(&c, 6).unwrap_err();
    assert_eq!(err.http_status(), 412);
    assert_eq!(
        *err.kind(),
        ErrorKind::VersionMismatch {
            expected: 6,
            found: Some(7)
        }
    );
}

/// Two requests read the same document, compute their updates from it, and are written one
/// after the other (`update_one` with `_id` and the update's filter): both changes stay
/// when they touch different items or members.
#[test]
fn concurrent_writers_of_different_items_and_members_both_keep_their_change() {
    // Unversioned: the same model without the version field's filter.
    let read = customer();
    let bodies = [
        (
            json!({"addresses": {"home": {"city": "Paris 3e"}}}),
            json!({"addresses": {"work": {"zip": "69002"}}}),
        ),
        (
            json!({"addresses": {"beach": {"id": "beach", "city": "Biarritz"}}}),
            json!({"addresses": {"old": null}}),
        ),
        (
            json!({"addresses": {"home": {"city": "Paris 3e"}}}),
            json!({"addresses": {"old": null}}),
        ),
        (
            json!({"roles": ["admin"]}),
            json!({"roles": {"remove": ["beta"]}}),
        ),
        (json!({"roles": ["admin"]}), json!({"roles": ["ops"]})),
        (
            json!({"cart": {"17": {"qty": 5}}}),
            json!({"cart": {"42": {"giftNote": null}}}),
        ),
    ];
    for (a, b) in bodies {
        let (mut first, mut second) = (read.clone(), read.clone());
        let ua = run(&mut first, &a).unwrap();
        let ub = run(&mut second, &b).unwrap();
        // Both are written (the version filter is left out here: without it, nothing
        // stops the second write, and nothing should be lost by it).
        let db = apply_applied(&stored(&read), &ua).unwrap();
        let db = apply_applied(&db, &ub).unwrap();
        // The result has both changes: apply both bodies in turn to the typed value.
        let mut both = read.clone();
        run(&mut both, &a).unwrap();
        run(&mut both, &b).unwrap();
        let mut db_value: Customer = bson::deserialize_from_document(db).unwrap();
        db_value.version = both.version;
        assert_eq!(db_value, both, "{a} then {b}");
    }
}

#[test]
fn racing_writers_of_a_versioned_document_cannot_both_write() {
    let read = customer();
    let (mut first, mut second) = (read.clone(), read.clone());
    let ua = run(
        &mut first,
        &json!({"addresses": {"home": {"city": "A"}, "old": null}}),
    )
    .unwrap();
    let ub = run(&mut second, &json!({"addresses": {"work": {"city": "B"}}})).unwrap();
    let mut db = stored(&read);
    // The first write matches its filter and increments the version.
    assert!(matches_filter(&db, &ua.filter));
    db = apply_applied(&db, &ua).unwrap();
    assert_eq!(db.get_i64("version").unwrap(), 8);
    // The second was computed from version 7: its filter matches nothing, nothing is
    // written, and the handler answers 412 (or reads again and retries).
    assert!(!matches_filter(&db, &ub.filter));
    // Retried on a fresh read, it applies cleanly.
    let mut fresh: Customer = bson::deserialize_from_document(db.clone()).unwrap();
    let ub = run(&mut fresh, &json!({"addresses": {"work": {"city": "B"}}})).unwrap();
    assert!(matches_filter(&db, &ub.filter));
    let db = apply_applied(&db, &ub).unwrap();
    assert_eq!(db, stored(&fresh));
    assert_eq!(fresh.addresses[0].city, "A");
    assert_eq!(fresh.addresses[1].city, "B");
}

fn arb_address(id: &'static str) -> impl Strategy<Value = Address> {
    (
        prop::sample::select(vec!["Paris", "Lyon", "Nice"]),
        prop::option::of(prop::sample::select(vec!["1", "2"])),
        prop::option::of((0..3i32, 0..3i32)),
    )
        .prop_map(move |(city, zip, geo)| Address {
            id: id.into(),
            city: city.into(),
            zip: zip.map(Into::into),
            geo: geo.map(|(a, b)| Geo {
                lat: f64::from(a),
                lon: f64::from(b),
            }),
        })
}

fn arb_customer() -> impl Strategy<Value = Customer> {
    (
        prop::sample::subsequence(vec!["a", "b", "c", "d"], 0..=4),
        prop::collection::vec(arb_address("x"), 4),
        prop::sample::subsequence(vec!["r1", "r2", "r3"], 0..=3),
        prop::option::of(prop::sample::subsequence(vec![1u32, 2, 3], 0..=3)),
    )
        .prop_map(|(ids, addresses, roles, cart)| Customer {
            id: "c".into(),
            name: "n".into(),
            roles: roles.into_iter().map(Into::into).collect(),
            addresses: ids
                .into_iter()
                .zip(addresses)
                .map(|(id, a)| Address { id: id.into(), ..a })
                .collect(),
            cart: cart.map(|skus| {
                skus.into_iter()
                    .map(|sku| Line {
                        sku,
                        qty: 1,
                        gift_note: None,
                    })
                    .collect()
            }),
            version: 1,
        })
}

/// A member of a keyed object body: a field patch of an item, the whole item, or null.
fn arb_item_patch() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!({"city": "Rome"})),
        Just(json!({"zip": null})),
        Just(json!({"zip": "9", "geo": {"lat": 5.0}})),
        Just(json!({"geo": null})),
        Just(json!({"geo": {"lat": 1.0, "lon": 1.0}})),
        Just(json!({"city": 3})),
        Just(json!({"bogus": true})),
    ]
}

fn arb_body() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(
            prop::sample::select(vec!["a", "b", "c", "d", "e"]),
            arb_item_patch(),
            0..3,
        ),
        prop::option::of((
            prop::sample::subsequence(vec!["r1", "r2", "r4"], 0..=2),
            prop::sample::subsequence(vec!["r1", "r3"], 0..=2),
        )),
        prop::option::of(prop::collection::btree_map(
            prop::sample::select(vec!["1", "2", "4"]),
            prop_oneof![
                Just(Value::Null),
                Just(json!({"qty": 2})),
                Just(json!({"giftNote": "x"}))
            ],
            0..3,
        )),
        any::<bool>(),
    )
        .prop_map(|(items, roles, cart, name)| {
            let mut body = serde_json::Map::new();
            if !items.is_empty() {
                // A new item's patch needs its key to be an item; give the key to half.
                let members = items
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Object(mut m) if k == "e" => {
                                m.insert("id".into(), json!(k));
                                m.entry("city").or_insert(json!("Oslo"));
                                Value::Object(m)
                            }
                            v => v,
                        };
                        (k.to_owned(), v)
                    })
                    .collect();
                body.insert("addresses".into(), Value::Object(members));
            }
            if let Some((add, remove)) = roles {
                body.insert("roles".into(), json!({"add": add, "remove": remove}));
            }
            if let Some(cart) = cart {
                let members = cart
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::Object(mut m) => {
                                m.insert("SKU".into(), json!(k.parse::<u32>().unwrap()));
                                m.entry("qty").or_insert(json!(1));
                                Value::Object(m)
                            }
                            v => v,
                        };
                        (k.to_owned(), v)
                    })
                    .collect();
                body.insert("cart".into(), Value::Object(members));
            }
            if name {
                body.insert("name".into(), json!("m"));
            }
            Value::Object(body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Replaying an accepted patch's update (with its array filters) gives exactly the
    /// serialized merged value, the version moves iff something changed, and a refused
    /// patch changes nothing (checked in `run`).
    #[test]
    fn keyed_list_and_set_updates_replay_exactly(c in arb_customer(), body in arb_body()) {
        let mut target = c.clone();
        if let Ok(applied) = run(&mut target, &body) {
            prop_assert_eq!(target.version, c.version + u64::from(!applied.is_empty()) as i64);
            // The array filters are exactly the identifiers the update's paths use (the
            // applier refuses unused or missing ones too).
            let mut used: Vec<String> = applied
                .update
                .values()
                .filter_map(|fields| fields.as_document())
                .flat_map(|fields| fields.keys())
                .flat_map(|path| path.split('.'))
                .filter_map(|seg| seg.strip_prefix("$[").and_then(|s| s.strip_suffix(']')))
                .map(String::from)
                .collect();
            used.sort();
            used.dedup();
            let mut declared: Vec<String> = applied
                .array_filters
                .iter()
                .map(|f| f.keys().next().unwrap().split('.').next().unwrap().to_owned())
                .collect();
            declared.sort();
            prop_assert_eq!(used, declared);
        }
    }

    /// Two patches computed from the same read that touch different items of the list
    /// (or only add set members) both take effect when written one after the other.
    #[test]
    fn disjoint_concurrent_patches_both_take_effect(
        c in arb_customer(),
        a in arb_item_patch(),
        b in arb_item_patch(),
        roles in prop::sample::subsequence(vec!["r1", "r4", "r5"], 0..=3),
    ) {
        let ids: Vec<String> = c.addresses.iter().map(|a| a.id.clone()).collect();
        prop_assume!(ids.len() >= 2);
        let body_a = json!({"addresses": {ids[0].clone(): a}, "roles": roles});
        let body_b = json!({"addresses": {ids[1].clone(): b}, "roles": ["r6"]});
        let (mut first, mut second) = (c.clone(), c.clone());
        let (Ok(ua), Ok(ub)) = (run(&mut first, &body_a), run(&mut second, &body_b)) else {
            return Ok(());
        };
        let db = apply_applied(&stored(&c), &ua).unwrap();
        let db = apply_applied(&db, &ub).unwrap();
        let mut both = c.clone();
        run(&mut both, &body_a).unwrap();
        run(&mut both, &body_b).unwrap();
        let mut db_value: Customer = bson::deserialize_from_document(db).unwrap();
        db_value.version = both.version;
        prop_assert_eq!(db_value, both);
    }
}

/// A stored list that holds a key twice (written by other means: bodies cannot): an array
/// filter or a `$pull` by that key would reach both items where the patch changed one, so
/// the list is set whole, and the replay still gives exactly the merged value (in `run`).
#[test]
fn a_key_stored_twice_sets_the_whole_list() {
    for body in [
        json!({"addresses": {"home": {"city": "Rome"}}}),
        json!({"addresses": {"home": null}}),
        json!({"addresses": [{"id": "home", "city": "Oslo"}]}),
    ] {
        let mut c = customer();
        c.addresses.push(address("home", "Paris bis"));
        let applied = run(&mut c, &body).unwrap();
        assert!(
            applied
                .update
                .get_document("$set")
                .unwrap()
                .contains_key("addresses"),
            "{body}: {}",
            applied.update
        );
        assert!(applied.array_filters.is_empty());
    }
}

/// Removing items or members from an optional list that is not stored changes nothing; a
/// new item there makes the list.
#[test]
fn removals_from_an_absent_optional_list_change_nothing() {
    let mut c = customer();
    c.cart = None;
    let applied = run(&mut c, &json!({"cart": {"17": null}})).unwrap();
    assert!(applied.is_empty());
    assert_eq!(c.cart, None);
    let applied = run(&mut c, &json!({"cart": {"5": {"SKU": 5, "qty": 1}}})).unwrap();
    assert_eq!(
        c.cart,
        Some(vec![Line {
            sku: 5,
            qty: 1,
            gift_note: None
        }])
    );
    assert_eq!(
        applied.update,
        doc! {"$set": {"cart": [{"SKU": 5_i64, "qty": 1_i64}]}, "$inc": {"version": 1_i64}}
    );
}
