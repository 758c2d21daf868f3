//! Growth of the work hostile bodies cause, counted, not timed: each workload runs at size
//! n and 4n in a child process under valgrind's callgrind, which counts the instructions
//! executed inside `measured` only (inputs are built outside it). Linear work grows about
//! 4×; the quadratic costs of issue 16 grew 16× and more. Where valgrind is not installed
//! the test says that it skipped.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use bson::{Bson, Document, doc};
use conjungo::{Merge, Options, patch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The measured region: callgrind counts only inside this function.
#[inline(never)]
fn measured(f: &mut dyn FnMut()) {
    f();
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Board {
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    items: Vec<Item>,
    meta: Value,
    #[merge(append)]
    log: Vec<String>,
    labels: BTreeMap<String, String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    id: String,
    n: i64,
}

/// A struct flattened into another: its members' errors are located on the error path by
/// reading halves of the body again.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[merge(patch)]
struct Stamp {
    by: String,
    at: i64,
}

// Only its patch type is read.
#[allow(dead_code)]
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Stamped {
    #[serde(flatten)]
    stamp: Stamp,
    atlas: BTreeMap<String, String>,
}

fn board(stored: usize) -> Board {
    // Room for what the workloads append: growing a full `Vec` copies it, which is the
    // allocator's work, not conjungo's.
    let mut log = Vec::with_capacity(stored + 16);
    log.extend((0..stored).map(|i| format!("e{i}")));
    Board {
        roles: vec![],
        items: vec![],
        meta: Value::Object((0..stored).map(|i| (format!("k{i}"), json!(i))).collect()),
        log,
        labels: BTreeMap::new(),
    }
}

/// One workload at size `n`.
fn run(name: &str, n: usize) {
    match name {
        // Issue 16 §1: nulls stripped from a new subtree, and existing keys deleted.
        "nulls" => {
            let mut body = serde_json::Map::new();
            for i in 0..n {
                body.insert(
                    format!("k{i}"),
                    if i % 2 == 0 { Value::Null } else { json!(i) },
                );
            }
            let body = json!({ "new": body });
            let mut doc = doc! {"a": 1};
            measured(&mut || {
                patch::apply_document(&mut doc, body.clone(), &Options::merge_patch()).unwrap();
            });
        }
        "deletions" => {
            let stored: Document = (0..n).map(|i| (format!("k{i}"), Bson::Int32(1))).collect();
            let body: serde_json::Map<String, Value> =
                (0..n).map(|i| (format!("k{i}"), Value::Null)).collect();
            let body = json!({ "d": body });
            let mut doc = doc! {"d": stored};
            measured(&mut || {
                patch::apply_document(&mut doc, body.clone(), &Options::merge_patch()).unwrap();
            });
        }
        // The same two from the bytes (`apply_document_slice`), keys in body order
        // (`k0, k1, …, k10, …`: not key order, so the one pass sorts them); and deletions
        // whose `$unset`s cannot fit, refused before any document is built.
        "nulls_bytes" | "deletions_bytes" | "deletions_refused_bytes" => {
            let deleting = name != "nulls_bytes";
            let mut text = String::from(if deleting { r#"{"d":{"# } else { r#"{"new":{"# });
            for i in 0..n {
                if i > 0 {
                    text.push(',');
                }
                let value = if deleting || i % 2 == 0 {
                    "null".to_owned()
                } else {
                    i.to_string()
                };
                text.push_str(&format!(r#""k{i}":{value}"#));
            }
            text.push_str("}}");
            let stored: Document = (0..n).map(|i| (format!("k{i}"), Bson::Int32(1))).collect();
            let mut doc = if deleting {
                doc! {"d": stored}
            } else {
                doc! {"a": 1}
            };
            // Above the bytes of the body's paths (the gate's bound), below its `$unset`s
            // (each path plus 7 bytes): refused by the deletions bound of the one pass.
            let paths: usize = 1 + (0..n).map(|i| 2 + format!("k{i}").len()).sum::<usize>();
            let refused = name == "deletions_refused_bytes";
            let limits = if refused {
                patch::Limits::default().max_update_bytes(paths + 3 * n)
            } else {
                patch::Limits::default()
            };
            measured(&mut || {
                let result = patch::apply_document_slice_with(
                    &mut doc,
                    text.as_bytes(),
                    &Options::merge_patch(),
                    &limits,
                );
                match result {
                    Err(e) => assert_eq!(
                        (refused, e.kind()),
                        (
                            true,
                            &conjungo::ErrorKind::UpdateTooLarge {
                                limit: paths + 3 * n
                            }
                        ),
                        "{name}"
                    ),
                    Ok(_) => assert!(!refused, "{name}"),
                }
            });
        }
        // JSON objects of n members merged by Go's rules (walked side by side: the target is
        // not 4x the source) and by RFC 7396 (a source of one member per 8 stored: looked up).
        "json_side_by_side" | "json_lookups" => {
            let target =
                Value::Object((0..n).map(|i| (format!("k{i}"), json!({"v": i}))).collect());
            let step = if name == "json_side_by_side" { 1 } else { 8 };
            let source = Value::Object(
                (0..n)
                    .step_by(step)
                    .map(|i| (format!("k{}", i + i % 2), json!({"v": -1, "w": i})))
                    .collect(),
            );
            let options = if step == 1 {
                Options::default()
            } else {
                Options::merge_patch()
            };
            let mut target = target;
            measured(&mut || {
                conjungo::merge(&mut target, source.clone(), &options).unwrap();
            });
        }
        // Go's rules merge a JSON root in one pass and undo it on failure: n members merged
        // (a number replaced, a member added, an array appended), then a mismatch at the
        // last member puts all of it back (`json_done`: the same merge without the mismatch).
        "json_undone" | "json_done" => {
            let last = if name == "json_done" {
                json!("other")
            } else {
                json!({"x": 1})
            };
            let mut target = Value::Object(
                (0..n)
                    .map(|i| (format!("k{i}"), json!({"v": i, "a": [i]})))
                    .chain([("zz".to_owned(), json!("text"))])
                    .collect(),
            );
            let source = Value::Object(
                (0..n)
                    .map(|i| (format!("k{i}"), json!({"v": -1, "w": i, "a": [0]})))
                    .chain([("zz".to_owned(), last)])
                    .collect(),
            );
            let before = target.clone();
            let mut result = Ok(());
            measured(&mut || {
                result = conjungo::merge(&mut target, source.clone(), &Options::default());
            });
            if name == "json_done" {
                assert!(result.is_ok() && target != before);
            } else {
                assert_eq!(result.unwrap_err().path(), "/zz");
                assert_eq!(target, before);
            }
        }
        // §3: body-sized `union` and `by_key` lists.
        "union" => {
            let body = serde_json::to_vec(&json!({
                "roles": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()
            }))
            .unwrap();
            let mut b = board(0);
            measured(&mut || {
                let p: BoardPatch = patch::parse(&body).unwrap();
                patch::apply(&mut b, p, &Options::default()).unwrap();
            });
        }
        "by_key" => {
            let items: Vec<Value> = (0..n)
                .map(|i| json!({"id": format!("i{i}"), "n": i}))
                .collect();
            let body = serde_json::to_vec(&json!({ "items": items })).unwrap();
            let mut b = board(0);
            b.items = (0..n)
                .step_by(2)
                .map(|i| Item {
                    id: format!("i{i}"),
                    n: 0,
                })
                .collect();
            measured(&mut || {
                let p: BoardPatch = patch::parse(&body).unwrap();
                patch::apply(&mut b, p, &Options::default()).unwrap();
            });
        }
        // A struct given n keys it does not know: the one pass checks each key once (by
        // hash past a few), then the body takes the `Value` path for the error (whose map
        // sorts the keys: bound 5.0).
        "struct_keys" => {
            let body = serde_json::to_vec(&Value::Object(
                (0..n).map(|i| (format!("k{i}"), json!(1))).collect(),
            ))
            .unwrap();
            measured(&mut || {
                patch::parse::<BoardPatch>(&body).unwrap_err();
            });
        }
        // Issue 10: a keyed object body changing, or removing, n/2 of n stored items (one
        // array filter per changed item), and a set losing n/2 of n members.
        "keyed_updates" | "keyed_removals" | "set_removals" => {
            let mut b = board(0);
            b.items = (0..n)
                .map(|i| Item {
                    id: format!("i{i}"),
                    n: 0,
                })
                .collect();
            b.roles = (0..n).map(|i| format!("r{i}")).collect();
            let body = match name {
                "keyed_updates" => {
                    let members: serde_json::Map<String, Value> = (0..n)
                        .step_by(2)
                        .map(|i| (format!("i{i}"), json!({"n": 1})))
                        .collect();
                    json!({ "items": members })
                }
                "keyed_removals" => {
                    let members: serde_json::Map<String, Value> = (0..n)
                        .step_by(2)
                        .map(|i| (format!("i{i}"), Value::Null))
                        .collect();
                    json!({ "items": members })
                }
                _ => {
                    let gone: Vec<String> = (0..n).step_by(2).map(|i| format!("r{i}")).collect();
                    json!({"roles": {"remove": gone}})
                }
            };
            let body = serde_json::to_vec(&body).unwrap();
            measured(&mut || {
                let p: BoardPatch = patch::parse(&body).unwrap();
                patch::apply(&mut b, p, &Options::default()).unwrap();
            });
        }
        // §4: a one-key patch of a stored dynamic field, and one appended item, where the
        // stored field has n entries: the work must not follow n.
        "meta_one_key" => {
            let mut b = board(n);
            let body = br#"{"meta": {"k1": "changed"}}"#;
            measured(&mut || {
                let p: BoardPatch = patch::parse(body).unwrap();
                patch::apply(&mut b, p, &Options::merge_patch()).unwrap();
            });
        }
        "append_one" => {
            let mut b = board(n);
            let body = br#"{"log": ["new"]}"#;
            measured(&mut || {
                let p: BoardPatch = patch::parse(body).unwrap();
                patch::apply(&mut b, p, &Options::default()).unwrap();
            });
        }
        "labels_many" => {
            let mut b = board(0);
            let labels: HashMap<String, String> =
                (0..n).map(|i| (format!("l{i}"), "v".to_string())).collect();
            let body = serde_json::to_vec(&json!({ "labels": labels })).unwrap();
            measured(&mut || {
                let p: BoardPatch = patch::parse(&body).unwrap();
                patch::apply(&mut b, p, &Options::default()).unwrap();
            });
        }
        // A refused member of a flattened struct beside a large member: the error is
        // located by halving the body's members, each half read once.
        "flatten_error_located" => {
            let atlas: BTreeMap<String, String> =
                (0..n).map(|i| (format!("p{i}"), "v".to_string())).collect();
            let body = serde_json::to_vec(&json!({ "atlas": atlas, "by": 5 })).unwrap();
            measured(&mut || {
                let err = patch::parse::<StampedPatch>(&body).unwrap_err();
                assert_eq!(err.path(), "/by");
            });
        }
        // The same body with a refused value where serde tracks places (a map entry):
        // the error path without locating.
        "flatten_error_atlas" => {
            let atlas: BTreeMap<String, Value> = (0..n)
                .map(|i| (format!("p{i}"), json!("v")))
                .chain([("zz".to_string(), json!(5))])
                .collect();
            let body = serde_json::to_vec(&json!({ "atlas": atlas, "by": "x" })).unwrap();
            measured(&mut || {
                let err = patch::parse::<StampedPatch>(&body).unwrap_err();
                assert_eq!(err.path(), "/atlas/zz");
            });
        }
        // A change `n` levels below keys an update cannot name ("0"), above a large
        // stored subtree: the update sets the top-level document whole, copied once (not
        // once per level).
        "unnamed_keys_deep" => {
            let blob: Document = (0..2_000)
                .map(|i| (format!("k{i}"), Bson::Int32(i)))
                .collect();
            let mut stored = doc! {"blob": blob, "x": 0};
            let mut body = json!({"x": 1});
            for _ in 0..n {
                stored = doc! {"0": stored};
                body = json!({ "0": body });
            }
            let mut doc = doc! {"a": stored};
            let body = json!({ "a": body });
            measured(&mut || {
                let applied =
                    patch::apply_document(&mut doc, body.clone(), &Options::merge_patch()).unwrap();
                assert_eq!(applied.changes.len(), 1);
            });
        }
        other => panic!("unknown workload {other}"),
    }
}

/// Runs the workload named by `CONJUNGO_WORKLOAD=name:n` (the child process's job); does
/// nothing otherwise.
#[test]
fn workload() {
    if let Ok(spec) = std::env::var("CONJUNGO_WORKLOAD") {
        let (name, n) = spec.split_once(':').unwrap();
        run(name, n.parse().unwrap());
    }
}

/// Instructions counted inside `measured` for `name` at size `n`.
fn instructions(name: &str, n: usize) -> u64 {
    let out = std::env::temp_dir().join(format!(
        "conjungo-callgrind-{}-{name}-{n}",
        std::process::id()
    ));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--collect-atstart=no")
        .arg("--toggle-collect=*measured*")
        .arg(std::env::current_exe().unwrap())
        .args(["workload", "--exact", "--test-threads=1"])
        .env("CONJUNGO_WORKLOAD", format!("{name}:{n}"))
        .output()
        .expect("valgrind runs");
    let _ = std::fs::remove_file(&out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{name}:{n} failed:\n{stderr}");
    stderr
        .lines()
        .find_map(|l| l.split("Collected : ").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in:\n{stderr}"))
}

#[test]
fn work_grows_linearly_with_hostile_input() {
    if Command::new("valgrind").arg("--version").output().is_err() {
        eprintln!("skipped: valgrind is not installed, no instructions were counted");
        return;
    }
    // (workload, n, the largest growth from n to 4n)
    let cases = [
        ("nulls", 1_000, 4.5),
        ("deletions", 1_000, 4.5),
        // Keys sorted by the one pass: n log n.
        ("nulls_bytes", 1_000, 5.0),
        ("deletions_bytes", 1_000, 5.0),
        ("deletions_refused_bytes", 1_000, 5.0),
        ("union", 1_000, 4.5),
        ("by_key", 1_000, 4.5),
        ("struct_keys", 1_000, 5.0),
        ("json_side_by_side", 1_000, 4.5),
        ("json_lookups", 1_000, 5.0),
        // Undone member by member, each looked up: n log n.
        ("json_done", 1_000, 4.5),
        ("json_undone", 1_000, 5.0),
        // Sorted body members (serde_json's map) and sorted paths in the update: n log n.
        ("keyed_updates", 1_000, 5.0),
        ("keyed_removals", 1_000, 5.0),
        ("set_removals", 1_000, 4.5),
        // A sorted map: n log n.
        ("labels_many", 1_000, 5.0),
        // The depth grows 4× (20 to 80 levels), the subtree set whole does not.
        ("unnamed_keys_deep", 20, 1.5),
        // The stored size grows 4×, the patch does not: the work must hardly grow.
        ("meta_one_key", 1_000, 1.5),
        ("append_one", 1_000, 1.5),
        // The body read into a sorted map: n log n.
        ("flatten_error_located", 1_000, 5.0),
        ("flatten_error_atlas", 1_000, 5.0),
    ];
    let mut report = Vec::new();
    let mut at_4n = HashMap::new();
    for (name, n, bound) in cases {
        let small = instructions(name, n);
        let large = instructions(name, 4 * n);
        at_4n.insert(name, large);
        let growth = large as f64 / small as f64;
        report.push(format!(
            "{name}: {small} -> {large} instructions, {growth:.2}x"
        ));
        assert!(
            growth <= bound,
            "{name}: {small} instructions at n={n}, {large} at 4n: {growth:.2}x > {bound}x"
        );
    }
    eprintln!("{}", report.join("\n"));
    // Undoing a one-pass JSON merge costs a small multiple of the merge itself.
    let undone = at_4n["json_undone"] as f64 / at_4n["json_done"] as f64;
    assert!(
        undone <= 3.0,
        "a merge undone costs {undone:.2}x a merge done"
    );
    // Locating an error inside a flattened struct reads halves of the body again: a small
    // multiple of the error path where serde tracks the place itself.
    let located = at_4n["flatten_error_located"] as f64 / at_4n["flatten_error_atlas"] as f64;
    assert!(
        located <= 2.0,
        "locating costs {located:.2}x the plain error path"
    );
}
