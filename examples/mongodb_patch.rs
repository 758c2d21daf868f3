//! A PATCH handler over a real MongoDB with the official driver (bson 3 types):
//!
//! ```sh
//! MONGODB_URI=mongodb://localhost:27017 cargo run --example mongodb_patch --features mongodb
//! ```
//!
//! It stores a user, applies a PATCH body with `conjungo::patch`, sends `applied.update`
//! with `Collection::update_one`, and checks that the stored document is what serde stores
//! for the merged user. Without `MONGODB_URI` it says so and exits.

use bson::{Document, doc, oid::ObjectId};
use chrono::{DateTime, TimeZone, Utc};
use conjungo::{Merge, Options, patch};
use mongodb::{Client, Collection};
use serde::{Deserialize, Serialize};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct User {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: ObjectId,
    #[serde(rename = "displayName")]
    name: String,
    #[serde(with = "bson::serde_helpers::datetime::FromChrono04DateTime")]
    created_at: DateTime<Utc>,
    #[serde(with = "bson::serde_helpers::uuid_1::AsBinary")]
    external_id: uuid::Uuid,
    quota: u64,
    #[merge(append)]
    tags: Vec<String>,
    meta: serde_json::Value,
}

/// The handler: read the stored user, patch it, write only what changed.
async fn patch_user(
    users: &Collection<Document>,
    id: ObjectId,
    body: &[u8],
) -> Result<User, Box<dyn std::error::Error>> {
    let patch: UserPatch = patch::parse(body)?; // answer err.http_status() on Err
    let stored = users
        .find_one(doc! {"_id": id})
        .await?
        .ok_or("no such user")?;
    let mut user: User = bson::deserialize_from_document(stored)?; // a 500 on Err
    let applied = patch::apply(&mut user, patch, &Options::merge_patch())?;
    if !applied.is_empty() {
        // The version as read (for a `#[merge(version)]` field; empty otherwise) joins the
        // query, and the array filters of keyed-list items go with the update.
        let mut query = doc! {"_id": id};
        query.extend(applied.filter.clone());
        let mut write = users.update_one(query, applied.update);
        if !applied.array_filters.is_empty() {
            write = write.array_filters(applied.array_filters);
        }
        if write.await?.matched_count == 0 {
            return Err("another writer changed the user first: answer 412, or retry".into());
        }
    }
    Ok(user)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(uri) = std::env::var("MONGODB_URI") else {
        println!("MONGODB_URI is not set: no MongoDB server was contacted, nothing was run");
        return Ok(());
    };
    let client = Client::with_uri_str(&uri).await?;
    let users: Collection<Document> = client.database("conjungo_example").collection("users");
    let user = User {
        id: ObjectId::new(),
        name: "Ann".into(),
        created_at: Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap(),
        external_id: uuid::Uuid::from_u128(7),
        quota: 10,
        tags: vec!["a".into()],
        meta: serde_json::json!({"plan": {"seats": 3}}),
    };
    users
        .insert_one(bson::serialize_to_document(&user)?)
        .await?;
    let body = br#"{"displayName": "Ann B.", "created_at": {"$date": "2025-06-07T08:09:10Z"},
                    "tags": ["b"], "meta": {"plan": {"seats": 5}}}"#;
    let merged = patch_user(&users, user.id, body).await?;
    let read = users
        .find_one(doc! {"_id": user.id})
        .await?
        .ok_or("the user is gone")?;
    assert_eq!(read, bson::serialize_to_document(&merged)?);
    println!("stored after PATCH: {read}");
    users.delete_one(doc! {"_id": user.id}).await?;
    Ok(())
}
