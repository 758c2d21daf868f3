//! The axum example's router on 127.0.0.1, driven with real HTTP/1.1 requests: success,
//! no-op, 400, 403, 422, 404, 415. Every request is bounded by a timeout.

#[path = "../examples/axum_server.rs"]
#[allow(dead_code)]
mod server;

use std::sync::Arc;
use std::time::Duration;

use conjungo_suite::catalog::svc;
use conjungo_suite::store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn request(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.write_all(body.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        String::from_utf8(raw).expect("utf-8 response")
    };
    let text = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("timely answer");
    let status: u16 = text
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("numeric status");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_endpoint_over_http() {
    let store = Arc::new(Store::with([svc(1)]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, server::router(store.clone())).into_future());
    let json = "application/merge-patch+json";

    // Success: the update and the changes come back; the store holds the result.
    let (status, body) = request(
        addr,
        "/services/svc-1",
        json,
        r#"{"tier": 3, "labels": {"l0": null}}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["update"],
        json!({"$set": {"tier": 3}, "$unset": {"labels.l0": ""}})
    );
    assert_eq!(body["changes"].as_array().map(Vec::len), Some(2));
    let stored = store.get("svc-1").expect("stored");
    assert_eq!(stored.get_i64("tier").ok(), Some(3));
    assert!(
        stored
            .get_document("labels")
            .expect("labels")
            .get("l0")
            .is_none()
    );

    // No-op: 200 with an empty update and no changes.
    let (status, body) = request(
        addr,
        "/services/svc-1",
        "application/json",
        r#"{"tier": 3}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["update"], json!({}));
    assert_eq!(body["changes"], json!([]));

    for (path, content_type, payload, expected, pointer) in [
        ("/services/svc-1", json, r#"{"tier": 3,"#, 400, ""),
        ("/services/svc-1", json, r#"[1]"#, 400, ""),
        (
            "/services/svc-1",
            json,
            r#"{"$rename": {"a": "b"}}"#,
            403,
            "/$rename",
        ),
        ("/services/svc-1", json, r#"{"_id": "x"}"#, 403, "/_id"),
        ("/services/svc-1", json, r#"{"owner": null}"#, 422, "/owner"),
        ("/services/svc-1", json, r#"{"tier": "high"}"#, 422, "/tier"),
        ("/services/nope", json, r#"{"tier": 1}"#, 404, ""),
        ("/services/svc-1", "text/plain", r#"{"tier": 1}"#, 415, ""),
    ] {
        let before = store.get("svc-1");
        let (status, body) = request(addr, path, content_type, payload).await;
        assert_eq!(status, expected, "{payload}: {body}");
        if !pointer.is_empty() {
            assert_eq!(body["pointer"], pointer, "{payload}");
        }
        assert_eq!(
            store.get("svc-1"),
            before,
            "{payload} changed the stored document"
        );
    }
    server.abort();
}
