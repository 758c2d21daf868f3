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

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Customer {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: ObjectId,
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    addresses: Vec<Address>,
    #[merge(version)]
    version: i64,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Address {
    id: String,
    city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    zip: Option<String>,
}

/// Keyed lists (array filters), sets and versions on a real server: each write carries the
/// version filter and the array filters; a write computed from an old read matches nothing.
#[tokio::test]
async fn keyed_lists_sets_and_versions_on_a_real_server() {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        eprintln!("skipped: MONGODB_URI is not set, no MongoDB server was contacted");
        return;
    };
    let client = Client::with_uri_str(&uri).await.unwrap();
    let customers: Collection<Document> = client.database("conjungo_test").collection("customers");
    let read = Customer {
        id: ObjectId::new(),
        roles: vec!["buyer".into(), "beta".into()],
        addresses: vec![
            Address {
                id: "home".into(),
                city: "Paris".into(),
                zip: Some("75001".into()),
            },
            Address {
                id: "work".into(),
                city: "Lyon".into(),
                zip: None,
            },
            Address {
                id: "old".into(),
                city: "Nice".into(),
                zip: None,
            },
        ],
        version: 1,
    };
    customers
        .insert_one(bson::serialize_to_document(&read).unwrap())
        .await
        .unwrap();
    let mut expected = read.clone();
    for body in [
        br#"{"addresses": {"home": {"city": "Paris 1er", "zip": null}, "work": {"zip": "69002"}}}"#
            .as_slice(),
        br#"{"addresses": {"old": null}, "roles": {"remove": ["beta"]}}"#,
        br#"{"addresses": {"beach": {"id": "beach", "city": "Biarritz"}}, "roles": ["admin"]}"#,
    ] {
        let p: CustomerPatch = patch::parse(body).unwrap();
        let applied = patch::apply(&mut expected, p, &Options::merge_patch()).unwrap();
        let mut query = doc! {"_id": read.id};
        query.extend(applied.filter.clone());
        let mut write = customers.update_one(query, applied.update.clone());
        if !applied.array_filters.is_empty() {
            write = write.array_filters(applied.array_filters.clone());
        }
        assert_eq!(write.await.unwrap().matched_count, 1, "{}", applied.update);
        let stored = customers
            .find_one(doc! {"_id": read.id})
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored, bson::serialize_to_document(&expected).unwrap());
    }
    // Computed from the first read (version 1): its filter matches nothing now.
    let mut stale = read.clone();
    let p: CustomerPatch = patch::parse(br#"{"addresses": {"work": {"city": "X"}}}"#).unwrap();
    let applied = patch::apply(&mut stale, p, &Options::merge_patch()).unwrap();
    let mut query = doc! {"_id": read.id};
    query.extend(applied.filter.clone());
    let result = customers
        .update_one(query, applied.update)
        .array_filters(applied.array_filters)
        .await
        .unwrap();
    assert_eq!(result.matched_count, 0);
    customers.delete_one(doc! {"_id": read.id}).await.unwrap();
}
