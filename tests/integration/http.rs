//! The axum example's router on 127.0.0.1, driven with real HTTP/1.1 requests, and a
//! router of a validated model: every status of `ErrorClass`'s table (400, 413, 415, 422,
//! 500), with the `application/problem+json` body compared whole, plus success, no-op and
//! the handler's own 404. Every request is bounded by a timeout.

#[path = "../../examples/axum_server.rs"]
#[allow(dead_code)]
mod server;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::patch;
use axum::{Extension, Json, Router};
use conjungo::axum::{MergePatch, PatchConfig};
use conjungo::patch::Limits;
use conjungo::{Error, Merge, Options};
use conjungo_suite::catalog::svc;
use conjungo_suite::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

/// One request: `Content-Length` framing, or chunked when `chunked` (no length known
/// before the body is read).
async fn request(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: Option<&str>,
    body: &str,
    chunked: bool,
) -> Answer {
    let exchange = async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut head = format!("PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if let Some(content_type) = content_type {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        let mut bytes = Vec::new();
        if chunked {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            bytes.extend_from_slice(head.as_bytes());
            for chunk in body.as_bytes().chunks(64) {
                bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                bytes.extend_from_slice(chunk);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        } else {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(body.as_bytes());
        }
        // Written while the answer is read: a server that refuses a body too large answers
        // and closes before the rest is sent, so the writer's broken pipe is expected.
        let (mut reader, mut writer) = stream.into_split();
        let write = tokio::spawn(async move {
            let _ = writer.write_all(&bytes).await;
            writer
        });
        let mut raw = Vec::new();
        let read = reader.read_to_end(&mut raw).await;
        drop(write.await);
        if raw.is_empty() {
            read.expect("read");
        }
        String::from_utf8(raw).expect("utf-8 response")
    };
    let text = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("timely answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("numeric status");
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or("")
        .to_owned();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
    }
}

/// The problem details body conjungo answers with, written out.
fn problem(kind: &str, title: &str, status: u16, detail: &str, pointer: Option<&str>) -> Value {
    let mut p = json!({
        "type": format!("https://docs.rs/conjungo/latest/conjungo/enum.ErrorKind.html#variant.{kind}"),
        "title": title,
        "status": status,
        "detail": detail,
    });
    if let Some(pointer) = pointer {
        p["pointer"] = json!(pointer);
    }
    p
}

async fn serve(router: Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    (addr, server)
}

const MERGE_PATCH: Option<&str> = Some("application/merge-patch+json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_router_answers_every_status_with_a_problem() {
    let store = Arc::new(Store::with([svc(1)]));
    store.insert_raw(
        "svc-broken",
        bson::doc! {"_id": "svc-broken", "tier": "high"},
    );
    let config = PatchConfig::default().limits(Limits::default().max_body_bytes(256));
    let (addr, server) = serve(server::router(store.clone()).layer(Extension(config))).await;

    // Success: the update and the changes come back; the store holds the result.
    let ok = request(
        addr,
        "/services/svc-1",
        MERGE_PATCH,
        r#"{"tier": 3, "labels": {"l0": null}}"#,
        false,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(
        ok.body["update"],
        json!({"$set": {"tier": 3}, "$unset": {"labels.l0": ""}})
    );
    assert_eq!(
        ok.body["changes"],
        json!([
            {"path": "/labels/l0", "change": "removed"},
            {"path": "/tier", "change": "replaced"},
        ])
    );
    let stored = store.get("svc-1").expect("stored");
    assert_eq!(stored.get_i64("tier").ok(), Some(3));

    // No-op: 200 with an empty update; application/json is accepted too.
    let same = request(
        addr,
        "/services/svc-1",
        Some("application/json; charset=utf-8"),
        r#"{"tier": 3}"#,
        false,
    )
    .await;
    assert_eq!(same.status, 200);
    assert_eq!(
        (&same.body["update"], &same.body["changes"]),
        (&json!({}), &json!([]))
    );

    let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(300));
    let cases: Vec<(&str, Option<&str>, &str, bool, Value)> = vec![
        (
            "/services/svc-1",
            MERGE_PATCH,
            r#"{"tier": 3,"#,
            false,
            problem(
                "Malformed",
                "Malformed body",
                400,
                "malformed body: EOF while parsing a value at line 1 column 11",
                None,
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            "[1]",
            false,
            problem(
                "Malformed",
                "Malformed body",
                400,
                "malformed body: expected a JSON object, found an array",
                None,
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            &big,
            false,
            problem(
                "TooLarge",
                "Body too large",
                413,
                "body larger than 256 bytes",
                None,
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            &big,
            true,
            problem(
                "TooLarge",
                "Body too large",
                413,
                "body larger than 256 bytes",
                None,
            ),
        ),
        (
            "/services/svc-1",
            Some("text/plain"),
            r#"{"tier": 1}"#,
            false,
            problem(
                "UnsupportedMediaType",
                "Unsupported media type",
                415,
                "a merge patch is sent as application/merge-patch+json, not text/plain",
                None,
            ),
        ),
        (
            "/services/svc-1",
            None,
            r#"{"tier": 1}"#,
            false,
            problem(
                "UnsupportedMediaType",
                "Unsupported media type",
                415,
                "a merge patch is sent as application/merge-patch+json: no content type",
                None,
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            r#"{"$rename": {"a": "b"}}"#,
            false,
            problem(
                "ForbiddenKey",
                "Forbidden key",
                422,
                "forbidden key \"$rename\": keys starting with `$` are MongoDB operators",
                Some("/$rename"),
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            r#"{"_id": "x"}"#,
            false,
            problem(
                "ProtectedField",
                "Protected field",
                422,
                "field `_id` is protected and cannot be patched",
                Some("/_id"),
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            r#"{"owner": null}"#,
            false,
            problem(
                "NullOnRequired",
                "Null for a required field",
                422,
                "null is not allowed: the field is required",
                Some("/owner"),
            ),
        ),
        (
            "/services/svc-1",
            MERGE_PATCH,
            r#"{"deploy": {"replicas": "many"}}"#,
            false,
            problem(
                "Custom",
                "Invalid value",
                422,
                "invalid type: string \"many\", expected i64",
                Some("/deploy/replicas"),
            ),
        ),
        (
            "/services/svc-broken",
            MERGE_PATCH,
            r#"{"tier": 1}"#,
            false,
            problem(
                "Stored",
                "Stored value unreadable",
                500,
                "the stored value cannot be read",
                None,
            ),
        ),
    ];
    for (path, content_type, payload, chunked, expected) in cases {
        let before = store.get("svc-1");
        let answer = request(addr, path, content_type, payload, chunked).await;
        assert_eq!(
            answer.status, expected["status"],
            "{payload}: {}",
            answer.body
        );
        assert_eq!(answer.content_type, "application/problem+json", "{payload}");
        assert_eq!(answer.body, expected, "{payload}");
        assert_eq!(
            store.get("svc-1"),
            before,
            "{payload} changed the stored document"
        );
    }

    // The handler's own 404 (not a conjungo error).
    let missing = request(addr, "/services/nope", MERGE_PATCH, r#"{"tier": 1}"#, false).await;
    assert_eq!(missing.status, 404);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_can_be_turned_off() {
    let store = Arc::new(Store::with([svc(1)]));
    let config = PatchConfig::default().accept_json(false);
    let (addr, server) = serve(server::router(store).layer(Extension(config))).await;
    let answer = request(
        addr,
        "/services/svc-1",
        Some("application/json"),
        "{}",
        false,
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.body["detail"],
        "a merge patch is sent as application/merge-patch+json, not application/json"
    );
    let answer = request(addr, "/services/svc-1", MERGE_PATCH, "{}", false).await;
    assert_eq!(answer.status, 200);
    server.abort();
}

/// A validated model: immutable fields and every failing place in `errors`.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch, validate = check_team)]
struct Team {
    #[merge(immutable)]
    tenant: String,
    name: String,
    seats: u32,
    members: BTreeMap<String, String>,
}

fn check_team(team: &Team) -> Result<(), Error> {
    let mut problems = Vec::new();
    if team.name.is_empty() {
        problems.push(Error::custom("a name is required").at_key("name"));
    }
    if (team.seats as usize) < team.members.len() {
        problems.push(Error::custom("more members than seats").at_key("seats"));
    }
    Error::invalid(problems)
}

async fn patch_team(
    State(team): State<Arc<Mutex<Team>>>,
    MergePatch(p): MergePatch<TeamPatch>,
) -> Result<Json<Value>, Error> {
    let mut team = team.lock().expect("lock");
    let applied = conjungo::patch::apply(&mut *team, p, &Options::merge_patch())?;
    Ok(Json(conjungo::bson::to_json(applied.update.into())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_problems_and_immutable_fields_over_http() {
    let team = Arc::new(Mutex::new(Team {
        tenant: "t1".into(),
        name: "core".into(),
        seats: 1,
        members: BTreeMap::from([("ann".into(), "dev".into())]),
    }));
    let router = Router::new()
        .route("/team", patch(patch_team))
        .with_state(team.clone());
    let (addr, server) = serve(router).await;

    let answer = request(
        addr,
        "/team",
        MERGE_PATCH,
        r#"{"name": "", "members": {"bob": "dev"}}"#,
        false,
    )
    .await;
    assert_eq!(answer.status, 422);
    let mut expected = problem(
        "Invalid",
        "Invalid result",
        422,
        "the result is invalid: /name: a name is required; /seats: more members than seats",
        None,
    );
    expected["errors"] = json!([
        {"detail": "a name is required", "pointer": "/name"},
        {"detail": "more members than seats", "pointer": "/seats"},
    ]);
    assert_eq!(answer.body, expected);

    let answer = request(addr, "/team", MERGE_PATCH, r#"{"tenant": "t2"}"#, false).await;
    assert_eq!(
        answer.body,
        problem(
            "Immutable",
            "Immutable field",
            422,
            "the value cannot be changed once it is set",
            Some("/tenant"),
        )
    );
    let answer = request(
        addr,
        "/team",
        MERGE_PATCH,
        r#"{"tenant": "t1", "seats": 2}"#,
        false,
    )
    .await;
    assert_eq!(
        (answer.status, answer.body),
        (200, json!({"$set": {"seats": 2}}))
    );
    assert_eq!(team.lock().expect("lock").seats, 2);
    server.abort();
}
