//! Typed PATCH on a realistic domain model: chrono dates stored as BSON dates through bson's
//! serde helper, a uuid stored as BSON binary, `u64`, `rust_decimal::Decimal`,
//! `bson::DateTime`, a nested optional struct, a map of structs, a keyed list, serde
//! renames and defaults, a fieldless enum and a newtype (every body read in one pass from its
//! bytes exactly as through a `Value`). Every update is replayed with the
//! independent MongoDB applier of `src/mongo.rs` (no server) and compared with what
//! `bson::serialize_to_document` stores for the merged value.

use std::collections::BTreeMap;

use bson::oid::ObjectId;
use bson::{Bson, Document, doc};
use chrono::{TimeZone, Utc};
use conjungo::patch::{self, Applied};
use conjungo::{Error, ErrorKind, Merge, Options};
use conjungo_suite::mongo::apply_applied;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct User {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: ObjectId,
    #[serde(rename = "displayName")]
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(with = "bson::serde_helpers::datetime::FromChrono04DateTime")]
    created_at: chrono::DateTime<Utc>,
    #[serde(with = "bson::serde_helpers::uuid_1::AsBinary")]
    external_id: uuid::Uuid,
    quota: u64,
    balance: rust_decimal::Decimal,
    last_seen: Option<bson::DateTime>,
    profile: Option<Profile>,
    #[serde(default)]
    settings: BTreeMap<String, Setting>,
    #[merge(by_key = id)]
    addresses: Vec<Address>,
    #[serde(default)]
    tags: Vec<String>,
    meta: Value,
    role: Role,
    handle: Handle,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[merge(patch)]
#[serde(rename_all = "camelCase", default)]
struct Profile {
    nick_name: Option<String>,
    bio: String,
    #[serde(alias = "homepage")]
    web_site: Option<String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Setting {
    enabled: bool,
    level: Option<i64>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Address {
    id: String,
    city: String,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Role {
    Admin,
    Member,
    Guest,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Handle(String);

fn user() -> User {
    User {
        id: ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
        name: "Ann".into(),
        email: None,
        created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        external_id: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        quota: 10,
        balance: "12.50".parse().unwrap(),
        last_seen: Some(bson::DateTime::from_millis(1_700_000_000_000)),
        profile: Some(Profile {
            nick_name: Some("a".into()),
            bio: "hi".into(),
            web_site: None,
        }),
        settings: BTreeMap::from([(
            "mail".into(),
            Setting {
                enabled: true,
                level: Some(2),
            },
        )]),
        addresses: vec![Address {
            id: "home".into(),
            city: "Oslo".into(),
        }],
        tags: vec!["a".into()],
        meta: json!({"x": {"1": "a", "k": "v"}, "n": 1}),
        role: Role::Member,
        handle: Handle("ann".into()),
    }
}

fn stored(user: &User) -> Document {
    bson::serialize_to_document(user).unwrap()
}

/// Parse and apply `body`; on success the update replayed on the stored document gives
/// exactly what serde stores for the merged value, and that deserializes back to it; on
/// failure nothing changed.
fn run(target: &mut User, body: &Value, options: &Options) -> Result<Applied, Error> {
    let before = target.clone();
    let bytes = serde_json::to_vec(body).unwrap();
    // The one pass over the bytes reads what the `Value` path reads, and reads every body
    // the `Value` path accepts (serialized from a `Value`: keys sorted, none repeated).
    let limits = patch::Limits::default();
    let reference = conjungo::__private::parse_through_value::<UserPatch>(&bytes, &limits);
    let one_pass = conjungo::__private::parse_one_pass::<UserPatch>(&bytes, &limits);
    assert_eq!(
        format!("{one_pass:?}"),
        format!("{:?}", reference.as_ref().ok()),
        "body {body}"
    );
    let result = patch::parse::<UserPatch>(&bytes).and_then(|p| patch::apply(target, p, options));
    match &result {
        Ok(applied) => {
            let replayed = apply_applied(&stored(&before), applied)
                .unwrap_or_else(|e| panic!("MongoDB would refuse {}: {e}", applied.update));
            let expected = stored(target);
            assert_eq!(replayed, expected, "body {body}\nupdate {}", applied.update);
            let read: User = bson::deserialize_from_document(replayed).unwrap();
            assert_eq!(read, *target);
            assert_eq!(applied.update.is_empty(), applied.changes.is_empty());
        }
        Err(_) => assert_eq!(*target, before, "a failed patch changed the target"),
    }
    result
}

fn unstorable_at(result: Result<Applied, Error>, pointer: &str) {
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unstorable { .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), pointer);
    assert_eq!(err.http_status(), 422);
}

// Defect 1: values bson cannot store are errors, never an `$unset`.

#[test]
fn a_u64_beyond_i64_is_an_error_not_an_unset() {
    let mut u = user();
    let result = run(
        &mut u,
        &json!({"quota": 9_223_372_036_854_775_809_u64}),
        &Options::default(),
    );
    unstorable_at(result, "/quota");
    // At the limit it is stored as an Int64.
    let applied = run(
        &mut u,
        &json!({"quota": i64::MAX as u64}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(applied.update, doc! {"$set": {"quota": i64::MAX}});
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Ledger {
    name: String,
    total: i128,
    big: Option<u128>,
    counts: Vec<u64>,
}

#[test]
fn i128_u128_and_large_items_are_errors_and_change_nothing() {
    let mut l = Ledger {
        name: "l".into(),
        total: 0,
        big: None,
        counts: vec![],
    };
    let before = l.clone();
    for (body, pointer) in [
        (json!({"name": "m", "total": 5}), "/total"),
        (json!({"name": "m", "big": 5}), "/big"),
        (json!({"name": "m", "counts": [1, u64::MAX]}), "/counts"),
    ] {
        let p: LedgerPatch = patch::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        let err = patch::apply(&mut l, p, &Options::default()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Unstorable { .. }),
            "{body}: {err:?}"
        );
        assert_eq!(err.path(), pointer, "{body}");
        assert_eq!(l, before, "{body}");
    }
}

#[test]
fn numeric_and_empty_keys_in_dynamic_fields_set_the_parent_with_its_value() {
    let options = Options::merge_patch();
    let mut u = user();
    let applied = run(&mut u, &json!({"meta": {"7": 1}}), &options).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"meta": {"n": 1_i64, "x": {"1": "a", "k": "v"}, "7": 1_i64}}}
    );

    let mut u = user();
    let applied = run(&mut u, &json!({"meta": {"x": {"1": "b"}}}), &options).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"meta.x": {"1": "b", "k": "v"}}}
    );

    let mut u = user();
    let applied = run(&mut u, &json!({"meta": {"": 2, "n": 3}}), &options).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"meta": {"": 2_i64, "n": 3_i64, "x": {"1": "a", "k": "v"}}}}
    );
}

#[test]
fn an_unstorable_number_next_to_a_sibling_deletes_nothing() {
    let mut u = user();
    let result = run(
        &mut u,
        &json!({"displayName": "B", "meta": {"a": 1, "b": u64::MAX}}),
        &Options::merge_patch(),
    );
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unstorable { .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), "/meta");
}

// Defect 2: `with` and `serialize_with` decide what is stored.

#[test]
fn with_helpers_decide_the_stored_type() {
    let mut u = user();
    let applied = run(
        &mut u,
        &json!({
            "created_at": {"$date": "2025-06-07T08:09:10Z"},
            "external_id": "00000000-0000-0000-0000-00000000002a",
        }),
        &Options::default(),
    )
    .unwrap();
    let date = bson::DateTime::from_chrono(Utc.with_ymd_and_hms(2025, 6, 7, 8, 9, 10).unwrap());
    let binary = bson::Binary {
        subtype: bson::spec::BinarySubtype::Uuid,
        bytes: uuid::Uuid::from_u128(42).as_bytes().to_vec(),
    };
    assert_eq!(
        applied.update,
        doc! {"$set": {"created_at": date, "external_id": binary}}
    );
}

// Defect 3: pointers name each place once.

#[test]
fn unknown_fields_are_named_once() {
    let err = patch::parse::<UserPatch>(br#"{"colour": "red"}"#).unwrap_err();
    assert_eq!(err.path(), "/colour");
    let err = patch::parse::<UserPatch>(br#"{"profile": {"nickname": "x"}}"#).unwrap_err();
    assert_eq!(err.path(), "/profile/nickname");
    assert_eq!(
        err.kind(),
        &ErrorKind::UnknownField {
            field: "nickname".into()
        }
    );
}

// Defect 4: bson types read their Extended JSON form; `$` keys stay refused elsewhere.

#[test]
fn bson_dates_and_decimals_read_extended_json() {
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Doc {
        at: bson::DateTime,
        price: bson::Decimal128,
        owner: ObjectId,
    }
    let mut d = Doc {
        at: bson::DateTime::from_millis(0),
        price: "1.5".parse().unwrap(),
        owner: ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
    };
    let p: DocPatch = patch::parse(
        br#"{"at": {"$date": {"$numberLong": "1700000000000"}},
             "price": {"$numberDecimal": "2.25"},
             "owner": {"$oid": "65a1b2c3d4e5f60718293a4c"}}"#,
    )
    .unwrap();
    let applied = patch::apply(&mut d, p, &Options::default()).unwrap();
    let expected = doc! {
        "at": bson::DateTime::from_millis(1_700_000_000_000),
        "price": "2.25".parse::<bson::Decimal128>().unwrap(),
        "owner": ObjectId::parse_str("65a1b2c3d4e5f60718293a4c").unwrap(),
    };
    assert_eq!(applied.update, doc! {"$set": expected});
}

#[test]
fn dollar_keys_stay_refused_in_maps_and_dynamic_values() {
    for (body, pointer) in [
        (
            json!({"meta": {"$date": "2020-01-01T00:00:00Z"}}),
            "/meta/$date",
        ),
        (
            json!({"meta": {"a": {"$oid": "65a1b2c3d4e5f60718293a4c"}}}),
            "/meta/a/$oid",
        ),
        (
            json!({"settings": {"$date": {"enabled": true}}}),
            "/settings/$date",
        ),
    ] {
        let mut u = user();
        let err = run(&mut u, &body, &Options::merge_patch()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ForbiddenKey { .. }),
            "{body}: {err:?}"
        );
        assert_eq!(err.path(), pointer, "{body}");
    }
    // Operators are never wrappers.
    let err = patch::parse::<UserPatch>(br#"{"name": {"$where": "1"}}"#).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::ForbiddenKey { .. }));
}

// Defect 5: serde's defaults and aliases hold in patch types.

#[test]
fn container_defaults_and_aliases_are_honoured() {
    let mut u = user();
    u.profile = None;
    // `Profile` has a container `#[serde(default)]`: every field may be left out.
    let applied = run(
        &mut u,
        &json!({"profile": {"homepage": "https://a.example"}}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        u.profile,
        Some(Profile {
            nick_name: None,
            bio: String::new(),
            web_site: Some("https://a.example".into()),
        })
    );
    assert_eq!(
        applied.update,
        doc! {"$set": {"profile": {"nickName": null, "bio": "", "webSite": "https://a.example"}}}
    );
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(default = "Limits::fallback")]
struct Limits {
    soft: i64,
    hard: i64,
    #[serde(default = "seven")]
    burst: i64,
}

impl Limits {
    fn fallback() -> Self {
        Limits {
            soft: 1,
            hard: 2,
            burst: 3,
        }
    }
}

fn seven() -> i64 {
    7
}

#[test]
fn default_paths_build_missing_fields() {
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Plan {
        limits: Option<Limits>,
    }
    let mut plan = Plan { limits: None };
    let p: PlanPatch = patch::parse(br#"{"limits": {"hard": 9}}"#).unwrap();
    patch::apply(&mut plan, p, &Options::default()).unwrap();
    assert_eq!(
        plan.limits,
        Some(Limits {
            soft: 1,
            hard: 9,
            burst: 7
        })
    );
}

// Defect 6: recursion through `Option<Box<_>>`, enums and newtypes as fields.

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Node {
    name: String,
    child: Option<Box<Node>>,
}

#[test]
fn boxed_recursion_patches_nested_fields() {
    let mut n = Node {
        name: "root".into(),
        child: Some(Box::new(Node {
            name: "kid".into(),
            child: None,
        })),
    };
    let p: NodePatch =
        patch::parse(br#"{"child": {"name": "k2", "child": {"name": "g"}}}"#).unwrap();
    let before = bson::serialize_to_document(&n).unwrap();
    let applied = patch::apply(&mut n, p, &Options::default()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"child.child": {"name": "g", "child": null}, "child.name": "k2"}}
    );
    assert_eq!(
        apply_applied(&before, &applied).unwrap(),
        bson::serialize_to_document(&n).unwrap()
    );
}

#[test]
fn enums_and_newtypes_patch_as_whole_values() {
    let mut u = user();
    let applied = run(
        &mut u,
        &json!({"role": "admin", "handle": "ann2"}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"handle": "ann2", "role": "admin"}}
    );
    let err = run(&mut u, &json!({"role": "root"}), &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/role");
}

#[test]
fn atomic_fields_need_only_serde() {
    /// A type with no `Merge` impl of its own.
    #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
    struct Geo {
        lat: f64,
        lon: f64,
    }
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Place {
        #[merge(atomic)]
        geo: Geo,
        #[merge(atomic)]
        alt: Option<Geo>,
    }
    let mut place = Place {
        geo: Geo { lat: 1.0, lon: 2.0 },
        alt: None,
    };
    place
        .merge(Place {
            geo: Geo { lat: 3.0, lon: 4.0 },
            alt: None,
        })
        .unwrap();
    assert_eq!(place.geo, Geo { lat: 3.0, lon: 4.0 });
    let p: PlacePatch =
        patch::parse(br#"{"geo": {"lat": 5.0, "lon": 6.0}, "alt": {"lat": 0.5, "lon": 0.5}}"#)
            .unwrap();
    let applied = patch::apply(&mut place, p, &Options::default()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"alt": {"lat": 0.5, "lon": 0.5}, "geo": {"lat": 5.0, "lon": 6.0}}}
    );
}

// Round trip with the resource representation.

fn representation(u: &User) -> Value {
    let mut v = serde_json::to_value(u).unwrap();
    v.as_object_mut().unwrap().remove("_id");
    v
}

#[test]
fn echoing_the_representation_back_is_a_no_op() {
    let mut u = user();
    u.email = Some("a@example.com".into());
    let before = u.clone();
    let applied = run(&mut u, &representation(&before), &Options::merge_patch()).unwrap();
    assert!(applied.update.is_empty(), "{}", applied.update);
    assert!(applied.changes.is_empty(), "{:?}", applied.changes);
    assert_eq!(u, before);
}

#[test]
fn skip_serializing_if_fields_are_unset_when_they_become_none() {
    let mut u = user();
    u.email = Some("a@example.com".into());
    let applied = run(
        &mut u,
        &json!({"email": null, "last_seen": null}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"last_seen": Bson::Null}, "$unset": {"email": ""}}
    );
}

// Property: generated stored users and bodies.

/// A dynamic value with numeric and empty keys; `hostile` adds nulls and integers bson
/// cannot store (bodies only: a stored document holds neither).
fn arb_meta(hostile: bool) -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["a", "b", "k", "x", "1", "7", "", "n"]);
    let plain = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z]{0,3}".prop_map(Value::from),
    ];
    let leaf = if hostile {
        prop_oneof![
            6 => plain,
            1 => Just(Value::Null),
            1 => prop_oneof![Just(u64::MAX), Just(1u64 << 63)].prop_map(Value::from),
        ]
        .boxed()
    } else {
        plain.boxed()
    };
    leaf.prop_recursive(3, 16, 4, move |inner| {
        prop::collection::btree_map(key.clone(), inner, 0..4)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    })
}

fn arb_user() -> impl Strategy<Value = User> {
    (
        ("[a-z]{1,4}", prop::option::of("[a-z]{1,4}")),
        0i64..4_000_000_000,
        any::<u128>(),
        0u64..=i64::MAX as u64,
        -100_000i64..100_000,
        prop::option::of(0i64..4_000_000_000_000),
        prop::option::of(("[a-z]{0,2}", prop::option::of("[a-z]{0,2}"))),
        prop::collection::btree_map(
            "[a-c1]{1,2}",
            (any::<bool>(), prop::option::of(-5i64..5)),
            0..3,
        ),
        prop::collection::vec(("[a-c]", "[a-z]{1,3}"), 0..3),
        prop::collection::vec("[a-z]{1,2}", 0..3),
        arb_meta(false).prop_map(|m| if m.is_object() { m } else { json!({"v": m}) }),
        prop::sample::select(vec![Role::Admin, Role::Member, Role::Guest]),
    )
        .prop_map(
            |(
                (name, email),
                secs,
                ext,
                quota,
                cents,
                seen,
                profile,
                settings,
                addrs,
                tags,
                meta,
                role,
            )| {
                let mut addresses: Vec<Address> = Vec::new();
                for (id, city) in addrs {
                    if addresses.iter().all(|a| a.id != id) {
                        addresses.push(Address { id, city });
                    }
                }
                User {
                    id: ObjectId::parse_str("65a1b2c3d4e5f60718293a4b").unwrap(),
                    name,
                    email,
                    created_at: Utc.timestamp_opt(secs, 0).unwrap(),
                    external_id: uuid::Uuid::from_u128(ext),
                    quota,
                    balance: rust_decimal::Decimal::new(cents, 2),
                    last_seen: seen.map(bson::DateTime::from_millis),
                    profile: profile.map(|(bio, nick)| Profile {
                        nick_name: nick,
                        bio,
                        web_site: None,
                    }),
                    settings: settings
                        .into_iter()
                        .map(|(k, (enabled, level))| (k, Setting { enabled, level }))
                        .collect(),
                    addresses,
                    tags,
                    meta,
                    role,
                    handle: Handle("h".into()),
                }
            },
        )
}

/// A body: parts of another user's representation, with nulls and hostile numbers mixed in.
fn arb_body() -> impl Strategy<Value = Value> {
    (
        arb_user(),
        prop::collection::vec(any::<u8>(), 16),
        prop::option::weighted(
            0.2,
            prop_oneof![Just(u64::MAX), Just(1u64 << 63), Just(5u64)],
        ),
        arb_meta(true),
    )
        .prop_map(|(other, picks, quota, meta)| {
            let Value::Object(full) = representation(&other) else {
                unreachable!()
            };
            let mut body = serde_json::Map::new();
            for (i, (key, value)) in full.into_iter().enumerate() {
                // Left out, given, or (for optional fields, mostly) null.
                let optional = matches!(key.as_str(), "email" | "last_seen" | "profile");
                match picks[i % picks.len()] % 8 {
                    0..=3 => {}
                    4..=6 => {
                        body.insert(key, value);
                    }
                    _ if optional || picks[15] % 8 == 0 => {
                        body.insert(key, Value::Null);
                    }
                    _ => {}
                }
            }
            if let Some(q) = quota {
                body.insert("quota".into(), q.into());
            }
            if picks[0] % 2 == 0 {
                body.insert("meta".into(), meta);
            }
            Value::Object(body)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn replayed_updates_equal_what_serde_stores(
        mut stored_user in arb_user(),
        body in arb_body(),
        rfc in any::<bool>(),
    ) {
        let options = if rfc { Options::merge_patch() } else { Options::default() };
        // `run` asserts the replay (Ok) or that nothing changed (Err).
        let result = run(&mut stored_user, &body, &options);
        if std::env::var_os("CONJUNGO_STATS").is_some() {
            eprintln!("STAT {}", match &result {
                Ok(a) if a.update.is_empty() => "noop".to_string(),
                Ok(_) => "ok".to_string(),
                Err(e) => format!("err {:?}", std::mem::discriminant(e.kind())),
            });
        }
    }
}

/// `new` as an application would make it from `old`: addresses kept in their stored
/// order, new ones after them in key order (the order a keyed diff's body reads them in).
fn keyed_order(old: &User, mut new: User) -> User {
    let mut kept: Vec<Address> = old
        .addresses
        .iter()
        .filter_map(|a| new.addresses.iter().find(|b| b.id == a.id).cloned())
        .collect();
    let mut added: Vec<Address> = new
        .addresses
        .iter()
        .filter(|b| old.addresses.iter().all(|a| a.id != b.id))
        .cloned()
        .collect();
    added.sort_by(|a, b| a.id.cmp(&b.id));
    kept.extend(added);
    new.addresses = kept;
    new.id = old.id;
    new
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// On the real model (dates through bson's helpers, uuids as binary, decimals, maps,
    /// a keyed list, a JSON field, enums, newtypes): the diff of two users, sent as JSON and
    /// read back with `patch::parse`, turns the old one into the new one, and the update
    /// replayed on the stored document gives what serde stores for the new one.
    #[test]
    fn a_diff_sent_as_json_turns_one_user_into_another(old in arb_user(), new in arb_user()) {
        let new = keyed_order(&old, new);
        let diff = patch::diff(&old, &new);
        let body = serde_json::to_vec(&diff).unwrap();
        let parsed: UserPatch = patch::parse(&body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
        let mut merged = old.clone();
        let applied = patch::apply(&mut merged, parsed, &Options::merge_patch()).unwrap();
        prop_assert_eq!(&merged, &new, "body {}", String::from_utf8_lossy(&body));
        let replayed = apply_applied(&stored(&old), &applied).unwrap();
        prop_assert_eq!(replayed, stored(&new));
    }
}

// Foreign types of every feature: merged by the overwrite rule, patched whole.

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Event {
    day: chrono::NaiveDate,
    at: time::OffsetDateTime,
    took: time::Duration,
    link: url::Url,
    id: uuid::Uuid,
    price: rust_decimal::Decimal,
    token: bson::Uuid,
}

fn event() -> Event {
    Event {
        day: chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
        at: time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        took: time::Duration::seconds(5),
        link: url::Url::parse("https://a.example/x").unwrap(),
        id: uuid::Uuid::from_u128(1),
        price: "1.50".parse().unwrap(),
        token: bson::Uuid::from_bytes([1; 16]),
    }
}

#[test]
fn foreign_types_merge_and_patch_as_atomic_values() {
    let mut e = event();
    let mut other = event();
    other.link = url::Url::parse("https://b.example/").unwrap();
    other.price = "2".parse().unwrap();
    e.merge_with(other.clone(), &Options::default().overwrite(false))
        .unwrap();
    assert_eq!(e, event(), "overwrite off keeps atomic values");
    e.merge(other.clone()).unwrap();
    assert_eq!(e, other);

    let stored = bson::serialize_to_document(&e).unwrap();
    let mut body = serde_json::to_value(event()).unwrap();
    body.as_object_mut().unwrap().remove("took");
    let p: EventPatch = patch::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    let applied = patch::apply(&mut e, p, &Options::default()).unwrap();
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&e).unwrap()
    );
    assert_eq!(e, event());
    let Some(Bson::Document(set)) = applied.update.get("$set") else {
        panic!("{}", applied.update)
    };
    let mut keys: Vec<&str> = set.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["link", "price"]);
}

#[test]
fn a_null_inside_an_existing_map_entry_is_stored_as_null() {
    // `Setting::level` is stored as `null` when `None` (no `skip_serializing_if`): setting it
    // to `None` inside an existing entry is a `$set` of `null`, not an `$unset`.
    let mut u = user();
    let applied = run(
        &mut u,
        &json!({"settings": {"mail": {"level": null}}}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"settings.mail.level": Bson::Null}}
    );
}
