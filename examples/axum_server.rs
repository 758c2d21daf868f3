//! A real HTTP server: `PATCH /services/{id}` over the in-memory catalog, with axum and
//! conjungo's extractor. The body is read by `conjungo::axum::MergePatch` (media type, size,
//! the gate), every failure answers as an RFC 9457 `application/problem+json` response, and
//! a stored document that does not deserialize is a 500, not the client's fault.
//!
//! Run it with `cargo run --example axum_server` and try
//! `curl -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"tier": 3}'
//! http://127.0.0.1:3000/services/svc-1`. `tests/integration/http.rs` drives the same router.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::patch;
use axum::{Json, Router};
use conjungo::axum::MergePatch;
use conjungo::{Options, patch as merge_patch};
use conjungo_suite::catalog::{Service, ServicePatch, svc};
use conjungo_suite::store::Store;
use serde_json::{Value, json};

/// The routes: `PATCH /services/{id}`.
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/services/{id}", patch(patch_service))
        .with_state(store)
}

async fn patch_service(
    State(store): State<Arc<Store>>,
    Path(id): Path<String>,
    MergePatch(patch): MergePatch<ServicePatch>,
) -> Result<Json<Value>, Response> {
    let outcome = store.modify(&id, |stored| {
        let mut service: Service =
            bson::deserialize_from_document(stored.clone()).map_err(conjungo::Error::stored)?;
        let applied = merge_patch::apply(&mut service, patch, &Options::merge_patch())?;
        Ok((service, applied))
    });
    match outcome {
        None => Err((StatusCode::NOT_FOUND, format!("no service {id}")).into_response()),
        Some(Err(error)) => Err(error.into_response()),
        Some(Ok((service, applied))) => Ok(Json(json!({
            "service": service,
            "update": conjungo::bson::to_json(applied.update.into()),
            "changes": applied.changes.iter()
                .map(|c| json!({"path": c.path, "change": c.kind.to_string()}))
                .collect::<Vec<_>>(),
        }))),
    }
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> std::io::Result<()> {
    let store = Arc::new(Store::with([svc(1), svc(2)]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!(
        "listening on http://{}/services/{{svc-1,svc-2}}",
        listener.local_addr()?
    );
    axum::serve(listener, router(store)).await
}
