//! A PATCH endpoint over an in-memory document store, framework-agnostic: the examples
//! (`patch_service`, `axum_server`) and the HTTP tests serve it.
//!
//! The store keeps each service as the bson document MongoDB would hold, and applies the
//! update documents conjungo produces with [`crate::mongo::apply_update`] (MongoDB's update
//! rules, modelled; no server), so what is stored is what the update makes of it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use bson::Document;
use conjungo::{Options, patch};
use serde_json::{Value, json};

use crate::catalog::{Service, ServicePatch};

/// An HTTP-shaped answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

/// Services by id, stored as bson documents.
#[derive(Default)]
pub struct Store {
    docs: Mutex<BTreeMap<String, Document>>,
}

impl Store {
    /// A store holding `services`.
    pub fn with(services: impl IntoIterator<Item = Service>) -> Self {
        let store = Store::default();
        for service in services {
            let doc = bson::serialize_to_document(&service).expect("a service serializes");
            store
                .docs
                .lock()
                .expect("lock")
                .insert(service.id.clone(), doc);
        }
        store
    }

    /// The stored document of `id`.
    pub fn get(&self, id: &str) -> Option<Document> {
        self.docs.lock().expect("lock").get(id).cloned()
    }

    /// Store `doc` under `id` as it is (a test can store what no `Service` reads).
    pub fn insert_raw(&self, id: &str, doc: Document) {
        self.docs.lock().expect("lock").insert(id.to_owned(), doc);
    }

    /// Run `f` on the stored document of `id` (`None` when there is none); when it gives
    /// an update, the stored document becomes what MongoDB makes of it.
    pub fn modify<T>(
        &self,
        id: &str,
        f: impl FnOnce(&Document) -> Result<(T, patch::Applied), conjungo::Error>,
    ) -> Option<Result<(T, patch::Applied), conjungo::Error>> {
        let mut docs = self.docs.lock().expect("lock");
        let stored = docs.get_mut(id)?;
        let outcome = f(stored);
        // As `update_one({_id, ..applied.filter}, applied.update)`: written only when the
        // filter (a version as read) still matches.
        if let Ok((_, applied)) = &outcome
            && !applied.is_empty()
            && crate::mongo::matches_filter(stored, &applied.filter)
        {
            *stored = crate::mongo::apply_applied(stored, applied)
                .expect("conjungo's updates are valid MongoDB updates");
        }
        Some(outcome)
    }

    /// `PATCH /services/{id}` with `content_type` and `body`.
    pub fn patch(&self, id: &str, content_type: Option<&str>, body: &[u8]) -> Response {
        let mime = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim);
        if !matches!(
            mime,
            Some("application/merge-patch+json" | "application/json")
        ) {
            return Response {
                status: 415,
                body: json!({"error": "use Content-Type: application/merge-patch+json"}),
            };
        }
        let mut docs = self.docs.lock().expect("lock");
        let Some(stored) = docs.get_mut(id) else {
            return Response {
                status: 404,
                body: json!({"error": format!("no service {id}")}),
            };
        };
        match patch_service(stored, body) {
            Ok((service, applied)) => {
                if !applied.is_empty() {
                    // What MongoDB would do with the update: the stored document becomes it.
                    *stored = crate::mongo::apply_applied(stored, &applied)
                        .expect("conjungo's updates are valid MongoDB updates");
                }
                Response {
                    status: 200,
                    body: json!({
                        "service": service,
                        "update": conjungo::bson::to_json(applied.update.into()),
                        "changes": applied.changes.iter()
                            .map(|c| json!({"path": c.path, "change": c.kind.to_string()}))
                            .collect::<Vec<_>>(),
                    }),
                }
            }
            Err(e) => Response {
                status: e.http_status(),
                // RFC 9457 problem details (`type`, `title`, `status`, `detail`, `pointer`).
                body: serde_json::to_value(&e).unwrap_or(Value::Null),
            },
        }
    }
}

/// The handler's core, as the README shows it: parse and validate the untrusted body,
/// apply it to the stored service, get the update and the changes.
pub fn patch_service(
    stored: &Document,
    body: &[u8],
) -> Result<(Service, patch::Applied), conjungo::Error> {
    let patch: ServicePatch = patch::parse(body)?; // 400 / 413 / 422, with a JSON Pointer
    let mut service: Service =
        bson::deserialize_from_document(stored.clone()).map_err(conjungo::Error::stored)?; // 500
    let applied = patch::apply(&mut service, patch, &Options::merge_patch())?;
    Ok((service, applied)) // applied.update: the MongoDB update; applied.changes: the audit
}
