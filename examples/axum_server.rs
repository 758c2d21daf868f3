//! A real HTTP server: `PATCH /services/{id}` over the in-memory catalog, with axum.
//! The library knows nothing of axum; the handler maps conjungo's errors to statuses in
//! one line (`error.http_status()`), inside `Store::patch`.
//!
//! Run it with `cargo run --example axum_server` and try
//! `curl -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"tier": 3}'
//! http://127.0.0.1:3000/services/svc-1`. `tests/test_http.rs` drives the same router.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::patch;
use conjungo_suite::catalog::svc;
use conjungo_suite::store::Store;
use serde_json::Value;

/// The routes: `PATCH /services/{id}`.
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .route("/services/{id}", patch(patch_service))
        .with_state(store)
}

async fn patch_service(
    State(store): State<Arc<Store>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let response = store.patch(&id, content_type, &body);
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(response.body))
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
