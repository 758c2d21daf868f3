//! Times the hostile bodies of issue 16 at MongoDB's 16 MiB limit (run it in release:
//! `cargo run --release --example hostile_bodies`). The growth of their cost is tested
//! by counted instructions in `tests/test_complexity.rs`; this program only reports wall
//! time at full size, once each, beside the time of parsing the same body into a `Value`
//! (the least a handler pays; the schemaless cases read the bytes with
//! `patch::apply_document_slice` and do not build a `Value` at all).
//! One argument runs only the cases whose name contains it (`… hostile_bodies union`).

use std::time::Instant;

use bson::{Bson, Document, doc};
use conjungo::{Merge, Options, patch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Board {
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    items: Vec<Item>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    id: String,
    n: i64,
}

const MIB16: usize = 16 * 1024 * 1024;

fn report(name: &str, body: &[u8], f: impl FnOnce(&[u8]) -> String) {
    if let Some(only) = std::env::args().nth(1)
        && !name.contains(&only)
    {
        return;
    }
    // The least any handler pays for the same body: parsing it into a `Value`.
    let start = Instant::now();
    drop(serde_json::from_slice::<Value>(body).unwrap());
    let floor = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    let outcome = f(body);
    println!(
        "{name:<28} {:>6.2} MiB body  {:>8.1} ms  (parse alone {floor:>6.1} ms)  {outcome}",
        body.len() as f64 / (1024.0 * 1024.0),
        start.elapsed().as_secs_f64() * 1000.0
    );
}

/// A JSON object of `key(i) -> value(i)` members, as large as fits in `bytes` with `wrap`.
fn members(
    bytes: usize,
    wrap: usize,
    member: impl Fn(usize) -> (String, Value),
) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    let mut size = wrap;
    let mut i = 0;
    while size < bytes - 64 {
        let (k, v) = member(i);
        size += k.len() + v.to_string().len() + 4;
        map.insert(k, v);
        i += 1;
    }
    map
}

fn main() {
    let options = Options::merge_patch();

    let nulls = members(MIB16, 16, |i| {
        (
            format!("k{i}"),
            if i % 2 == 0 { Value::Null } else { json!(i) },
        )
    });
    let body = serde_json::to_vec(&json!({ "new": nulls })).unwrap();
    report("nulls in a new subtree", &body, |body| {
        let mut doc = doc! {"a": 1};
        let applied = patch::apply_document_slice(&mut doc, body, &options).unwrap();
        format!("{} changes", applied.changes.len())
    });

    // At 16 MiB the update (1.1 M `$unset`s, 17.9 MB) is more than MongoDB accepts, and
    // the patch is refused before anything changes; at 14 MiB it fits and is applied.
    for (name, bytes) in [
        ("deleting stored keys", MIB16),
        ("deleting stored keys, 14 MiB", 14 * 1024 * 1024),
    ] {
        let deletions = members(bytes, 16, |i| (format!("k{i}"), Value::Null));
        let stored: Document = deletions
            .keys()
            .map(|k| (k.clone(), Bson::Int32(1)))
            .collect();
        let body = serde_json::to_vec(&json!({ "d": deletions })).unwrap();
        let mut paths = Vec::new();
        report(name, &body, |body| {
            let mut doc = doc! {"d": stored};
            match patch::apply_document_slice(&mut doc, body, &options) {
                Ok(applied) => {
                    if let Ok(unset) = applied.update.get_document("$unset") {
                        paths = unset.keys().cloned().collect();
                    }
                    format!("{} keys removed", applied.changes.len())
                }
                Err(e) => e.kind().to_string(),
            }
        });
        if !paths.is_empty() {
            // What any patch library returning this update pays at least, besides the
            // parse: inserting its paths into a bson document (which cannot be pre-sized).
            let start = Instant::now();
            let mut unset = Document::new();
            for path in paths {
                unset.insert(path, "");
            }
            let update = doc! {"$unset": unset};
            println!(
                "{:<28} {:>6} {:>8.1} ms  (building the same update document alone)",
                "",
                "",
                start.elapsed().as_secs_f64() * 1000.0
            );
            drop(update);
        }
    }

    let roles: Vec<String> = (0..MIB16 / 12).map(|i| format!("r{i}")).collect();
    let body = serde_json::to_vec(&json!({ "roles": roles })).unwrap();
    report("union of a body-sized list", &body, |body| {
        let mut board = Board {
            roles: vec!["r1".into()],
            items: vec![],
        };
        let p: BoardPatch = patch::parse(body).unwrap();
        patch::apply(&mut board, p, &Options::default()).unwrap();
        format!("{} roles", board.roles.len())
    });

    let items: Vec<Value> = (0..MIB16 / 24)
        .map(|i| json!({"id": format!("i{i}"), "n": 1}))
        .collect();
    let body = serde_json::to_vec(&json!({ "items": items })).unwrap();
    report("by_key of a body-sized list", &body, |body| {
        let mut board = Board {
            roles: vec![],
            items: (0..1000)
                .map(|i| Item {
                    id: format!("i{i}"),
                    n: 0,
                })
                .collect(),
        };
        let p: BoardPatch = patch::parse(body).unwrap();
        patch::apply(&mut board, p, &Options::default()).unwrap();
        format!("{} items", board.items.len())
    });

    let key = "k".repeat(1024);
    let mut body = Value::Object((0..8000).map(|i| (format!("x{i}"), json!(1))).collect());
    for _ in 0..50 {
        body = json!({ key.clone(): body });
    }
    let body = serde_json::to_vec(&body).unwrap();
    report("deep long keys (refused)", &body, |body| {
        let mut doc = doc! {};
        let err = patch::apply_document_slice(&mut doc, body, &options).unwrap_err();
        err.kind().to_string()
    });
}
