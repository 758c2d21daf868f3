//! JSON Schemas of generated patch types (feature `schemars`), checked with an independent
//! JSON Schema validator (the `jsonschema` crate): every body the gate accepts is valid for
//! the schema, and bodies with `null` on a required field, unknown fields or protected
//! fields are invalid.

use std::collections::HashMap;

use conjungo::{Merge, patch};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Only its patch type is used here.
#[allow(dead_code)]
#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Service {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: String,
    name: String,
    #[serde(alias = "team")]
    owner: String,
    tier: i64,
    public: bool,
    nick_name: Option<String>,
    #[merge(append)]
    tags: Vec<String>,
    labels: HashMap<String, String>,
    #[merge(by_key = name)]
    endpoints: Vec<Endpoint>,
    deploy: Option<Deploy>,
    limits: Limits,
    status: Status,
    meta: Value,
    #[serde(skip)]
    cache: u32,
}

#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
struct Endpoint {
    name: String,
    port: u16,
}

#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Deploy {
    replicas: u32,
    image: String,
    env: HashMap<String, String>,
}

#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Limits {
    cpu: f64,
    memory: Option<u64>,
}

#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Live,
}

fn validator() -> jsonschema::Validator {
    let schema = serde_json::to_value(schemars::schema_for!(ServicePatch)).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_schema_states_optional_nullable_and_closed_fields() {
    let schema = serde_json::to_value(schemars::schema_for!(ServicePatch)).unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema.get("required").is_none(), "every field is optional");
    let properties = schema["properties"].as_object().unwrap();
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "deploy",
            "endpoints",
            "labels",
            "limits",
            "meta",
            "name",
            "nickName",
            "owner",
            "public",
            "status",
            "tags",
            "team",
            "tier"
        ]
    );
    assert_eq!(properties["name"], json!({"type": "string"}));
    assert_eq!(
        properties["nickName"],
        json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
    );
    assert_eq!(properties["team"], properties["owner"]);
    // Nested patch types by reference, nullable where the field is an `Option`.
    assert_eq!(properties["limits"], json!({"$ref": "#/$defs/LimitsPatch"}));
    assert_eq!(
        properties["deploy"],
        json!({"anyOf": [{"$ref": "#/$defs/DeployPatch"}, {"type": "null"}]})
    );
    assert_eq!(
        schema["$defs"]["LimitsPatch"]["additionalProperties"],
        false
    );
    // Map entries may be null (removed).
    assert_eq!(
        properties["labels"]["additionalProperties"],
        json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
    );
}

#[test]
fn refused_bodies_are_invalid_for_the_schema() {
    let v = validator();
    for body in [
        json!({"name": null}),
        json!({"limits": {"cpu": null}}),
        json!({"colour": "red"}),
        json!({"deploy": {"colour": "red"}}),
        json!({"_id": "x"}),
        json!({"cache": 1}),
        json!({"tier": "high"}),
        json!({"status": "gone"}),
    ] {
        assert!(
            patch::parse::<ServicePatch>(body.to_string().as_bytes()).is_err(),
            "{body}"
        );
        assert!(!v.is_valid(&body), "{body} is valid for the schema");
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..300).prop_map(|n| json!(n)),
        Just(json!(1.5)),
        prop::sample::select(vec!["a", "live", "draft", ""]).prop_map(|s| json!(s)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies that are often accepted: each field with a value of its type, or of another.
fn body() -> impl Strategy<Value = Value> {
    let endpoint = (
        prop::sample::select(vec!["a", "b"]),
        prop_oneof![(0u32..70000).prop_map(|n| json!(n)), scalar()],
    )
        .prop_map(|(name, port)| json!({"name": name, "port": port}));
    let deploy = prop::collection::btree_map(
        prop::sample::select(vec!["replicas", "image", "env", "other"]),
        prop_oneof![
            (0u32..5).prop_map(|n| json!(n)),
            Just(json!("img")),
            Just(json!({"A": "1", "B": null})),
            scalar(),
        ],
        0..3,
    )
    .prop_map(|m| json!(m));
    let field = prop_oneof![
        scalar().prop_map(|v| ("name", v)),
        scalar().prop_map(|v| ("team", v)),
        scalar().prop_map(|v| ("tier", v)),
        scalar().prop_map(|v| ("public", v)),
        scalar().prop_map(|v| ("nickName", v)),
        prop::collection::vec(scalar(), 0..3).prop_map(|v| ("tags", json!(v))),
        prop::collection::btree_map("[a-c]", scalar(), 0..3).prop_map(|m| ("labels", json!(m))),
        prop::collection::vec(endpoint, 0..3).prop_map(|v| ("endpoints", json!(v))),
        prop_oneof![Just(Value::Null), deploy].prop_map(|v| ("deploy", v)),
        prop::collection::btree_map(prop::sample::select(vec!["cpu", "memory"]), scalar(), 0..3)
            .prop_map(|m| ("limits", json!(m))),
        scalar().prop_map(|v| ("status", v)),
        any_json().prop_map(|v| ("meta", v)),
    ];
    prop::collection::vec(field, 0..6).prop_map(|fields| {
        Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// Every body the gate and the patch type accept is valid for the schema.
    #[test]
    fn accepted_bodies_are_valid_for_the_schema(body in body()) {
        let accepted = patch::parse::<ServicePatch>(body.to_string().as_bytes()).is_ok();
        if accepted {
            prop_assert!(validator().is_valid(&body), "accepted but invalid: {}", body);
        }
    }
}

/// A share of the generated bodies is accepted, so the property above is not vacuous.
#[test]
fn the_generator_makes_accepted_bodies() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = body();
    let mut accepted = 0;
    for _ in 0..400 {
        let body = strategy.new_tree(&mut runner).unwrap().current();
        if patch::parse::<ServicePatch>(body.to_string().as_bytes()).is_ok() {
            accepted += 1;
        }
    }
    assert!(accepted > 40, "only {accepted} of 400 accepted");
}

/// A recursive type: its patch type's schema refers to itself.
#[allow(dead_code)]
#[derive(Merge, Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Node {
    name: String,
    child: Option<Box<Node>>,
}

#[test]
fn a_recursive_patch_type_has_a_schema_that_refers_to_itself() {
    let schema = serde_json::to_value(schemars::schema_for!(NodePatch)).unwrap();
    assert_eq!(
        schema["properties"]["child"],
        json!({"anyOf": [{"$ref": "#"}, {"type": "null"}]})
    );
    let v = jsonschema::validator_for(&schema).unwrap();
    let deep = json!({"child": {"child": {"name": "x", "child": null}}});
    assert!(patch::parse::<NodePatch>(deep.to_string().as_bytes()).is_ok());
    assert!(v.is_valid(&deep));
    assert!(!v.is_valid(&json!({"child": {"child": {"name": null}}})));
}
