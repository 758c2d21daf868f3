//! `patch::parse` of a typed patch with dynamic fields, then `patch::apply`: no panic; the
//! one pass over the bytes reads the patch the `Value` path reads; a
//! failed patch changes nothing; a successful one's update, replayed by MongoDB's rules,
//! gives exactly what serde stores for the merged value.
#![no_main]

use std::collections::BTreeMap;

use conjungo::{Merge, Options, patch};
use conjungo_suite::mongo::apply_applied;
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Model {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: i64,
    name: String,
    count: u64,
    ratio: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nick: Option<String>,
    #[merge(append)]
    tags: Vec<String>,
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    items: Vec<Item>,
    labels: BTreeMap<String, String>,
    settings: BTreeMap<String, Inner>,
    meta: Value,
    doc: bson::Document,
    inner: Option<Inner>,
    /// Stored upper-cased through a function of its own that refuses codes over 3 bytes.
    #[merge(append)]
    #[serde(with = "codes")]
    codes: Vec<String>,
    #[merge(with = grow)]
    points: u64,
    /// Flattened: its fields are the model's.
    #[serde(flatten)]
    stamp: Stamp,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Stamp {
    by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rev: Option<i64>,
    #[merge(skip)]
    #[serde(default)]
    at: i64,
    source: Inner,
}

/// Points grow by what a patch adds, times a factor: the result may not fit in `i64`.
fn grow(points: &mut u64, add: u64, _: &Options) -> Result<(), conjungo::Error> {
    *points = points.saturating_add(add).saturating_mul(1 << 16);
    Ok(())
}

mod codes {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(codes: &[String], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(codes.len()))?;
        for code in codes {
            if code.len() > 3 {
                return Err(serde::ser::Error::custom("a code has at most 3 bytes"));
            }
            seq.serialize_element(&code.to_uppercase())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Vec::deserialize(d)
    }
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    id: String,
    n: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Inner {
    a: i64,
    b: Option<Value>,
}

fn stored() -> Model {
    Model {
        id: 1,
        name: "n".into(),
        count: 3,
        ratio: 0.0,
        nick: None,
        tags: vec!["t".into()],
        roles: vec!["r".into()],
        items: vec![Item {
            id: "a".into(),
            n: 1,
        }],
        labels: BTreeMap::from([("l".into(), "v".into())]),
        settings: BTreeMap::from([("s".into(), Inner { a: 2, b: None })]),
        meta: json!({"x": {"1": "a", "k": "v"}, "n": 1, "arr": [1, 2]}),
        doc: bson::doc! {"d": {"e": 1_i64}},
        inner: Some(Inner {
            a: 1,
            b: Some(json!({"z": null})),
        }),
        codes: vec!["ab".into()],
        points: 2,
        stamp: Stamp {
            by: "b".into(),
            rev: None,
            at: 9,
            source: Inner { a: 3, b: None },
        },
    }
}

fuzz_target!(|data: &[u8]| {
    // The one pass over the bytes reads what the `Value` path reads (field order too).
    let limits = patch::Limits::default();
    let reference = conjungo::__private::parse_through_value::<ModelPatch>(data, &limits);
    if let Some(one_pass) = conjungo::__private::parse_one_pass::<ModelPatch>(data, &limits) {
        assert_eq!(
            format!("{:?}", Ok::<_, conjungo::Error>(one_pass)),
            format!("{reference:?}")
        );
    }
    let Ok(p) = patch::parse::<ModelPatch>(data) else {
        return;
    };
    let options = match data.first().map(|b| b % 3) {
        Some(0) => Options::merge_patch(),
        Some(1) => Options::default(),
        _ => Options::default().overwrite(false),
    };
    let mut model = stored();
    let before_doc = bson::serialize_to_document(&model).unwrap();
    match patch::apply(&mut model, p, &options) {
        Err(_) => assert_eq!(model, stored()),
        Ok(applied) => {
            let merged = bson::serialize_to_document(&model).expect("a merged model is storable");
            let replayed = apply_applied(&before_doc, &applied).expect("MongoDB takes the update");
            assert_eq!(replayed, merged, "update {}", applied.update);
        }
    }
});
