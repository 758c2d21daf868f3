//! The main example: a PATCH endpoint over a service catalog kept in an in-memory store,
//! fed good and hostile bodies. Each request is printed with the status it gets, the
//! stored document after it, the MongoDB update and the changes.
//!
//! Run it with `cargo run --example patch_service`. Nothing else is needed: the store is
//! in memory, and it applies the update documents with MongoDB's rules (modelled, see
//! `src/mongo.rs`) so that what it keeps is what MongoDB would keep.

use conjungo_suite::catalog::svc;
use conjungo_suite::store::Store;
use serde_json::{Value, json};

fn show(store: &Store, title: &str, id: &str, content_type: &str, body: &[u8]) -> u16 {
    println!("── {title}");
    println!("   PATCH /services/{id}   Content-Type: {content_type}");
    println!("   {}", String::from_utf8_lossy(body));
    let response = store.patch(id, Some(content_type), body);
    println!("   → {}", response.status);
    let shown = match &response.body {
        Value::Object(map) if response.status == 200 => json!({
            "update": map["update"],
            "changes": map["changes"],
        }),
        other => other.clone(),
    };
    for line in serde_json::to_string_pretty(&shown).expect("json").lines() {
        println!("     {line}");
    }
    println!();
    response.status
}

fn main() {
    let store = Store::with([svc(1)]);
    let json = "application/merge-patch+json";
    let deep = format!("{}1{}", r#"{"a":"#.repeat(101), "}".repeat(101));

    let cases: Vec<(&str, &str, &str, Vec<u8>, u16)> = vec![
        ("rename, relabel, rescale", "svc-1", json,
         br#"{"name": "payments", "labels": {"l1": "prod", "l2": null}, "deploy": {"replicas": 5}}"#.to_vec(), 200),
        ("the same again: nothing changes, no update", "svc-1", json,
         br#"{"name": "payments", "labels": {"l2": null}}"#.to_vec(), 200),
        ("notes added, tags replaced (RFC 7396: arrays replace)", "svc-1", json,
         br#"{"notes": "migrating", "tags": ["pci"]}"#.to_vec(), 200),
        ("undeploy", "svc-1", json, br#"{"deploy": null, "notes": null}"#.to_vec(), 200),
        ("redeploy without the required replicas", "svc-1", json,
         br#"{"deploy": {"image": "registry/payments:2"}}"#.to_vec(), 422),
        ("redeploy", "svc-1", json,
         br#"{"deploy": {"image": "registry/payments:2", "replicas": 3, "env": {"MODE": "blue"}}}"#.to_vec(), 200),
        ("a MongoDB operator smuggled in", "svc-1", json, br#"{"$set": {"owner": "mallory"}}"#.to_vec(), 422),
        ("a dotted top-level key (a MongoDB path)", "svc-1", json, br#"{"a.b": "x"}"#.to_vec(), 422),
        ("a Kubernetes-style label key: the labels are set whole", "svc-1", json,
         br#"{"labels": {"app.kubernetes.io/name": "payments"}}"#.to_vec(), 200),
        ("the id", "svc-1", json, br#"{"_id": "svc-2"}"#.to_vec(), 422),
        ("null on a required field", "svc-1", json, br#"{"owner": null}"#.to_vec(), 422),
        ("a wrong type", "svc-1", json, br#"{"tier": "gold"}"#.to_vec(), 422),
        ("an unknown field", "svc-1", json, br#"{"colour": "red"}"#.to_vec(), 422),
        ("nested 101 deep", "svc-1", json, deep.into_bytes(), 422),
        ("broken JSON", "svc-1", json, br#"{"name": "x",}"#.to_vec(), 400),
        ("not an object", "svc-1", json, br#"["name"]"#.to_vec(), 400),
        ("wrong content type", "svc-1", "text/plain", br#"{"name": "x"}"#.to_vec(), 415),
        ("no such service", "svc-9", json, br#"{"name": "x"}"#.to_vec(), 404),
    ];
    for (title, id, content_type, body, expected) in cases {
        let status = show(&store, title, id, content_type, &body);
        assert_eq!(status, expected, "{title}");
    }

    let stored = store.get("svc-1").expect("stored");
    println!("── the stored document at the end");
    for line in serde_json::to_string_pretty(&conjungo::bson::to_json(stored.clone().into()))
        .expect("json")
        .lines()
    {
        println!("   {line}");
    }
    assert_eq!(stored.get_str("name").ok(), Some("payments"));
    assert_eq!(stored.get_str("owner").ok(), Some("team-1"));
}
