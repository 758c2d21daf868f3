//! Typed PATCH: generated patch types, the untrusted-body gate, `patch::apply`, and the
//! MongoDB update checked with the independent applier of `src/mongo.rs` (no server).

use std::collections::HashMap;

use bson::{Document, doc};
use conjungo::patch::{self, ChangeKind, Limits, Patchable};
use conjungo::{Error, ErrorKind, Merge, Options, Patch};
use conjungo_suite::catalog::{Deploy, DeployPatch, Service, ServicePatch, svc};
use conjungo_suite::mongo::apply_applied;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn stored(service: &Service) -> Document {
    bson::serialize_to_document(service).unwrap()
}

/// Parse `body`, apply it, and check the update against MongoDB's rules.
fn run(service: &mut Service, body: &[u8], options: &Options) -> Result<patch::Applied, Error> {
    let before = service.clone();
    let result = patch::parse::<ServicePatch>(body).and_then(|p| patch::apply(service, p, options));
    match &result {
        Ok(applied) => {
            let replayed = apply_applied(&stored(&before), applied)
                .unwrap_or_else(|e| panic!("MongoDB would refuse {}: {e}", applied.update));
            assert_eq!(replayed, stored(service), "update {}", applied.update);
            assert_eq!(applied.update.is_empty(), applied.changes.is_empty());
        }
        Err(_) => assert_eq!(*service, before, "a failed patch changed the target"),
    }
    result
}

#[test]
fn patch_type_fields_are_patches_of_the_field_forms() {
    let p: ServicePatch = patch::parse(
        br#"{"name": "n", "notes": null, "labels": {"a": "1", "b": null}, "deploy": {"replicas": 2}}"#,
    )
    .unwrap();
    assert_eq!(p.name, Patch::Set("n".to_string()));
    assert_eq!(p.notes, Patch::Null);
    assert_eq!(p.tier, Patch::Absent);
    assert_eq!(
        p.labels,
        Patch::Set(HashMap::from([
            ("a".to_string(), Patch::Set("1".to_string())),
            ("b".to_string(), Patch::Null)
        ]))
    );
    let Patch::Set(deploy) = &p.deploy else {
        panic!()
    };
    assert_eq!(deploy.replicas, Patch::Set(2));
    assert_eq!(deploy.image, Patch::Absent);
    // Serializes back the same way: absent fields omitted.
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({"name": "n", "notes": null, "labels": {"a": "1", "b": null}, "deploy": {"replicas": 2}})
    );
    let empty = ServicePatch::default();
    assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
}

#[test]
fn the_gate_rejects_each_hostile_body_with_status_and_pointer() {
    let deep = format!("{}1{}", r#"{"labels":"#.repeat(101), "}".repeat(101));
    let too_deep_for_serde = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let deep_path = "/labels".repeat(100);
    let cases: Vec<(Vec<u8>, u16, &str, &str)> = vec![
        (b"\xff\xfe".to_vec(), 400, "", "invalid UTF-8"),
        (br#"{"name": }"#.to_vec(), 400, "", "line 1 column 10"),
        (br#"["name"]"#.to_vec(), 400, "", "expected a JSON object"),
        (b"null".to_vec(), 400, "", "expected a JSON object"),
        (
            br#"{"$set": {"x": 1}}"#.to_vec(),
            422,
            "/$set",
            "MongoDB operators",
        ),
        (br#"{"a.b": "x"}"#.to_vec(), 422, "/a.b", "MongoDB paths"),
        (
            b"{\"labels\": {\"a\\u0000\": \"x\"}}".to_vec(),
            422,
            "/labels/a\0",
            "NUL",
        ),
        (br#"{"_id": "other"}"#.to_vec(), 422, "/_id", "protected"),
        (br#"{"name": null}"#.to_vec(), 422, "/name", "required"),
        (
            br#"{"deploy": {"replicas": null}}"#.to_vec(),
            422,
            "/deploy/replicas",
            "required",
        ),
        (
            br#"{"tier": "gold"}"#.to_vec(),
            422,
            "/tier",
            "invalid type",
        ),
        (
            br#"{"colour": "red"}"#.to_vec(),
            422,
            "/colour",
            "unknown field `colour`",
        ),
        (
            br#"{"deploy": {"size": 1}}"#.to_vec(),
            422,
            "/deploy/size",
            "unknown field `size`",
        ),
        (
            br#"{"endpoints": [{"name": "x"}]}"#.to_vec(),
            422,
            "/endpoints/0",
            "missing required field `url`",
        ),
        (
            deep.into_bytes(),
            422,
            &deep_path,
            "nesting deeper than 100",
        ),
        (
            too_deep_for_serde.into_bytes(),
            422,
            "",
            "nesting deeper than 100",
        ),
    ];
    for (body, status, path, text) in cases {
        let mut service = svc(1);
        let err = run(&mut service, &body, &Options::merge_patch()).unwrap_err();
        let shown = String::from_utf8_lossy(&body);
        assert_eq!(err.http_status(), status, "{shown}: {err}");
        assert_eq!(err.path(), path, "{shown}");
        assert!(err.to_string().contains(text), "{shown}: {err}");
    }
    // Bodies over the size limit.
    let limits = Limits::default().max_body_bytes(10);
    let err =
        patch::parse_with::<ServicePatch>(br#"{"name": "a longer name"}"#, &limits).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::TooLarge { limit: 10 });
    assert_eq!(err.http_status(), 413);
}

#[test]
fn nested_values_are_patched_built_or_refused_naming_missing_fields() {
    let mut s = svc(1);
    s.deploy = None;
    let err = run(
        &mut s,
        br#"{"deploy": {"image": "i"}}"#,
        &Options::merge_patch(),
    )
    .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::MissingFields {
            fields: vec!["replicas".into()]
        }
    );
    assert_eq!(err.path(), "/deploy");
    assert_eq!(err.http_status(), 422);
    let err = run(&mut s, br#"{"deploy": {}}"#, &Options::merge_patch()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "at /deploy: missing required fields `replicas`, `image`"
    );

    // `env` has `#[serde(default)]`: a build may omit it.
    let applied = run(
        &mut s,
        br#"{"deploy": {"image": "i", "replicas": 1}}"#,
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(
        s.deploy,
        Some(Deploy {
            replicas: 1,
            image: "i".into(),
            env: HashMap::new()
        })
    );
    assert_eq!(
        applied.update,
        doc! {"$set": {"deploy": {"replicas": 1_i64, "image": "i", "env": {}}}}
    );

    let applied = run(
        &mut s,
        br#"{"deploy": {"env": {"A": "1"}}}"#,
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(applied.update, doc! {"$set": {"deploy.env.A": "1"}});
    assert_eq!(applied.changes[0].kind, ChangeKind::Added);
}

#[test]
fn options_maps_and_sequences() {
    let mut s = svc(1);
    // `notes` is skipped when None: null unsets it; `deploy` is stored as null.
    s.notes = Some("n".into());
    let applied = run(
        &mut s,
        br#"{"notes": null, "deploy": null, "labels": {"l0": null, "new": "x"}}"#,
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"deploy": null, "labels.new": "x"}, "$unset": {"labels.l0": "", "notes": ""}}
    );
    // Sequences follow the options: appended (a `$push`) by default, replaced by RFC 7396.
    let applied = run(&mut s, br#"{"tags": ["t"]}"#, &Options::default()).unwrap();
    assert_eq!(applied.update, doc! {"$push": {"tags": {"$each": ["t"]}}});
    let applied = run(&mut s, br#"{"tags": ["only"]}"#, &Options::merge_patch()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"tags": ["only"]}});
}

#[test]
fn a_patch_that_changes_nothing_gives_no_changes_and_an_empty_update() {
    let mut s = svc(1);
    let same = serde_json::to_vec(&json!({
        "name": s.name, "tier": s.tier, "labels": {"l1": s.labels["l1"], "zz": null},
        "deploy": {"replicas": 1}, "notes": null, "tags": s.tags,
    }))
    .unwrap();
    let applied = run(&mut s, &same, &Options::merge_patch()).unwrap();
    assert!(applied.is_empty(), "{:?}", applied.changes);
    assert_eq!(applied.update, Document::new());
    let applied = run(&mut s, b"{}", &Options::default()).unwrap();
    assert!(applied.is_empty());
}

#[test]
fn strategies_in_patches() {
    fn max(t: &mut u32, s: u32, _: &Options) -> Result<(), Error> {
        if s == 13 {
            return Err(Error::custom("unlucky"));
        }
        *t = (*t).max(s);
        Ok(())
    }
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    struct Item {
        id: String,
        qty: u32,
    }
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Cart {
        #[merge(append)]
        log: Vec<String>,
        #[merge(union)]
        tags: Vec<String>,
        #[merge(keep)]
        created: Option<String>,
        #[merge(replace)]
        meta: HashMap<String, u32>,
        #[merge(by_key = id)]
        items: Vec<Item>,
        #[merge(with = max)]
        high: u32,
    }
    let mut cart = Cart {
        log: vec!["a".into()],
        tags: vec!["x".into()],
        created: Some("monday".into()),
        meta: HashMap::from([("k".into(), 1)]),
        items: vec![Item {
            id: "i1".into(),
            qty: 1,
        }],
        high: 5,
    };
    let body = json!({
        "log": ["b"], "tags": ["x", "y"], "created": "tuesday", "meta": {"z": 2},
        "items": [{"id": "i1", "qty": 3}, {"id": "i2", "qty": 1}], "high": 9,
    });
    let before = bson::serialize_to_document(&cart).unwrap();
    let p: CartPatch = patch::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
    let applied = patch::apply(&mut cart, p, &Options::default()).unwrap();
    assert_eq!(cart.log, ["a", "b"]);
    assert_eq!(cart.tags, ["x", "y"]);
    assert_eq!(cart.created.as_deref(), Some("monday"));
    assert_eq!(cart.meta, HashMap::from([("z".into(), 2)]));
    assert_eq!(
        cart.items,
        [
            Item {
                id: "i1".into(),
                qty: 3
            },
            Item {
                id: "i2".into(),
                qty: 1
            }
        ]
    );
    assert_eq!(cart.high, 9);
    assert_eq!(
        applied.update,
        doc! {
            // u32 and i64 fields are stored as bson Int64. `items` changes an item and
            // adds one: MongoDB cannot do both to one array in one update, so it is set.
            "$set": {"high": 9_i64, "items": [{"id": "i1", "qty": 3_i64}, {"id": "i2", "qty": 1_i64}], "meta": {"z": 2_i64}},
            "$push": {"log": {"$each": ["b"]}},
            "$addToSet": {"tags": {"$each": ["y"]}},
        }
    );
    let replayed = apply_applied(&before, &applied).unwrap();
    assert_eq!(replayed, bson::serialize_to_document(&cart).unwrap());

    // A failing `with` function: nothing changes.
    let before = cart.clone();
    let p: CartPatch = patch::parse(br#"{"log": ["c"], "high": 13}"#).unwrap();
    let err = patch::apply(&mut cart, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/high");
    assert_eq!(cart, before);
}

#[test]
fn patchable_by_hand_and_manual_patches() {
    // A patch built in code with a Null on a required field is refused by `apply` too.
    let mut s = svc(1);
    let before = s.clone();
    let p = ServicePatch {
        name: Patch::Null,
        ..Default::default()
    };
    let err = patch::apply(&mut s, p, &Options::default()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NullOnRequired);
    assert_eq!(err.path(), "/name");
    assert_eq!(s, before);
    // Deploy can be built directly from its patch.
    let dp = DeployPatch {
        replicas: Patch::Set(1),
        image: Patch::Set("x".into()),
        ..Default::default()
    };
    assert!(<Deploy as Patchable>::build(dp).is_ok());
}

fn label_patch() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop_oneof![
            "l[0-9]".prop_map(String::from),
            Just("0".to_string()),
            Just("new".to_string())
        ],
        prop_oneof![Just(Value::Null), "[a-c]{1,2}".prop_map(Value::String)],
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn body() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![Just(json!("renamed")), Just(json!("svc-1"))]),
        prop::option::of((0i64..3).prop_map(|n| json!(n))),
        prop::option::of(any::<bool>().prop_map(Value::Bool)),
        prop::option::of(prop::collection::vec("[a-c]", 0..3).prop_map(|v| json!(v))),
        prop::option::of(label_patch()),
        prop::option::of(prop_oneof![
            Just(Value::Null),
            (
                prop::option::of(0i64..4),
                prop::option::of("[xy]"),
                prop::option::of(label_patch())
            )
                .prop_map(|(r, i, e)| {
                    let mut m = serde_json::Map::new();
                    if let Some(r) = r {
                        m.insert("replicas".into(), json!(r));
                    }
                    if let Some(i) = i {
                        m.insert("image".into(), json!(i));
                    }
                    if let Some(e) = e {
                        m.insert("env".into(), e);
                    }
                    Value::Object(m)
                }),
        ]),
        prop::option::of(prop_oneof![Just(Value::Null), Just(json!("a note"))]),
    )
        .prop_map(|(name, tier, public, tags, labels, deploy, notes)| {
            let mut m = serde_json::Map::new();
            for (k, v) in [
                ("name", name),
                ("tier", tier),
                ("public", public),
                ("tags", tags),
                ("labels", labels),
                ("deploy", deploy),
                ("notes", notes),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            Value::Object(m)
        })
}

fn target() -> impl Strategy<Value = Service> {
    (any::<bool>(), any::<bool>()).prop_map(|(deployed, noted)| {
        let mut s = svc(1);
        if !deployed {
            s.deploy = None;
        }
        if noted {
            s.notes = Some("old".into());
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// For generated patches on the Service shape: the update, applied by MongoDB's rules to
    /// the serialized stored document, gives the serialized patched document; a failed
    /// patch changes nothing; applying the same patch twice changes nothing the second time.
    #[test]
    fn update_reproduces_the_typed_patch(mut service in target(), body in body(), rfc in any::<bool>()) {
        let options = if rfc { Options::merge_patch() } else { Options::default().seq(conjungo::SeqStrategy::Replace) };
        let bytes = serde_json::to_vec(&body).unwrap();
        if run(&mut service, &bytes, &options).is_ok() {
            let again = run(&mut service, &bytes, &options).unwrap();
            prop_assert!(again.is_empty(), "second application: {:?}", again.changes);
        }
    }
}

#[test]
fn serde_skipped_fields_are_protected_too() {
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
    #[merge(patch)]
    struct Account {
        name: String,
        #[serde(skip)]
        cache: u32,
    }
    let err = patch::parse::<AccountPatch>(br#"{"cache": 1}"#).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ProtectedField {
            field: "cache".into()
        }
    );
    assert_eq!((err.http_status(), err.path()), (422, "/cache"));
    let mut account = Account {
        name: "a".into(),
        cache: 7,
    };
    let p: AccountPatch = patch::parse(br#"{"name": "b"}"#).unwrap();
    patch::apply(&mut account, p, &Options::default()).unwrap();
    assert_eq!(
        account,
        Account {
            name: "b".into(),
            cache: 7
        }
    );

    // A field serde reads but never stores (`skip_serializing`): no update can carry it.
    // It was changed, then the update failed to compile (the target changed, an error).
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Session {
        user: String,
        #[serde(skip_serializing, default)]
        token: String,
    }
    let err = patch::parse::<SessionPatch>(br#"{"user": "b", "token": "t"}"#).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ProtectedField {
            field: "token".into()
        }
    );
    assert_eq!((err.http_status(), err.path()), (422, "/token"));
    let mut session = Session {
        user: "a".into(),
        token: "s".into(),
    };
    let applied = patched(&mut session, br#"{"user": "b"}"#);
    assert_eq!(applied.update, doc! {"$set": {"user": "b"}});
    assert_eq!(session.token, "s");
}

/// Maps keyed by another type than `String` (a newtype, as a stored key must serialize as
/// a string): a key's text is its `Display`, in the update's paths, the change pointers and
/// error places (a `String` key is borrowed, any other written out).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(transparent)]
struct Level(String);

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Scores {
    by_level: std::collections::BTreeMap<Level, i64>,
    players: HashMap<Level, Player>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Player {
    name: String,
    rank: i64,
}

#[test]
fn maps_keyed_by_a_newtype() {
    let level = |s: &str| Level(s.into());
    let mut scores = Scores {
        by_level: [(level("l3"), 30), (level("l7"), 70)].into(),
        players: [(
            level("p1"),
            Player {
                name: "ann".into(),
                rank: 2,
            },
        )]
        .into(),
    };
    let before = bson::serialize_to_document(&scores).unwrap();
    let p: ScoresPatch = patch::parse(
        br#"{"by_level": {"l7": 71, "l3": null, "l9": 90}, "players": {"p1": {"rank": 1}}}"#,
    )
    .unwrap();
    let applied = patch::apply(&mut scores, p, &Options::default()).unwrap();
    assert_eq!(
        scores.by_level,
        std::collections::BTreeMap::from([(level("l7"), 71), (level("l9"), 90)])
    );
    assert_eq!(scores.players[&level("p1")].rank, 1);
    assert_eq!(
        applied.update,
        doc! {
            "$set": {"by_level.l7": 71_i64, "by_level.l9": 90_i64, "players.p1.rank": 1_i64},
            "$unset": {"by_level.l3": ""},
        }
    );
    let mut pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/by_level/l3",
            "/by_level/l7",
            "/by_level/l9",
            "/players/p1/rank"
        ]
    );
    assert_eq!(
        conjungo_suite::mongo::apply_applied(&before, &applied).unwrap(),
        bson::serialize_to_document(&scores).unwrap()
    );
    // A player built from a patch that lacks a required field: refused at its place.
    let p: ScoresPatch = patch::parse(br#"{"players": {"p4": {"rank": 5}}}"#).unwrap();
    let err = patch::apply(&mut scores, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/players/p4");
    // A key an update cannot name: refused by the gate of a body, and by the check pass
    // of a patch built in code, at its place, with nothing changed.
    let err = patch::parse::<ScoresPatch>(br#"{"by_level": {"$x": 1}}"#).unwrap_err();
    assert_eq!(err.path(), "/by_level/$x");
    let p = ScoresPatch {
        by_level: Patch::Set([(level("$x"), Patch::Set(1))].into()),
        ..ScoresPatch::default()
    };
    let unchanged = scores.clone();
    let err = patch::apply(&mut scores, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/by_level/$x");
    assert_eq!(scores, unchanged);
}

/// A nested type serde stores as a list of pairs, not a document (`#[serde(into, from)]`).
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(into = "Pairs", from = "Pairs")]
struct Pinned {
    name: String,
    tags: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Pairs(Vec<(String, String)>);

impl From<Pinned> for Pairs {
    fn from(p: Pinned) -> Self {
        let mut pairs = vec![("name".to_owned(), p.name)];
        pairs.extend(p.tags);
        Pairs(pairs)
    }
}

impl From<Pairs> for Pinned {
    fn from(Pairs(mut pairs): Pairs) -> Self {
        let tags = pairs.split_off(1).into_iter().collect();
        Pinned {
            name: pairs.pop().map(|(_, v)| v).unwrap_or_default(),
            tags,
        }
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Holder {
    title: String,
    pinned: Pinned,
}

#[test]
fn a_place_serde_stores_whole_is_set_whole_with_every_change_below_it() {
    // A struct field (read by the walk) and a map entry (read where it changed) below a
    // place serde stores as an array: the update sets that place whole, once.
    let mut h = Holder {
        title: "t".into(),
        pinned: Pinned {
            name: "a".into(),
            tags: [("k".to_owned(), "v".to_owned())].into(),
        },
    };
    let before = bson::serialize_to_document(&h).unwrap();
    for (body, pinned) in [
        (
            br#"{"pinned": {"name": "b", "tags": {"k": "w"}}}"#.as_slice(),
            bson::bson!([["name", "b"], ["k", "w"]]),
        ),
        (
            br#"{"title": "u", "pinned": {"name": "c"}}"#.as_slice(),
            bson::bson!([["name", "c"], ["k", "w"]]),
        ),
    ] {
        let stored = bson::serialize_to_document(&h).unwrap();
        let p: HolderPatch = patch::parse(body).unwrap();
        let applied = patch::apply(&mut h, p, &Options::default()).unwrap();
        let mut set = doc! {"pinned": pinned};
        if h.title == "u" {
            set = doc! {"pinned": set.get("pinned").unwrap().clone(), "title": "u"};
        }
        assert_eq!(applied.update, doc! {"$set": set});
        assert_eq!(
            apply_applied(&stored, &applied).unwrap(),
            bson::serialize_to_document(&h).unwrap()
        );
    }
    assert_ne!(before, bson::serialize_to_document(&h).unwrap());
}

/// A map serde stores as the map itself (`#[serde(transparent)]`): the patch names the
/// wrapper's field (`{"tags": {"map": {…}}}`), the stored document has no such level.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(transparent)]
struct Tags {
    map: std::collections::BTreeMap<String, String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Tagged {
    title: String,
    tags: Tags,
}

/// Parse, apply, and check the update against the stored forms before and after.
fn patched<T>(target: &mut T, body: &[u8]) -> patch::Applied
where
    T: Patchable + Serialize,
    T::Patch: serde::de::DeserializeOwned,
{
    let stored = bson::serialize_to_document(&*target).unwrap();
    let p: T::Patch = patch::parse(body).unwrap();
    let applied = patch::apply(target, p, &Options::default()).unwrap();
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&*target).unwrap(),
        "update {}",
        applied.update
    );
    applied
}

#[test]
fn a_type_serde_stores_as_something_else_than_its_fields_is_set_whole() {
    // Nested: the map changed below a transparent wrapper is set at the wrapper's place
    // (the update used to set `tags.map.k`, a field the stored document does not have:
    // the change was lost and a stray field written).
    let mut t = Tagged {
        title: "t".into(),
        tags: Tags {
            map: [("k".to_owned(), "v".to_owned())].into(),
        },
    };
    let applied = patched(&mut t, br#"{"tags": {"map": {"k": "w", "n": "1"}}}"#);
    assert_eq!(
        applied.update,
        doc! {"$set": {"tags": {"k": "w", "n": "1"}}}
    );
    let pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(pointers, ["/tags"]);
    let applied = patched(&mut t, br#"{"title": "u", "tags": {"map": {"n": null}}}"#);
    assert_eq!(
        applied.update,
        doc! {"$set": {"tags": {"k": "w"}, "title": "u"}}
    );
    // Nothing changed: no update.
    let applied = patched(&mut t, br#"{"tags": {"map": {"k": "w"}}}"#);
    assert_eq!(applied.update, doc! {});

    // At the root: every top-level key is set, those gone are unset.
    let mut root = Tags {
        map: [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ]
        .into(),
    };
    let applied = patched(&mut root, br#"{"map": {"a": "x", "b": null}}"#);
    assert_eq!(
        applied.update,
        doc! {"$set": {"a": "x"}, "$unset": {"b": ""}}
    );

    // `#[serde(into)]`, map entries alone changed: the whole value, as serde stores it.
    let mut h = Holder {
        title: "t".into(),
        pinned: Pinned {
            name: "a".into(),
            tags: [("k".to_owned(), "v".to_owned())].into(),
        },
    };
    let applied = patched(&mut h, br#"{"pinned": {"tags": {"k": "z"}}}"#);
    assert_eq!(
        applied.update,
        doc! {"$set": {"pinned": [["name", "a"], ["k", "z"]]}}
    );
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Sparse {
    title: String,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    tags: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[test]
fn a_field_serde_leaves_out_after_the_patch_is_unset() {
    let mut s = Sparse {
        title: "t".into(),
        tags: [("k".to_owned(), "v".to_owned())].into(),
        note: None,
    };
    // The last entry removed: serde leaves the map out, so the update unsets it (it used to
    // unset `tags.k`, leaving `tags: {}` stored).
    let applied = patched(&mut s, br#"{"tags": {"k": null}}"#);
    assert_eq!(applied.update, doc! {"$unset": {"tags": ""}});
    let pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(pointers, ["/tags"]);
    // Entries added to a map left out: set below it (MongoDB creates the document).
    let applied = patched(&mut s, br#"{"tags": {"a": "1"}, "note": "n"}"#);
    assert_eq!(applied.update, doc! {"$set": {"tags.a": "1", "note": "n"}});
    // An entry removed while others stay: just that entry.
    let applied = patched(&mut s, br#"{"tags": {"b": "2"}}"#);
    assert_eq!(applied.update, doc! {"$set": {"tags.b": "2"}});
    let applied = patched(&mut s, br#"{"tags": {"a": null}, "note": null}"#);
    assert_eq!(applied.update, doc! {"$unset": {"tags.a": "", "note": ""}});
}

/// A map key whose serde name is not its `Display` text (`Red` shown, `red` stored).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum Colour {
    Red,
    Blue,
}

impl std::fmt::Display for Colour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Palette {
    weights: std::collections::BTreeMap<Colour, i64>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Counts {
    by_number: std::collections::BTreeMap<u32, i64>,
}

/// Maps keyed as real models key them: uuids, dates, chars (bson stores each as its
/// string form).
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Keyed {
    by_id: std::collections::BTreeMap<uuid::Uuid, i64>,
    by_day: HashMap<chrono::NaiveDate, String>,
    by_grade: std::collections::BTreeMap<char, bool>,
}

#[test]
fn map_entries_are_placed_by_their_keys_as_serde_stores_them() {
    let id = |n: u128| uuid::Uuid::from_u128(n);
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2025, 6, d).unwrap();
    let mut k = Keyed {
        by_id: [(id(1), 10)].into(),
        by_day: [(day(1), "a".to_owned())].into(),
        by_grade: [('a', true)].into(),
    };
    let applied = patched(
        &mut k,
        br#"{"by_id": {"00000000-0000-0000-0000-000000000001": 11,
                       "00000000-0000-0000-0000-000000000002": 20},
             "by_day": {"2025-06-01": null, "2025-06-02": "b"},
             "by_grade": {"b": false}}"#,
    );
    assert_eq!(
        applied.update,
        doc! {
            "$set": {
                "by_day.2025-06-02": "b",
                "by_grade.b": false,
                "by_id.00000000-0000-0000-0000-000000000001": 11_i64,
                "by_id.00000000-0000-0000-0000-000000000002": 20_i64,
            },
            "$unset": {"by_day.2025-06-01": ""},
        }
    );
    let mut pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        [
            "/by_day/2025-06-01",
            "/by_day/2025-06-02",
            "/by_grade/b",
            "/by_id/00000000-0000-0000-0000-000000000001",
            "/by_id/00000000-0000-0000-0000-000000000002",
        ]
    );

    // The update used to name `weights.Red` (the key's `Display`): MongoDB kept `red` and
    // gained stray fields.
    let mut p = Palette {
        weights: [(Colour::Red, 1)].into(),
    };
    let applied = patched(&mut p, br#"{"weights": {"red": 2, "blue": 3}}"#);
    assert_eq!(
        applied.update,
        doc! {"$set": {"weights.blue": 3_i64, "weights.red": 2_i64}}
    );
    let mut pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    pointers.sort_unstable();
    assert_eq!(pointers, ["/weights/blue", "/weights/red"]);
    let applied = patched(&mut p, br#"{"weights": {"blue": null}}"#);
    assert_eq!(applied.update, doc! {"$unset": {"weights.blue": ""}});

    // Keys bson cannot store (numbers): refused by the check pass, nothing changed.
    let mut c = Counts {
        by_number: [(7, 1)].into(),
    };
    let before = c.clone();
    let body: CountsPatch = patch::parse(br#"{"by_number": {"7": 2}}"#).unwrap();
    let err = patch::apply(&mut c, body, &Options::default()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Unstorable { .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), "/by_number");
    assert_eq!(c, before);
}

#[test]
fn map_entries_of_leaves_are_changes_only_where_they_differ() {
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Gauges {
        levels: std::collections::BTreeMap<String, f64>,
        names: HashMap<String, String>,
    }
    let mut g = Gauges {
        levels: [("a".to_owned(), 0.0), ("b".to_owned(), 1.5)].into(),
        names: [("x".to_owned(), "X".to_owned())].into(),
    };
    // `-0.0` is stored with other bits than `0.0`: a change; echoed values are none.
    let applied = patched(
        &mut g,
        br#"{"levels": {"a": -0.0, "b": 1.5}, "names": {"x": "X"}}"#,
    );
    assert_eq!(applied.update, doc! {"$set": {"levels.a": -0.0}});
    let pointers: Vec<&str> = applied.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(pointers, ["/levels/a"]);
    // A function registered for the entries' type decides their value.
    let options = Options::default().on_type::<String>(|t, s, _| {
        *t = format!("{t}+{s}");
        Ok(())
    });
    let stored = bson::serialize_to_document(&g).unwrap();
    let p: GaugesPatch = patch::parse(br#"{"names": {"x": "Y"}}"#).unwrap();
    let applied = patch::apply(&mut g, p, &options).unwrap();
    assert_eq!(g.names["x"], "X+Y");
    assert_eq!(applied.update, doc! {"$set": {"names.x": "X+Y"}});
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&g).unwrap()
    );
}

#[test]
fn tuples_and_arrays_patch_whole() {
    /// A place as a GeoJSON point stores it, with opening hours as pairs.
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Place {
        name: String,
        /// `[longitude, latitude]`.
        coordinates: [f64; 2],
        hours: Option<(u32, u32)>,
        by_day: std::collections::BTreeMap<String, (u32, u32)>,
        big: (u64, String),
    }
    let mut place = Place {
        name: "cafe".into(),
        coordinates: [2.35, 48.85],
        hours: None,
        by_day: [("mon".to_owned(), (8, 18))].into(),
        big: (1, "a".into()),
    };
    let applied = patched(
        &mut place,
        br#"{"coordinates": [2.36, 48.86], "hours": [9, 17],
             "by_day": {"mon": [8, 18], "tue": [10, 16]}, "big": [2, "a"]}"#,
    );
    assert_eq!(
        applied.update,
        doc! {"$set": {
            "big": [2_i64, "a"],
            "by_day.tue": [10_i64, 16_i64],
            "coordinates": [2.36, 48.86],
            "hours": [9_i64, 17_i64],
        }}
    );
    assert_eq!(place.hours, Some((9, 17)));
    // A wrong length is a body error; a value bson cannot store fails before any change.
    let err = patch::parse::<PlacePatch>(br#"{"coordinates": [1.0]}"#).unwrap_err();
    assert_eq!((err.http_status(), err.path()), (422, "/coordinates"));
    let before = place.clone();
    let p: PlacePatch =
        patch::parse(br#"{"name": "bar", "big": [18446744073709551615, "a"]}"#).unwrap();
    let err = patch::apply(&mut place, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/big");
    assert_eq!(place, before);
}

#[test]
fn std_values_of_every_kind_patch_whole() {
    use std::borrow::Cow;
    use std::num::{NonZeroU32, NonZeroU64};
    use std::sync::Arc;
    /// A service's settings with the std types a model meets: shared and boxed strings,
    /// non-zero counts, a socket address.
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct Settings {
        region: Arc<str>,
        owner: std::rc::Rc<String>,
        title: Box<str>,
        label: Cow<'static, str>,
        workers: NonZeroU32,
        quota: NonZeroU64,
        listen: std::net::SocketAddrV4,
        marker: (),
    }
    let mut s = Settings {
        region: "eu".into(),
        owner: std::rc::Rc::new("ann".into()),
        title: "t".into(),
        label: Cow::Borrowed("l"),
        workers: NonZeroU32::new(2).unwrap(),
        quota: NonZeroU64::new(10).unwrap(),
        listen: "127.0.0.1:80".parse().unwrap(),
        marker: (),
    };
    let applied = patched(
        &mut s,
        br#"{"region": "us", "owner": "bob", "title": "t", "label": "m", "workers": 4,
             "quota": 10, "listen": "0.0.0.0:8080"}"#,
    );
    assert_eq!(
        applied.update,
        doc! {"$set": {
            "label": "m", "listen": "0.0.0.0:8080", "owner": "bob", "region": "us",
            "workers": 4_i64,
        }}
    );
    assert_eq!(&*s.region, "us");
    // Zero is no `NonZeroU32`: a body error at its pointer; a quota beyond `i64` cannot be
    // stored: refused before anything changes.
    let err = patch::parse::<SettingsPatch>(br#"{"workers": 0}"#).unwrap_err();
    assert_eq!((err.http_status(), err.path()), (422, "/workers"));
    let before = s.clone();
    let p: SettingsPatch =
        patch::parse(br#"{"region": "ap", "quota": 18446744073709551615}"#).unwrap();
    let err = patch::apply(&mut s, p, &Options::default()).unwrap_err();
    assert_eq!(err.path(), "/quota");
    assert_eq!(s, before);
}

/// The changes of a typed patch come in the order of their paths — a struct's fields by
/// serde name, a `HashMap`'s entries by key — the same list every time, though a
/// `HashMap` iterates in a different order in each instance; the update's members are in
/// the same order.
#[test]
fn changes_come_in_path_order_whatever_the_hash_order() {
    // 30 keys, every fifth removed, the others set; half of them stored before.
    let keys: Vec<String> = (0..30).map(|i| format!("k{:02}", (i * 7) % 30)).collect();
    let labels: serde_json::Map<String, Value> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let value = if i % 5 == 0 {
                Value::Null
            } else {
                json!(format!("v{i}"))
            };
            (key.clone(), value)
        })
        .collect();
    let body = serde_json::to_vec(&json!({"tier": 9, "labels": labels, "name": "n"})).unwrap();
    let mut first: Option<Vec<String>> = None;
    for _ in 0..8 {
        // A new `HashMap` (a new random order) in the target and in the patch each time.
        let mut service = svc(1);
        service.labels = keys
            .iter()
            .step_by(2)
            .map(|k| (k.clone(), "old".to_string()))
            .collect();
        let applied = run(&mut service, &body, &Options::merge_patch()).unwrap();
        let paths: Vec<String> = applied.changes.iter().map(|c| c.path.clone()).collect();
        // 24 set, and the 3 removed keys of the 6 that were stored; name and tier.
        assert_eq!(paths.len(), 24 + 3 + 2);
        let mut sorted = paths.clone();
        sorted.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        assert_eq!(paths, sorted);
        assert_eq!(first.get_or_insert_with(|| paths.clone()), &paths);
        let set: Vec<&String> = applied
            .update
            .get_document("$set")
            .unwrap()
            .keys()
            .collect();
        let mut sorted = set.clone();
        sorted.sort_by(|a, b| a.split('.').cmp(b.split('.')));
        assert_eq!(set, sorted);
    }
}
