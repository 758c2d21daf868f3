//! Against a real MongoDB server, only when `MONGODB_URI` is set (and the `mongodb` feature
//! is on): typed and schemaless PATCH updates sent with the official driver leave exactly
//! the document conjungo computed. Without `MONGODB_URI` the test says that it skipped.
#![cfg(feature = "mongodb")]

use bson::{Document, doc, oid::ObjectId};
use conjungo::{Merge, Options, patch};
use mongodb::{Client, Collection};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Item {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: ObjectId,
    name: String,
    count: i64,
    labels: std::collections::BTreeMap<String, String>,
    meta: serde_json::Value,
}

#[tokio::test]
async fn updates_apply_on_a_real_server() {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        eprintln!("skipped: MONGODB_URI is not set, no MongoDB server was contacted");
        return;
    };
    let client = Client::with_uri_str(&uri).await.unwrap();
    let items: Collection<Document> = client.database("conjungo_test").collection("items");
    let mut item = Item {
        id: ObjectId::new(),
        name: "a".into(),
        count: 1,
        labels: [("env".to_string(), "dev".to_string())].into(),
        meta: json!({"x": {"1": "a", "k": "v"}}),
    };
    items
        .insert_one(bson::serialize_to_document(&item).unwrap())
        .await
        .unwrap();
    let body =
        br#"{"count": 2, "labels": {"env": null, "team": "core"}, "meta": {"x": {"1": "b"}}}"#;
    let p: ItemPatch = patch::parse(body).unwrap();
    let applied = patch::apply(&mut item, p, &Options::merge_patch()).unwrap();
    items
        .update_one(doc! {"_id": item.id}, applied.update)
        .await
        .unwrap();
    let read = items
        .find_one(doc! {"_id": item.id})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, bson::serialize_to_document(&item).unwrap());

    // Schemaless.
    let mut stored = read.clone();
    let applied = patch::apply_document(
        &mut stored,
        json!({"meta": {"y": [1, 2]}}),
        &Options::default(),
    )
    .unwrap();
    items
        .update_one(doc! {"_id": item.id}, applied.update)
        .await
        .unwrap();
    let read = items
        .find_one(doc! {"_id": item.id})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, stored);
    items.delete_one(doc! {"_id": item.id}).await.unwrap();
}
