//! Diff, the inverse of merge: `json::diff` (RFC 7396 merge patches), `patch::diff` (typed
//! patches, also after a JSON round trip of the patch) and `patch::diff_document` (MongoDB
//! updates of schemaless documents). Each is checked by applying what it produces and
//! comparing with the new value by equality; updates are replayed with the suite's MongoDB
//! applier (`src/mongo.rs`).

use std::collections::BTreeMap;

use bson::{Bson, Document};
use conjungo::patch::{self, ChangeKind};
use conjungo::{Merge, Options};
use conjungo_suite::mongo::apply_applied;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(|n| json!(n)),
        "[xy]{0,2}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// What a merge patch can reach from `old` towards `new`: `new` without the `null`
/// members of objects that `old` does not have at the same place (a merge patch deletes
/// where it says `null`; an object it adds loses its `null` members).
fn reachable(old: Option<&Value>, new: &Value) -> Value {
    match new {
        Value::Object(members) => {
            let old = old.and_then(Value::as_object);
            Value::Object(
                members
                    .iter()
                    .filter_map(|(k, v)| {
                        let was = old.and_then(|o| o.get(k));
                        match v {
                            Value::Null if was == Some(&Value::Null) => {
                                Some((k.clone(), Value::Null))
                            }
                            Value::Null => None,
                            v => Some((k.clone(), reachable(was, v))),
                        }
                    })
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// Whether `new` has `null` members `old` lacks (where the diff cannot reach `new`).
fn has_new_nulls(old: Option<&Value>, new: &Value) -> bool {
    reachable(old, new) != *new
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// `merge_patch(old, diff(old, new))` is `new` (or, where `new` has `null` members
    /// no merge patch can write, the closest value), and `diff(x, x)` is `{}`.
    #[test]
    fn json_diff_is_the_inverse_of_merge_patch(old in value(), new in value()) {
        let patch = conjungo::json::diff(&old, &new);
        let mut merged = old.clone();
        conjungo::json::merge_patch(&mut merged, patch.clone()).unwrap();
        prop_assert_eq!(&merged, &reachable(Some(&old), &new), "patch {}", patch);
        if !has_new_nulls(Some(&old), &new) {
            prop_assert_eq!(&merged, &new);
        }
        // `{}` changes nothing; a non-object root's diff is the value itself.
        let unchanged = if new.is_object() { json!({}) } else { new.clone() };
        prop_assert_eq!(conjungo::json::diff(&new, &new), unchanged);
    }
}

#[test]
fn json_diff_examples() {
    let old = json!({"a": 1, "b": {"c": [1, null], "d": null}, "e": "x"});
    let new = json!({"a": 1, "b": {"c": [1, null], "d": null, "f": {"g": 1}}, "h": [null]});
    let patch = conjungo::json::diff(&old, &new);
    assert_eq!(patch, json!({"b": {"f": {"g": 1}}, "e": null, "h": [null]}));
    // The one change RFC 7396 cannot write: a null member `old` does not have.
    let patch = conjungo::json::diff(&json!({"a": 1}), &json!({"a": null}));
    assert_eq!(patch, json!({"a": null}));
    let mut merged = json!({"a": 1});
    conjungo::json::merge_patch(&mut merged, patch).unwrap();
    assert_eq!(merged, json!({}));
    // A non-object root is replaced.
    assert_eq!(
        conjungo::json::diff(&json!({"a": 1}), &json!([1])),
        json!([1])
    );
}

fn bson_leaf() -> impl Strategy<Value = Bson> {
    prop_oneof![
        Just(Bson::Null),
        any::<bool>().prop_map(Bson::Boolean),
        (-3i32..3).prop_map(Bson::Int32),
        (-3i64..3).prop_map(Bson::Int64),
        "[xy]{0,2}".prop_map(Bson::String),
    ]
}

fn bson_value() -> impl Strategy<Value = Bson> {
    bson_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Bson::Array),
            prop::collection::btree_map(prop_oneof!["[a-d]", Just("7".to_string())], inner, 0..4)
                .prop_map(|m| Bson::Document(m.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Document> {
    prop::collection::btree_map("[a-e]", bson_value(), 0..5).prop_map(|m| {
        let mut doc = Document::new();
        doc.insert("_id", 1);
        doc.extend(m);
        doc
    })
}

/// `new` grown from `old`: arrays sometimes only extended at their end (a `$push`).
fn pair() -> impl Strategy<Value = (Document, Document)> {
    (document(), document(), any::<bool>()).prop_map(|(old, new, grow)| {
        if !grow {
            return (old, new);
        }
        let mut grown = old.clone();
        for (k, v) in grown.iter_mut() {
            if let Bson::Array(items) = v {
                items.push(Bson::String(format!("{k}+")));
            }
        }
        (old, grown)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Replaying `diff_document(old, new).update` on `old` gives `new`; `diff(x, x)` is
    /// empty; every change names a place of the update.
    #[test]
    fn diff_document_replays_to_the_new_document((old, new) in pair()) {
        let applied = patch::diff_document(&old, &new);
        let replayed = apply_applied(&old, &applied).unwrap_or_else(|e| panic!("{e}: {}", applied.update));
        prop_assert_eq!(&replayed, &new, "update {}", applied.update);
        prop_assert_eq!(applied.update.is_empty(), applied.changes.is_empty());
        prop_assert!(patch::diff_document(&new, &new).is_empty());
    }
}

#[test]
fn diff_document_pushes_what_grew_and_sets_what_cannot_be_addressed() {
    let old = bson::doc! {"_id": 1, "log": [1, 2], "m": {"7": 1, "a": 1}, "gone": true};
    let new = bson::doc! {"_id": 1, "log": [1, 2, 3], "m": {"7": 2, "a": 1}};
    let applied = patch::diff_document(&old, &new);
    assert_eq!(
        applied.update,
        bson::doc! {
            "$set": {"m": {"7": 2, "a": 1}},
            "$unset": {"gone": ""},
            "$push": {"log": {"$each": [3]}},
        }
    );
    let kinds: Vec<(String, ChangeKind)> = applied
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("/gone".to_string(), ChangeKind::Removed),
            ("/log".to_string(), ChangeKind::Appended),
            ("/m".to_string(), ChangeKind::Replaced),
        ]
    );
}

// The typed model: nested structs, `Option`s, a map of structs, a dynamic value, a set, a
// keyed list and an append-only log.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
struct Project {
    #[merge(skip)]
    #[serde(rename = "_id")]
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    owner: Person,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reviewer: Option<Person>,
    members: BTreeMap<String, Person>,
    settings: Value,
    #[merge(union)]
    labels: Vec<String>,
    #[merge(by_key = id)]
    tasks: Vec<Task>,
    #[merge(append)]
    log: Vec<String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Person {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Task {
    id: String,
    title: String,
    done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due: Option<String>,
}

fn person() -> impl Strategy<Value = Person> {
    (
        prop::sample::select(vec!["ann", "bob"]),
        prop::option::of(prop::sample::select(vec!["a@x", "b@x"])),
    )
        .prop_map(|(n, e)| Person {
            name: n.into(),
            email: e.map(Into::into),
        })
}

fn task(id: String) -> impl Strategy<Value = Task> {
    (
        prop::sample::select(vec!["t1", "t2"]),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["mon", "tue"])),
    )
        .prop_map(move |(t, d, due)| Task {
            id: id.clone(),
            title: t.into(),
            done: d,
            due: due.map(Into::into),
        })
}

/// A JSON object without `null` members in objects (what a merge patch can always reach;
/// a body cannot set a required field to `null`).
fn settings() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-d]", value(), 0..4)
        .prop_map(|m| reachable(None, &Value::Object(m.into_iter().collect())))
}

fn project() -> impl Strategy<Value = Project> {
    (
        prop::option::of(prop::sample::select(vec!["d1", "d2"])),
        person(),
        prop::option::of(person()),
        prop::collection::btree_map(prop::sample::select(vec!["m1", "m2", "m3"]), person(), 0..3),
        settings(),
        prop::sample::subsequence(vec!["l1", "l2", "l3"], 0..=3),
        prop::sample::subsequence(vec!["a", "b", "c"], 0..=3).prop_flat_map(|ids| {
            ids.into_iter()
                .map(|id| task(id.to_owned()))
                .collect::<Vec<_>>()
        }),
        prop::collection::vec("[pq]", 0..3),
    )
        .prop_map(
            |(description, owner, reviewer, members, settings, labels, tasks, log)| Project {
                id: "p".into(),
                name: "n".into(),
                description: description.map(Into::into),
                owner,
                reviewer,
                members: members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                settings,
                labels: labels.into_iter().map(Into::into).collect(),
                tasks,
                log,
            },
        )
}

/// A new version of `old` as an application would make one: any field changed, set
/// members and keyed items removed anywhere and added at the end, items changed in
/// place, log entries appended.
fn edit(old: Project) -> impl Strategy<Value = Project> {
    (
        project(),
        prop::collection::vec(any::<bool>(), 8),
        prop::sample::subsequence(vec!["l4", "l5"], 0..=2),
        prop::collection::vec("[rs]", 0..2),
    )
        .prop_map(move |(other, flags, more_labels, more_log)| {
            let mut new = old.clone();
            if flags[0] {
                new.description = other.description.clone();
            }
            if flags[1] {
                new.owner = other.owner.clone();
            }
            if flags[2] {
                new.reviewer = other.reviewer.clone();
            }
            if flags[3] {
                new.members = other.members.clone();
            }
            if flags[4] {
                new.settings = other.settings.clone();
            }
            if flags[5] {
                new.labels.retain(|l| !other.labels.contains(l));
                new.labels.extend(more_labels.into_iter().map(String::from));
            }
            if flags[6] {
                // Keep the tasks `other` also has (changed as there), add the new ones.
                let mut tasks: Vec<Task> = new
                    .tasks
                    .iter()
                    .filter_map(|t| other.tasks.iter().find(|o| o.id == t.id).cloned())
                    .collect();
                for t in &other.tasks {
                    if !tasks.iter().any(|k| k.id == t.id) {
                        tasks.push(t.clone());
                    }
                }
                new.tasks = tasks;
            }
            if flags[7] {
                new.log.extend(more_log);
            }
            new
        })
}

fn projects() -> impl Strategy<Value = (Project, Project)> {
    project().prop_flat_map(|old| (Just(old.clone()), edit(old)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// `apply(old, diff(old, new))` gives `new`, also after the diff went through JSON and
    /// `patch::parse`; the update replayed on `old`'s document gives `new`'s; `diff(x, x)`
    /// is empty.
    #[test]
    fn typed_diff_is_the_inverse_of_apply((old, new) in projects()) {
        let p = patch::diff(&old, &new);
        let body = serde_json::to_vec(&p).unwrap();
        let parsed: ProjectPatch = patch::parse(&body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
        // The same patch, up to the order of a keyed list's members (a body's object is
        // read as a map: new items are appended in key order).
        prop_assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            serde_json::to_value(&p).unwrap()
        );

        let mut merged = old.clone();
        let applied = patch::apply(&mut merged, parsed, &Options::merge_patch()).unwrap();
        prop_assert_eq!(&merged, &new, "body {}", String::from_utf8_lossy(&body));
        let stored = bson::serialize_to_document(&old).unwrap();
        let replayed = apply_applied(&stored, &applied).unwrap();
        prop_assert_eq!(replayed, bson::serialize_to_document(&new).unwrap());
        prop_assert_eq!(applied.is_empty(), old == new);
        prop_assert_eq!(patch::diff(&new, &new), ProjectPatch::default());
    }
}

#[test]
fn a_typed_diff_names_only_what_changed() {
    let old = Project {
        id: "p".into(),
        name: "n".into(),
        description: Some("d".into()),
        owner: Person {
            name: "ann".into(),
            email: None,
        },
        reviewer: None,
        members: BTreeMap::from([(
            "m1".into(),
            Person {
                name: "bob".into(),
                email: Some("b@x".into()),
            },
        )]),
        settings: json!({"theme": {"dark": true, "size": 1}}),
        labels: vec!["l1".into(), "l2".into()],
        tasks: vec![
            Task {
                id: "a".into(),
                title: "t1".into(),
                done: false,
                due: Some("mon".into()),
            },
            Task {
                id: "b".into(),
                title: "t2".into(),
                done: false,
                due: None,
            },
        ],
        log: vec!["p".into()],
    };
    let mut new = old.clone();
    new.description = None;
    new.owner.email = Some("a@x".into());
    new.members.get_mut("m1").unwrap().email = None;
    new.settings["theme"]["size"] = json!(2);
    new.labels = vec!["l1".into(), "l3".into()];
    new.tasks[0].done = true;
    new.tasks[0].due = None;
    new.tasks.remove(1);
    new.log.push("q".into());
    let body = serde_json::to_value(patch::diff(&old, &new)).unwrap();
    assert_eq!(
        body,
        json!({
            "description": null,
            "owner": {"email": "a@x"},
            "members": {"m1": {"email": null}},
            "settings": {"theme": {"size": 2}},
            "labels": {"add": ["l3"], "remove": ["l2"]},
            "tasks": {"a": {"done": true, "due": null}, "b": null},
            "log": ["q"],
        })
    );
}

/// The audit view: each change's value before and after, read from the documents.
#[test]
fn changes_give_their_values_before_and_after_on_request() {
    let old = Project {
        id: "p".into(),
        name: "n".into(),
        description: Some("d".into()),
        owner: Person {
            name: "ann".into(),
            email: None,
        },
        reviewer: None,
        members: BTreeMap::new(),
        settings: json!({}),
        labels: vec![],
        tasks: vec![Task {
            id: "a".into(),
            title: "t1".into(),
            done: false,
            due: None,
        }],
        log: vec!["p".into()],
    };
    let mut new = old.clone();
    let body = br#"{"description": null, "owner": {"email": "a@x"}, "tasks": {"a": {"done": true}}, "log": ["q"]}"#;
    let applied = patch::apply(
        &mut new,
        patch::parse(body).unwrap(),
        &Options::merge_patch(),
    )
    .unwrap();
    let before = bson::serialize_to_document(&old).unwrap();
    let after = bson::serialize_to_document(&new).unwrap();
    let audit: Vec<(String, Option<Bson>, Option<Bson>)> = applied
        .changes
        .iter()
        .map(|c| {
            let (o, n) = c.values(&before, &after);
            (c.path.clone(), o.cloned(), n.cloned())
        })
        .collect();
    // In the order of the fields' names (the order of their paths).
    assert_eq!(
        audit,
        [
            ("/description".into(), Some(Bson::from("d")), None),
            (
                "/log".into(),
                Some(bson::bson!(["p"])),
                Some(bson::bson!(["p", "q"]))
            ),
            ("/owner/email".into(), None, Some(Bson::from("a@x"))),
            (
                "/tasks/0/done".into(),
                Some(Bson::from(false)),
                Some(Bson::from(true))
            ),
        ]
    );
}
