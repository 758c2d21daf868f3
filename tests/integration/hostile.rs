//! The reproducers of the adversarial review (issue 16): each hole, as a test. Growth of
//! the cost is checked in `tests/test_complexity.rs` (counted instructions).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use bson::{Bson, Document, doc};
use conjungo::patch::{self, Limits};
use conjungo::{Error, ErrorKind, Kind, Merge, Options};
use conjungo_suite::catalog::{ServicePatch, svc};
use conjungo_suite::mongo::apply_applied;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Schemaless PATCH, replayed: the update turns the stored document into the merged one.
fn schemaless(stored: &Document, body: Value, options: &Options) -> Result<Document, Error> {
    let mut doc = stored.clone();
    let result = patch::apply_document(&mut doc, body, options);
    match &result {
        Ok(applied) => {
            let replayed = apply_applied(stored, applied).unwrap();
            assert_eq!(replayed, doc, "update {}", applied.update);
        }
        Err(_) => assert_eq!(doc, *stored, "a failed patch changed the document"),
    }
    result.map(|_| doc)
}

// 1. Null stripping and key deletion in bson documents (the complexity is measured in
//    tests/test_complexity.rs).

#[test]
fn many_nulls_and_deletions_are_right() {
    let n = 20_000;
    let mut body = serde_json::Map::new();
    for i in 0..n {
        body.insert(
            format!("k{i}"),
            if i % 2 == 0 { Value::Null } else { json!(i) },
        );
    }
    let merged = schemaless(
        &doc! {"a": 1},
        json!({"new": body}),
        &Options::merge_patch(),
    )
    .unwrap();
    let new = merged.get_document("new").unwrap();
    assert_eq!(new.len(), n / 2);
    assert!(new.iter().all(|(_, v)| !matches!(v, Bson::Null)));

    let stored: Document = (0..n)
        .map(|i| (format!("k{i}"), Bson::Int32(i as i32)))
        .collect();
    let deletions: serde_json::Map<String, Value> = (0..n)
        .step_by(3)
        .map(|i| (format!("k{i}"), Value::Null))
        .collect();
    let merged = schemaless(&stored, Value::Object(deletions), &Options::merge_patch()).unwrap();
    assert_eq!(merged.len(), n - n.div_ceil(3));
    // The survivors keep their order.
    let keys: Vec<&String> = merged.keys().take(3).collect();
    assert_eq!(keys, ["k1", "k2", "k4"]);
}

// 2. Deep changes cannot ask for an update larger than MongoDB takes.

#[test]
fn deep_long_keys_cannot_amplify_the_update() {
    let key = "k".repeat(1024);
    let mut stored = Document::new();
    let mut leaves = serde_json::Map::new();
    for i in 0..8000 {
        leaves.insert(format!("x{i}"), json!(1));
    }
    let mut body = Value::Object(leaves);
    let mut nested = Bson::Int32(0);
    for _ in 0..50 {
        body = json!({ key.clone(): body });
        nested = Bson::Document(doc! { key.clone(): nested });
    }
    if let Bson::Document(d) = nested {
        stored = d;
    }
    let size = serde_json::to_vec(&body).unwrap().len();
    assert!(size < 200_000, "{size}");
    let err = schemaless(&stored, body, &Options::default()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::UpdateTooLarge {
            limit: 16 * 1024 * 1024
        }
    );
    // The same body with a limit it fits in works.
    let small = json!({ key.clone(): { key.clone(): {"a": 1} } });
    assert!(schemaless(&stored, small, &Options::default()).is_ok());
}

// 3. Body-sized `union` and `by_key` lists (growth in tests/test_complexity.rs).

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Item {
    id: String,
    name: String,
    title: String,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Board {
    #[merge(union)]
    roles: Vec<String>,
    #[merge(by_key = id)]
    items: Vec<Item>,
}

fn item(id: &str, name: &str, title: &str) -> Item {
    Item {
        id: id.into(),
        name: name.into(),
        title: title.into(),
    }
}

#[test]
fn large_union_and_by_key_lists_are_right() {
    let n = 20_000;
    let mut board = Board {
        roles: (0..n).map(|i| format!("r{i}")).collect(),
        items: (0..n).map(|i| item(&format!("i{i}"), "n", "t")).collect(),
    };
    board
        .merge(Board {
            roles: (n / 2..n + n / 2).map(|i| format!("r{i}")).collect(),
            items: (n / 2..n + n / 2)
                .map(|i| item(&format!("i{i}"), "m", "u"))
                .collect(),
        })
        .unwrap();
    assert_eq!(board.roles.len(), n + n / 2);
    assert_eq!(board.items.len(), n + n / 2);
    assert_eq!(board.items[n / 2 - 1].name, "n");
    assert_eq!(board.items[n / 2].name, "m");
    assert_eq!(board.items[n + 1].id, format!("i{}", n + 1));
}

// 5. `by_key` with custom functions: results land where they were computed; duplicate
//    keys are refused.

fn concat() -> Options {
    Options::default().on_type::<String>(|t, s, _| {
        t.push_str(&s);
        Ok(())
    })
}

#[test]
fn by_key_custom_results_land_on_their_own_fields() {
    let mut board = Board {
        roles: vec![],
        items: vec![item("a", "x", "y"), item("b", "p", "q")],
    };
    board
        .merge_with(
            Board {
                roles: vec![],
                items: vec![
                    item("b", "2", "3"),
                    item("a", "0", "1"),
                    item("c", "4", "5"),
                ],
            },
            &concat(),
        )
        .unwrap();
    assert_eq!(
        board.items,
        [
            item("aa", "x0", "y1"),
            item("bb", "p2", "q3"),
            item("c", "4", "5")
        ]
    );
}

/// The same through a PATCH body (whole items of a keyed list): new items go in after the
/// merges, so that every custom result lands on its own field, and the update replays.
#[test]
fn by_key_custom_results_land_on_their_own_fields_in_a_patch() {
    let mut board = Board {
        roles: vec![],
        items: vec![item("a", "x", "y"), item("b", "p", "q")],
    };
    let stored = bson::serialize_to_document(&board).unwrap();
    let p: BoardPatch = patch::parse(
        br#"{"items": [{"id": "c", "name": "4", "title": "5"}, {"id": "b", "name": "2", "title": "3"}, {"id": "a", "name": "0", "title": "1"}]}"#,
    )
    .unwrap();
    let applied = patch::apply(&mut board, p, &concat()).unwrap();
    assert_eq!(
        board.items,
        [
            item("aa", "x0", "y1"),
            item("bb", "p2", "q3"),
            item("c", "4", "5")
        ]
    );
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&board).unwrap()
    );
}

#[test]
fn duplicate_keys_in_one_source_are_refused_and_change_nothing() {
    let before = Board {
        roles: vec![],
        items: vec![item("a", "x", "y")],
    };
    let mut board = before.clone();
    let err = board
        .merge_with(
            Board {
                roles: vec![],
                items: vec![item("a", "1", "2"), item("a", "3", "4")],
            },
            &concat(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::DuplicateKey);
    assert_eq!(err.path(), "/items/1");
    assert_eq!(board, before);
    // From a PATCH body too.
    let p: BoardPatch = patch::parse(
        br#"{"items": [{"id": "a", "name": "1", "title": "2"}, {"id": "a", "name": "3", "title": "4"}]}"#,
    )
    .unwrap();
    let err = patch::apply(&mut board, p, &Options::default()).unwrap_err();
    assert_eq!(
        (err.kind(), err.path()),
        (&ErrorKind::DuplicateKey, "/items/1")
    );
    assert_eq!(board, before);
}

// 6. A dynamic value reached only through a self-referencing field: checked, and bounded.

#[derive(Merge, Debug, Clone, PartialEq)]
struct Tree {
    name: String,
    kids: BTreeMap<String, Entry<Tree>>,
}

#[derive(Merge, Debug, Clone, PartialEq)]
struct Entry<T> {
    node: T,
    payload: Value,
}

fn leaf(name: &str, payload: Value) -> Tree {
    Tree {
        name: name.into(),
        kids: BTreeMap::new(),
    }
    .with_kid("k", payload)
}

impl Tree {
    fn with_kid(mut self, key: &str, payload: Value) -> Self {
        self.kids.insert(
            key.into(),
            Entry {
                node: Tree {
                    name: "kid".into(),
                    kids: BTreeMap::new(),
                },
                payload,
            },
        );
        self
    }
}

#[test]
fn self_referencing_fields_are_checked_before_anything_changes() {
    let mut tree = leaf("a", json!({"n": 1}));
    let before = tree.clone();
    let err = tree.merge(leaf("b", json!({"n": "text"}))).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TypeMismatch {
            target: Kind::Number,
            source: Kind::String
        }
    );
    assert_eq!(err.path(), "/kids/k/payload/n");
    assert_eq!(tree, before, "name changed before the error");
}

#[test]
fn deep_self_referencing_values_hit_the_depth_limit_not_the_stack() {
    // Build, merge and drop on a thread with room for the recursive drop of the values
    // themselves; the merge must stop at the limit on its own.
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(|| {
            let deep = |n: usize| {
                let mut t = Tree {
                    name: "bottom".into(),
                    kids: BTreeMap::new(),
                };
                for _ in 0..n {
                    let mut parent = Tree {
                        name: "level".into(),
                        kids: BTreeMap::new(),
                    };
                    parent.kids.insert(
                        "k".into(),
                        Entry {
                            node: t,
                            payload: Value::Null,
                        },
                    );
                    t = parent;
                }
                t
            };
            let mut target = deep(30_000);
            let err = target.merge(deep(30_000)).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::DepthLimit { limit: 128 });
            let mut shallow = deep(50);
            shallow.merge(deep(50)).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

// 7. Changes made by custom functions reach the update.

#[test]
fn custom_functions_on_dynamic_types_reach_the_update() {
    let stored = doc! {"_id": 1, "a": {"x": 1}, "b": 2};
    let add_marker = Options::merge_patch().on_type::<Bson>(|t, s, o| {
        // Merge as usual, then mark what was merged.
        let options = Options::merge_patch().max_depth(o.max_depth);
        t.merge_with(s, &options)?;
        if let Bson::Document(d) = t {
            d.insert("touched", true);
        }
        Ok(())
    });
    let merged = schemaless(&stored, json!({"a": {"y": 2}}), &add_marker).unwrap();
    assert_eq!(
        merged,
        doc! {"_id": 1, "a": {"x": 1, "y": 2, "touched": true}, "b": 2}
    );

    // At the root: every key is written, removed keys are unset, `_id` is left alone.
    let replace_root = Options::merge_patch().on_type::<Document>(|t, _s, _| {
        *t = doc! {"_id": 1, "c": 3};
        Ok(())
    });
    let merged = schemaless(&stored, json!({"a": 1}), &replace_root).unwrap();
    assert_eq!(merged, doc! {"_id": 1, "c": 3});

    let value_fn = Options::merge_patch().on_type::<Value>(|t, s, _| {
        *t = json!({"from": "fn", "was": s});
        Ok(())
    });
    let mut service = svc(1);
    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct WithMeta {
        name: String,
        meta: Value,
    }
    let mut w = WithMeta {
        name: "a".into(),
        meta: json!({"k": 1}),
    };
    let p: WithMetaPatch = patch::parse(br#"{"meta": {"k": 2}}"#).unwrap();
    let stored = bson::serialize_to_document(&w).unwrap();
    let applied = patch::apply(&mut w, p, &value_fn).unwrap();
    assert_eq!(w.meta, json!({"from": "fn", "was": {"k": 2}}));
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&w).unwrap()
    );

    // `on_type::<i64>` is used by patches as by merges.
    let add = Options::default().on_type::<i64>(|t, s, _| {
        *t += s;
        Ok(())
    });
    let p: ServicePatch = patch::parse(br#"{"tier": 10}"#).unwrap();
    let applied = patch::apply(&mut service, p, &add).unwrap();
    assert_eq!(service.tier, 11);
    assert_eq!(applied.update, doc! {"$set": {"tier": 11_i64}});
}

// 8. Roots that are maps or dynamic values.

#[test]
fn map_and_dynamic_roots_refuse_keys_an_update_cannot_address() {
    let mut map: HashMap<String, i64> = HashMap::from([("a".into(), 1)]);
    let before = map.clone();
    let p: HashMap<String, conjungo::Patch<i64>> = patch::parse(br#"{"": 2}"#).unwrap();
    let err = patch::apply(&mut map, p, &Options::default()).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::ForbiddenKey { .. }),
        "{err:?}"
    );
    assert_eq!(err.path(), "/");
    assert_eq!(map, before);

    let mut doc = doc! {"_id": 1, "a": 1};
    let err = patch::apply(&mut doc, doc! {"_id": 2}, &Options::default()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ProtectedField {
            field: "_id".into()
        }
    );
    assert_eq!(doc, doc! {"_id": 1, "a": 1});

    let mut value = json!({"a": 1});
    let err = patch::apply(&mut value, json!(5), &Options::merge_patch()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Malformed { .. }), "{err:?}");
    // A numeric top-level key is a field of the root document.
    let stored = bson::serialize_to_document(&value).unwrap();
    let applied = patch::apply(&mut value, json!({"7": 1}), &Options::merge_patch()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"7": 1_i64}});
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&value).unwrap()
    );
}

// 9. A shared pointer is no copy.

#[derive(Merge, Debug, Clone)]
struct Counter {
    hits: Rc<RefCell<i64>>,
    meta: Value,
}

#[test]
fn shared_pointers_are_not_changed_by_a_failing_merge() {
    let options = Options::default().on_type::<Rc<RefCell<i64>>>(|t, s, _| {
        *t.borrow_mut() += *s.borrow();
        Ok(())
    });
    let hits = Rc::new(RefCell::new(1));
    let mut c = Counter {
        hits: hits.clone(),
        meta: json!({"n": 1}),
    };
    let err = c
        .merge_with(
            Counter {
                hits: Rc::new(RefCell::new(5)),
                meta: json!({"n": "x"}),
            },
            &options,
        )
        .unwrap_err();
    assert_eq!(err.path(), "/meta/n");
    assert_eq!(*hits.borrow(), 1);
}

// 10. Unknown fields inside nested types; `-0.0`.

#[test]
fn unknown_fields_in_nested_types_are_errors() {
    let err = patch::parse::<ServicePatch>(
        br#"{"endpoints": [{"name": "a", "url": "u", "port": 1, "admin": true}]}"#,
    )
    .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::UnknownField {
            field: "admin".into()
        }
    );
    assert_eq!(err.path(), "/endpoints/0/admin");
}

#[test]
fn negative_zero_is_a_change() {
    let stored = doc! {"x": 0.0, "y": {"z": 0.0}};
    let merged = schemaless(
        &stored,
        json!({"x": -0.0, "y": {"z": -0.0}}),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(merged.get_f64("x").unwrap().to_bits(), (-0.0f64).to_bits());

    #[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[merge(patch)]
    struct P {
        v: f64,
    }
    let mut p = P { v: 0.0 };
    let body: PPatch = patch::parse(br#"{"v": -0.0}"#).unwrap();
    let applied = patch::apply(&mut p, body, &Options::default()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"v": -0.0}});
    let Some(Bson::Document(set)) = applied.update.get("$set") else {
        panic!()
    };
    assert_eq!(set.get_f64("v").unwrap().to_bits(), (-0.0f64).to_bits());
}

// 11. Label keys with dots.

#[test]
fn keys_with_dots_set_their_parent() {
    let mut service = svc(1);
    let stored = bson::serialize_to_document(&service).unwrap();
    let p: ServicePatch =
        patch::parse(br#"{"labels": {"app.kubernetes.io/name": "api", "l0": null}}"#).unwrap();
    let applied = patch::apply(&mut service, p, &Options::merge_patch()).unwrap();
    let Some(Bson::Document(set)) = applied.update.get("$set") else {
        panic!("{}", applied.update)
    };
    assert_eq!(set.keys().collect::<Vec<_>>(), ["labels"]);
    assert_eq!(applied.update.len(), 1);
    assert_eq!(
        apply_applied(&stored, &applied).unwrap(),
        bson::serialize_to_document(&service).unwrap()
    );
    assert_eq!(service.labels["app.kubernetes.io/name"], "api");

    let merged = schemaless(
        &doc! {"labels": {"a": "1"}},
        json!({"labels": {"app.kubernetes.io/name": "api"}}),
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(
        merged,
        doc! {"labels": {"a": "1", "app.kubernetes.io/name": "api"}}
    );
    // Still refused: `$` keys anywhere, and dots at the top level.
    for body in [json!({"labels": {"$set": 1}}), json!({"a.b": 1})] {
        let err = schemaless(&doc! {}, body.clone(), &Options::merge_patch()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::ForbiddenKey { .. }),
            "{body}"
        );
    }
}

// 12. Numeric width.

#[test]
fn stored_numeric_types_are_kept() {
    let stored = doc! {"n": 5_i64, "d": 1.5, "i": 3_i32, "list": [1_i64, 2_i64]};
    let merged = schemaless(
        &stored,
        json!({"n": 6, "d": 2, "i": 4, "list": [7, 8], "new": 9}),
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(merged.get("n"), Some(&Bson::Int64(6)));
    assert_eq!(merged.get("d"), Some(&Bson::Double(2.0)));
    assert_eq!(merged.get("i"), Some(&Bson::Int32(4)));
    assert_eq!(
        merged.get("list"),
        Some(&Bson::Array(vec![Bson::Int64(7), Bson::Int64(8)]))
    );
    // A new field: Int32 when it fits, else Int64.
    assert_eq!(merged.get("new"), Some(&Bson::Int32(9)));
}

#[test]
fn limits_are_configurable() {
    let limits = Limits::default().max_update_bytes(10);
    let mut doc = doc! {};
    let err = patch::apply_document_with(
        &mut doc,
        json!({"abcdef": {"ghijkl": 1}}),
        &Options::default(),
        &limits,
    )
    .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::UpdateTooLarge { limit: 10 });
    assert_eq!(err.path(), "/abcdef/ghijkl");
}
