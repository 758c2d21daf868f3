//! Writes generated PATCH cases as JSON lines (`{"stored", "update", "merged"}` in canonical
//! Extended JSON) for `scripts/montydb_replay.py`, which replays each update with montydb, an
//! independent MongoDB-compatible engine, and compares with `merged`:
//!
//! ```sh
//! cargo run -q --example dump_updates > /tmp/cases.jsonl
//! pip install montydb pymongo && python3 scripts/montydb_replay.py /tmp/cases.jsonl
//! ```

use bson::{Bson, Document, doc};
use conjungo::{Merge, Options, patch};
use conjungo_suite::catalog::{ServicePatch, svc};
use conjungo_suite::rng::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Keyed lists, sets and a version: updates with `arrayFilters`, `$push`, `$pull`,
/// `$addToSet` and `$inc`.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[merge(patch)]
struct Customer {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: i32,
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    addresses: Vec<Address>,
    #[merge(version)]
    version: i64,
}

#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Address {
    id: String,
    city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    zip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    geo: Option<Geo>,
}

#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
struct Geo {
    lat: f64,
    lon: f64,
}

/// Values patched whole through their own patch forms (tuples, arrays, `NonZero`
/// integers, `Box<str>`, `Rc`, `SystemTime`), a `u64` that may not fit in `i64`, and a
/// list stored through a function of its own with `append`: set whole, as serde stores it.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[merge(patch)]
struct Settings {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: i32,
    window: (u32, u32),
    point: Option<[f64; 2]>,
    retries: std::num::NonZeroU32,
    motto: Box<str>,
    shared: std::rc::Rc<String>,
    quota: u64,
    since: std::time::SystemTime,
    #[merge(append)]
    #[serde(serialize_with = "upper")]
    codes: Vec<String>,
}

/// The codes as they are stored: upper-cased.
fn upper<S: serde::Serializer>(codes: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(codes.iter().map(|c| c.to_uppercase()))
}

fn settings_cases(rng: &mut Rng) -> usize {
    let base = Settings {
        id: 1,
        window: (9, 17),
        point: None,
        retries: std::num::NonZeroU32::new(3).unwrap(),
        motto: "keep going".into(),
        shared: std::rc::Rc::new("s".into()),
        quota: 10,
        since: std::time::UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 5),
        codes: vec!["ab".into()],
    };
    let before = bson::serialize_to_document(&base).unwrap();
    let fields: [(&str, &[Value]); 8] = [
        (
            "window",
            &[json!([8, 18]), json!([9, 17]), json!([1, 2, 3])],
        ),
        ("point", &[json!([2.35, 48.85]), json!(null), json!([1.0])]),
        ("retries", &[json!(5), json!(0), json!(3)]),
        ("motto", &[json!("carry on"), json!(null)]),
        ("shared", &[json!("t"), json!("s")]),
        ("quota", &[json!(20), json!(u64::MAX), json!(i64::MAX)]),
        (
            "since",
            &[json!({"secs_since_epoch": 1_800_000_000_u64, "nanos_since_epoch": 0})],
        ),
        ("codes", &[json!(["cd"]), json!(["ef", "gh"]), json!([])]),
    ];
    let (mut count, mut refused) = (0, 0);
    for _ in 0..200 {
        let mut body = serde_json::Map::new();
        for _ in 0..1 + rng.below(3) {
            let (name, values) = fields[rng.below(fields.len())];
            body.insert(name.to_owned(), values[rng.below(values.len())].clone());
        }
        let mut settings = base.clone();
        let result = patch::parse::<SettingsPatch>(&serde_json::to_vec(&body).unwrap())
            .and_then(|p| patch::apply(&mut settings, p, &Options::default()));
        match result {
            Ok(applied) => {
                let merged = bson::serialize_to_document(&settings).unwrap();
                println!("{}", line(&before, &applied.update, &merged));
                count += 1;
            }
            Err(_) => {
                // A refused patch (a wrong length, zero, a quota beyond i64, a null on a
                // required field) changes nothing.
                assert_eq!(settings, base);
                refused += 1;
            }
        }
    }
    eprintln!("settings: {count} applied, {refused} refused");
    count
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    match rng.next_u64() % if depth > 2 { 5 } else { 7 } {
        0 => Value::Null,
        1 => json!(rng.next_u64() % 100),
        2 => json!((rng.next_u64() % 100) as f64 / 4.0),
        3 => json!(rng.pick(&["a", "b", "c"])),
        4 => json!([rng.next_u64() % 5, "x"]),
        _ => object(rng, depth + 1),
    }
}

fn object(rng: &mut Rng, depth: usize) -> Value {
    // No key with `.`: montydb follows the rules of MongoDB before 5.0, which refused them
    // in stored documents (tests/integration/hostile.rs covers them with the repo's applier).
    let keys = ["a", "b", "n", "7", "", "x"];
    let mut map = serde_json::Map::new();
    for _ in 0..rng.next_u64() % 4 {
        map.insert(rng.pick(&keys).to_owned(), value(rng, depth));
    }
    Value::Object(map)
}

fn line(stored: &Document, update: &Document, merged: &Document) -> String {
    let ext = |d: &Document| Bson::Document(d.clone()).into_canonical_extjson();
    json!({"stored": ext(stored), "update": ext(update), "merged": ext(merged)}).to_string()
}

fn keyed_line(stored: &Document, applied: &patch::Applied, merged: &Document) -> String {
    let ext = |d: &Document| Bson::Document(d.clone()).into_canonical_extjson();
    json!({
        "stored": ext(stored), "update": ext(&applied.update), "merged": ext(merged),
        "array_filters": applied.array_filters.iter().map(ext).collect::<Vec<_>>(),
        "filter": ext(&applied.filter),
    })
    .to_string()
}

fn keyed_cases(rng: &mut Rng) -> usize {
    let address = |id: &str, city: &str, zip: Option<&str>| Address {
        id: id.into(),
        city: city.into(),
        zip: zip.map(Into::into),
        geo: zip.map(|_| Geo { lat: 1.5, lon: 2.5 }),
    };
    let base = Customer {
        id: 1,
        roles: vec!["a".into(), "b".into()],
        addresses: vec![
            address("home", "Paris", Some("75001")),
            address("work", "Lyon", None),
            address("old", "Nice", Some("06000")),
        ],
        version: 3,
    };
    let before = bson::serialize_to_document(&base).unwrap();
    let item_patches = [
        json!(null),
        json!({"city": "Rome"}),
        json!({"zip": null}),
        json!({"zip": "9", "geo": {"lat": 5.0}}),
        json!({"geo": null}),
        json!({"geo": {"lat": 1.0, "lon": 1.0}}),
    ];
    let mut count = 0;
    for _ in 0..200 {
        let mut members = serde_json::Map::new();
        for _ in 0..rng.next_u64() % 3 {
            let key = rng.pick(&["home", "work", "old", "new"]);
            let mut patch =
                item_patches[(rng.next_u64() % item_patches.len() as u64) as usize].clone();
            if key == "new"
                && let Some(m) = patch.as_object_mut()
            {
                m.insert("id".into(), json!("new"));
                m.entry("city").or_insert(json!("Oslo"));
            }
            members.insert(key.to_owned(), patch);
        }
        let mut body = json!({"addresses": members});
        match rng.next_u64() % 3 {
            0 => body["roles"] = json!([rng.pick(&["a", "c", "d"])]),
            1 => body["roles"] = json!({"remove": [rng.pick(&["a", "b", "z"])]}),
            _ => {}
        }
        let mut customer = base.clone();
        let Ok(p) = patch::parse::<CustomerPatch>(&serde_json::to_vec(&body).unwrap()) else {
            continue;
        };
        if let Ok(applied) = patch::apply(&mut customer, p, &Options::default()) {
            let merged = bson::serialize_to_document(&customer).unwrap();
            println!("{}", keyed_line(&before, &applied, &merged));
            count += 1;
        }
    }
    count
}

fn main() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let stored = doc! {
        "_id": 1, "a": {"b": 1_i64, "n": 2.5, "x": [1, 2]}, "n": 5_i64, "b": "s",
        "x": {"7": {"a": 1}, "": "v"},
    };
    let mut count = 0;
    for i in 0..600 {
        let mut body = object(&mut rng, 0);
        body.as_object_mut().unwrap().remove("_id");
        let options = if i % 2 == 0 {
            Options::merge_patch()
        } else {
            Options::default()
        };
        let mut merged = stored.clone();
        if let Ok(applied) = patch::apply_document(&mut merged, body, &options) {
            println!("{}", line(&stored, &applied.update, &merged));
            count += 1;
        }
    }
    // Typed: the catalog service.
    let base = svc(1);
    let before = bson::serialize_to_document(&base).unwrap();
    for i in 0..200 {
        let labels: serde_json::Map<String, Value> = (0..rng.next_u64() % 4)
            .map(|_| {
                let v = if rng.next_u64().is_multiple_of(3) {
                    Value::Null
                } else {
                    json!("v")
                };
                (rng.pick(&["l1", "l2", "new", "9"]).to_owned(), v)
            })
            .collect();
        let body = json!({
            "tier": rng.next_u64() % 10, "labels": labels, "tags": [format!("t{i}")],
            "deploy": {"replicas": rng.next_u64() % 5, "env": {"E1": null, "E9": "x"}},
        });
        let mut service = base.clone();
        let p: ServicePatch = patch::parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        let options = if i % 2 == 0 {
            Options::merge_patch()
        } else {
            Options::default()
        };
        if let Ok(applied) = patch::apply(&mut service, p, &options) {
            let merged = bson::serialize_to_document(&service).unwrap();
            println!("{}", line(&before, &applied.update, &merged));
            count += 1;
        }
    }
    count += keyed_cases(&mut rng);
    count += settings_cases(&mut rng);
    eprintln!("{count} cases");
}
