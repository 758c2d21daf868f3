//! `patch::apply_document`: the update document, applied with MongoDB's rules (an
//! independent applier in `src/mongo.rs`; no MongoDB server), gives exactly the
//! merged document; under RFC 7396 options the merge is RFC 7396; rejected bodies change
//! nothing.

use crate::common;

use bson::{Bson, Document, doc};
use common::json_eq;
use conjungo::patch::{self, ChangeKind, Limits};
use conjungo::{ErrorKind, Options, SeqStrategy};
use conjungo_suite::mongo::{apply_applied, same_order};
use proptest::prelude::*;
use serde_json::{Value, json};

fn check(stored: &Document, body: Value, options: &Options) -> Option<patch::Applied> {
    let mut merged = stored.clone();
    match patch::apply_document(&mut merged, body, options) {
        Ok(applied) => {
            let replayed = apply_applied(stored, &applied)
                .unwrap_or_else(|e| panic!("MongoDB would refuse {}: {e}", applied.update));
            assert!(
                same_order(
                    &Bson::Document(replayed.clone()),
                    &Bson::Document(merged.clone())
                ),
                "update {}\n on {stored}\n gives {replayed}\n merged {merged}",
                applied.update
            );
            assert_eq!(applied.update.is_empty(), applied.changes.is_empty());
            Some(applied)
        }
        Err(e) => {
            assert_eq!(&merged, stored, "error {e} changed the document");
            None
        }
    }
}

#[test]
fn set_unset_push_with_dotted_paths() {
    let stored = doc! {
        "_id": 1, "name": "api", "tags": ["a"],
        "labels": {"env": "dev", "team": "x", "deep": {"k": 1}},
    };
    let applied = check(
        &stored,
        json!({"name": "api2", "tags": ["b", "c"], "labels": {"team": null, "deep": {"k": 2, "n": 3}}, "new": {"x": 1}}),
        &Options::default().nulls(conjungo::NullStrategy::Delete),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {
            "$set": {"labels.deep.k": 2, "labels.deep.n": 3, "name": "api2", "new": {"x": 1}},
            "$unset": {"labels.team": ""},
            "$push": {"tags": {"$each": ["b", "c"]}},
        }
    );
    let kinds: Vec<(String, ChangeKind, usize)> = applied
        .changes
        .iter()
        .map(|c| (c.path.clone(), c.kind, c.count))
        .collect();
    assert_eq!(
        kinds,
        [
            ("/labels/deep/k".into(), ChangeKind::Replaced, 0),
            ("/labels/deep/n".into(), ChangeKind::Added, 0),
            ("/labels/team".into(), ChangeKind::Removed, 0),
            ("/name".into(), ChangeKind::Replaced, 0),
            ("/new".into(), ChangeKind::Added, 0),
            ("/tags".into(), ChangeKind::Appended, 2),
        ]
    );
}

#[test]
fn nothing_changed_means_an_empty_update() {
    let stored = doc! {"a": 1, "b": {"c": "x"}, "t": [1]};
    for options in [
        Options::merge_patch(),
        Options::default().seq(SeqStrategy::Replace),
    ] {
        let applied = check(
            &stored,
            json!({"a": 1, "b": {"c": "x"}, "t": [1], "gone": null}),
            &options,
        )
        .unwrap();
        assert!(applied.is_empty(), "{applied:?}");
        assert_eq!(applied.update, Document::new());
    }
    let applied = check(&stored, json!({}), &Options::default()).unwrap();
    assert!(applied.is_empty());
}

#[test]
fn type_change_and_replaced_or_reordered_arrays_are_whole_value_sets() {
    let stored = doc! {"a": {"b": 1}, "t": [1, 2], "p": [1]};
    let applied = check(
        &stored,
        json!({"a": "now a string", "t": [3]}),
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"a": "now a string", "t": [3]}}
    );
    let applied = check(
        &stored,
        json!({"p": [0]}),
        &Options::default().seq(SeqStrategy::Prepend),
    )
    .unwrap();
    assert_eq!(applied.update, doc! {"$set": {"p": [0, 1]}});
}

#[test]
fn keys_mongodb_cannot_address_fall_back_to_the_parent() {
    // Numeric and empty keys inside documents: set the nearest addressable parent whole.
    let stored = doc! {"m": {"0": "a", "x": 1, "": 2}, "other": 1};
    let applied = check(
        &stored,
        json!({"m": {"0": "b", "": 3}}),
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"m": {"0": "b", "x": 1, "": 3}}}
    );
    let applied = check(
        &stored,
        json!({"m": {"x": 2, "0": null}}),
        &Options::merge_patch(),
    )
    .unwrap();
    assert_eq!(applied.update, doc! {"$set": {"m": {"x": 2, "": 2}}});
    // A top-level numeric key is a field name of the root document: addressable.
    let applied = check(&stored, json!({"7": 1}), &Options::merge_patch()).unwrap();
    assert_eq!(applied.update, doc! {"$set": {"7": 1}});
}

#[test]
fn hostile_bodies_are_rejected_and_change_nothing() {
    let stored = doc! {"_id": 1, "a": {"b": 1}};
    let deep = (0..150).fold(json!(1), |v, _| json!({ "k": v }));
    let deep_path = "/k".repeat(100);
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"$set": {"a": 1}}), 422, "/$set"),
        (json!({"a": {"$inc": 1}}), 422, "/a/$inc"),
        (json!({"a.b": 2}), 422, "/a.b"),
        (json!({"a": {"x\u{0}y": 1}}), 422, "/a/x\u{0}y"),
        (json!({"": 1}), 422, "/"),
        (json!({"_id": 2}), 422, "/_id"),
        (json!({"a": [{"$where": "x"}]}), 422, "/a/0/$where"),
        (json!([1, 2]), 400, ""),
        (json!("x"), 400, ""),
        (deep, 422, &deep_path),
        (json!({"a": {"b": "type change"}}), 422, "/a/b"),
    ];
    for (body, status, path) in cases {
        let mut doc = stored.clone();
        let err = patch::apply_document(&mut doc, body.clone(), &Options::default()).unwrap_err();
        assert_eq!(err.http_status(), status, "{body}: {err}");
        assert_eq!(err.path(), path, "{body}");
        assert_eq!(doc, stored, "{body} changed the document");
    }
    // The depth limit names the place where the body went too deep.
    let mut doc = stored.clone();
    let deep = (0..101).fold(json!(1), |v, _| json!({ "k": v }));
    let err = patch::apply_document(&mut doc, deep, &Options::merge_patch()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::DepthLimit { limit: 100 });
    assert_eq!(err.path(), "/k".repeat(100));
    // Exactly 100 levels is fine.
    let ok = (0..99).fold(json!(1), |v, _| json!({ "k": v }));
    assert!(patch::apply_document(&mut doc, ok, &Options::merge_patch()).is_ok());
    // Protected fields are configurable.
    let mut doc = stored.clone();
    let limits = Limits::default().protect("owner");
    let err = patch::apply_document_with(
        &mut doc,
        json!({"owner": "me"}),
        &Options::merge_patch(),
        &limits,
    )
    .unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ProtectedField {
            field: "owner".into()
        }
    );
    assert_eq!(doc, stored);
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-d]".prop_map(String::from),
        1 => Just("0".to_string()),
        1 => Just("12".to_string()),
        1 => Just(String::new()),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(|n| json!(n)),
        (-3i64..3).prop_map(|n| json!(n as f64 + 0.5)),
        "[xy]{0,2}".prop_map(Value::String),
    ]
}

fn value(depth: u32) -> impl Strategy<Value = Value> {
    leaf().prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: an object whose top-level keys are addressable and not `_id`.
fn body() -> impl Strategy<Value = Value> {
    prop::collection::btree_map("[a-e]", value(3), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
}

fn stored() -> impl Strategy<Value = Document> {
    prop::collection::btree_map(
        prop_oneof!["[a-e]".prop_map(String::from), Just("7".to_string())],
        value(3),
        0..6,
    )
    .prop_map(|m| {
        let json = Value::Object(m.into_iter().collect());
        match conjungo::bson::from_json(json).unwrap() {
            Bson::Document(d) => d,
            _ => unreachable!(),
        }
    })
}

/// What the gate counts against `Limits::max_update_bytes`: the dotted path of every
/// object member outside arrays.
fn path_bytes(value: &Value, path: usize) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, child)| {
                let len = path + usize::from(path > 0) + key.len();
                len + path_bytes(child, len)
            })
            .sum(),
        _ => 0,
    }
}

fn any_options() -> impl Strategy<Value = Options> {
    prop_oneof![
        Just(Options::merge_patch()),
        Just(Options::default().mismatch(conjungo::Mismatch::Replace)),
        Just(Options::default()),
        Just(
            Options::default()
                .overwrite(false)
                .seq(SeqStrategy::Prepend)
        ),
        Just(
            Options::default()
                .nulls(conjungo::NullStrategy::Set)
                .mismatch(conjungo::Mismatch::Keep)
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// update applied by MongoDB's rules == merged document (with field order), for any
    /// stored document, body and options; an error changes nothing.
    #[test]
    fn update_reproduces_the_merge(stored in stored(), body in body(), options in any_options()) {
        check(&stored, body, &options);
    }

    /// Under RFC 7396 options the merged document is RFC 7396 applied to the same JSON, and
    /// applying the same patch again changes nothing (empty update).
    #[test]
    fn merge_patch_is_rfc7396_and_idempotent(stored in stored(), body in body()) {
        let applied = check(&stored, body.clone(), &Options::merge_patch()).expect("RFC 7396 cannot fail");
        let mut merged = stored.clone();
        patch::apply_document(&mut merged, body.clone(), &Options::merge_patch()).unwrap();

        let mut expected = conjungo::bson::to_json(Bson::Document(stored.clone()));
        conjungo::json::merge_patch(&mut expected, body.clone()).unwrap();
        let got = conjungo::bson::to_json(Bson::Document(merged.clone()));
        prop_assert!(json_eq(&got, &expected), "{} vs {}", got, expected);

        let again = check(&merged, body, &Options::merge_patch()).unwrap();
        prop_assert!(again.is_empty(), "second application changed {:?}", again.changes);
        let _ = applied;
    }

    /// With a limit on the update's size: a patch whose update fits is applied exactly as
    /// without the limit; one whose update would not fit is `UpdateTooLarge` and changes
    /// nothing. The limits are drawn around the real size, so the fast path (surely
    /// fits), the refusal (surely too large) and the measured copy are all taken.
    #[test]
    fn the_update_size_limit_is_exact_and_atomic(
        stored in stored(),
        body in body(),
        options in any_options(),
        slack in -40i64..40,
    ) {
        let mut unlimited = stored.clone();
        let Ok(free) = patch::apply_document(&mut unlimited, body.clone(), &options) else {
            return Ok(());
        };
        let size = free.update.to_vec().unwrap().len();
        let limit = usize::try_from(size as i64 + slack).unwrap_or(0);
        let mut limited = stored.clone();
        let body_copy = body.clone();
        let result = patch::apply_document_with(
            &mut limited,
            body,
            &options,
            &Limits::default().max_update_bytes(limit),
        );
        match result {
            Ok(applied) => {
                prop_assert!(size <= limit, "{size} bytes over the limit {limit}");
                prop_assert_eq!(applied, free);
                prop_assert_eq!(limited, unlimited);
            }
            Err(e) => {
                // The gate also refuses a body whose paths alone add up to more.
                let refused_by_gate = path_bytes(&body_copy, 0) > limit;
                prop_assert!(
                    size > limit || refused_by_gate,
                    "refused at {limit} an update of {size}: {e}"
                );
                prop_assert_eq!(e.kind(), &ErrorKind::UpdateTooLarge { limit });
                prop_assert_eq!(limited, stored);
            }
        }
    }
}

/// A JSON text built member by member, so that it can hold what a `Value` cannot: keys in
/// any order, duplicate keys, numbers beyond `i64`, and broken syntax.
#[derive(Debug, Clone)]
enum Raw {
    Text(&'static str),
    Array(Vec<Raw>),
    Object(Vec<(String, Raw)>),
}

impl Raw {
    fn write(&self, out: &mut String) {
        match self {
            Raw::Text(text) => out.push_str(text),
            Raw::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Raw::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).unwrap());
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn raw_key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-e]".prop_map(String::from),
        1 => Just("7".to_string()),
        1 => Just(String::new()),
        1 => Just("_id".to_string()),
        1 => Just("$set".to_string()),
        1 => Just("a.b".to_string()),
        1 => Just("n\0l".to_string()),
    ]
}

fn raw_value() -> impl Strategy<Value = Raw> {
    let leaf = prop_oneof![
        Just(Raw::Text("null")),
        Just(Raw::Text("true")),
        Just(Raw::Text("2")),
        Just(Raw::Text("-3")),
        Just(Raw::Text("0.5")),
        Just(Raw::Text("-0")),
        Just(Raw::Text("-0.0")),
        Just(Raw::Text("1e2")),
        Just(Raw::Text("5000000000")),
        Just(Raw::Text("18446744073709551615")),
        Just(Raw::Text("-9223372036854775809")),
        Just(Raw::Text("1e400")),
        Just(Raw::Text("\"x\"")),
        Just(Raw::Text("\"\\u00e9\"")),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Raw::Array),
            prop::collection::vec((raw_key(), inner), 0..5).prop_map(Raw::Object),
        ]
    })
}

/// A body's bytes: mostly an object, sometimes something else or broken.
fn raw_body() -> impl Strategy<Value = Vec<u8>> {
    let object = prop::collection::vec((raw_key(), raw_value()), 0..6).prop_map(Raw::Object);
    (
        prop_oneof![8 => object, 1 => raw_value()],
        prop_oneof![
            12 => Just(""),
            1 => Just(","),
            1 => Just("}"),
            1 => Just(" \n"),
            1 => Just("\u{0}"),
        ],
    )
        .prop_map(|(raw, tail)| {
            let mut text = String::new();
            raw.write(&mut text);
            text.push_str(tail);
            text.into_bytes()
        })
}

fn any_limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        4 => Just(Limits::default()),
        1 => (1usize..5).prop_map(|d| Limits::default().max_depth(d)),
        1 => (0usize..40).prop_map(|b| Limits::default().max_update_bytes(b)),
        1 => (0usize..60).prop_map(|b| Limits::default().max_body_bytes(b)),
        1 => Just(Limits::default().protect("a")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// `apply_document_slice` (one pass from the bytes) gives what parsing the bytes into a
    /// `Value` and `apply_document` give: the same update, changes and document, or the
    /// same error (syntax errors as `parse` reports them) with the target unchanged — for
    /// keys in any order, duplicate keys, refused keys, numbers bson cannot hold, depth
    /// and size limits, and broken bodies.
    #[test]
    fn one_pass_from_bytes_is_the_value_path(
        stored in stored(),
        bytes in raw_body(),
        options in any_options(),
        limits in any_limits(),
    ) {
        let mut fast = stored.clone();
        let got = patch::apply_document_slice_with(&mut fast, &bytes, &options, &limits);
        let mut slow = stored.clone();
        let expected = match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if bytes.len() <= limits.max_body_bytes => {
                patch::apply_document_with(&mut slow, value, &options, &limits)
            }
            _ => Err(patch::parse_with::<Value>(&bytes, &limits).unwrap_err()),
        };
        // By `Debug`: a `Document`'s `==` ignores field order, which must be the same too.
        prop_assert_eq!(
            format!("{got:?}"),
            format!("{expected:?}"),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        if got.is_err() {
            prop_assert_eq!(&fast, &stored);
        }
    }
}

/// The one pass refuses a body of deletions whose `$unset`s cannot fit before building it,
/// as the `Value` path does, and counts a duplicate key once (its last value).
#[test]
fn one_pass_counts_deletions_like_the_value_path() {
    let stored = doc! {"d": {"aa": 1, "bb": 2, "cc": 3}, "e": 1};
    let options = Options::merge_patch();
    // `$unset` of "d.aa", "d.bb", "d.cc": 3 elements of 1 + 4 + 1 + 5 bytes, 33 in all.
    let repeated = format!(r#"{{"d": {{{} "aa": 5}}}}"#, r#""aa": null,"#.repeat(10));
    for (body, limit, refused) in [
        (r#"{"d": {"cc": null, "aa": null, "bb": null}}"#, 32, true),
        (r#"{"d": {"cc": null, "aa": null, "bb": null}}"#, 200, false),
        // Ten `aa: null` overwritten by the last `aa`: no deletion at all (counted ten
        // times, 110 bytes would refuse it); the update `$set`s `d.aa` in 26 bytes.
        (repeated.as_str(), 50, false),
        (repeated.as_str(), 25, true),
    ] {
        let limits = Limits::default().max_update_bytes(limit);
        let mut fast = stored.clone();
        let got = patch::apply_document_slice_with(&mut fast, body.as_bytes(), &options, &limits);
        let mut slow = stored.clone();
        let value: Value = serde_json::from_str(body).unwrap();
        let expected = patch::apply_document_with(&mut slow, value, &options, &limits);
        assert_eq!(got, expected, "{body} {limit}");
        assert_eq!(fast, slow);
        assert_eq!(
            got.as_ref().err().map(|e| e.kind().clone()),
            refused.then_some(ErrorKind::UpdateTooLarge { limit }),
            "{body} {limit}"
        );
    }
}

/// The one pass on a stored document of real bson types: numbers keep the stored type
/// (`Int64`, `Double`, `Decimal128`, inside arrays too), dates and ids are replaced by what
/// the body says, new subtrees lose their nulls, keys come out in key order — equal to the
/// `Value` path, field order and bson types included (compared by `Debug`).
#[test]
fn one_pass_on_real_bson_types_is_the_value_path() {
    let stored = doc! {
        "_id": bson::oid::ObjectId::parse_str("507f1f77bcf86cd799439011").unwrap(),
        "count": 5_i64,
        "price": "12.50".parse::<bson::Decimal128>().unwrap(),
        "ratio": 0.5,
        "at": bson::DateTime::from_millis(1_700_000_000_000),
        "sizes": [1_i64, 2_i64],
        "meta": {"owner": "ann", "seen": 3_i64, "tags": {"a": 1}},
        "big": 9_007_199_254_740_993_i64,
    };
    let bodies = [
        r#"{"count": 6, "price": 13.25, "ratio": 2, "sizes": [7, 8, 9]}"#,
        r#"{"meta": {"seen": 4, "zeta": {"b": null, "a": 1}, "owner": null}, "new": {"y": null, "x": 2}}"#,
        r#"{"at": "2024-01-01", "big": 9007199254740995, "count": 1.5}"#,
        r#"{"z": 1, "a": 2, "m": {"k2": null, "k10": 3, "k1": [null, {"q": null}]}}"#,
        r#"{"count": 18446744073709551615}"#,
        r#"{"price": 1e400}"#,
        r#"{"meta": {"tags": {"$set": 1}}}"#,
    ];
    for options in [Options::merge_patch(), Options::default()] {
        for body in bodies {
            let mut fast = stored.clone();
            let got = patch::apply_document_slice(&mut fast, body.as_bytes(), &options);
            let mut slow = stored.clone();
            let expected = match serde_json::from_str::<Value>(body) {
                Ok(value) => patch::apply_document(&mut slow, value, &options),
                Err(_) => Err(patch::parse::<Value>(body.as_bytes()).unwrap_err()),
            };
            assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{body}");
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{body}");
        }
    }
    // And what that is, for the first body: the stored numeric types kept.
    let mut doc = stored.clone();
    patch::apply_document_slice(&mut doc, bodies[0].as_bytes(), &Options::merge_patch()).unwrap();
    assert_eq!(doc.get("count"), Some(&Bson::Int64(6)));
    assert_eq!(
        doc.get("price"),
        Some(&Bson::Decimal128("13.25".parse().unwrap()))
    );
    assert_eq!(doc.get("ratio"), Some(&Bson::Double(2.0)));
    assert_eq!(
        doc.get("sizes"),
        Some(&Bson::Array(vec![
            Bson::Int64(7),
            Bson::Int64(8),
            Bson::Int32(9)
        ]))
    );
}

/// The same RFC 7396 rules through the general path: a validator of documents (which
/// accepts everything) makes `apply_document` merge a copy, record its changes and compile
/// them, where the plain `merge_patch` options take the walk that writes the update as it
/// merges.
fn general_merge_patch() -> Options {
    Options::merge_patch().validate::<Document>(|_| Ok(()))
}

/// The bytes MongoDB would receive: member order counts (a `Document`'s `==` ignores it).
fn stored_bytes(doc: &Document) -> Vec<u8> {
    bson::serialize_to_vec(doc).unwrap()
}

/// `body` applied to `stored` by the walk and by the general path, from a `Value` and from
/// the bytes: the same merged document and update (as bytes: member order included) and
/// the same changes in the same order.
fn assert_walk_is_general(stored: &Document, body: &Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    for from_bytes in [false, true] {
        let (mut walked, mut general) = (stored.clone(), stored.clone());
        let (got, expected) = if from_bytes {
            (
                patch::apply_document_slice(&mut walked, &bytes, &Options::merge_patch()),
                patch::apply_document_slice(&mut general, &bytes, &general_merge_patch()),
            )
        } else {
            (
                patch::apply_document(&mut walked, body.clone(), &Options::merge_patch()),
                patch::apply_document(&mut general, body.clone(), &general_merge_patch()),
            )
        };
        let (got, expected) = (got.unwrap(), expected.unwrap());
        assert_eq!(stored_bytes(&walked), stored_bytes(&general), "{body}");
        assert_eq!(
            stored_bytes(&got.update),
            stored_bytes(&expected.update),
            "{body}"
        );
        assert_eq!(got, expected, "{body}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The one-walk RFC 7396 patch gives what the general path gives, from a `Value` and
    /// from the bytes: the same merged document and update (as bytes: member order
    /// included), the same changes in the same order — for keys an update cannot name
    /// below the top level ("0", "12", ""), removals, additions, type changes, arrays and
    /// unchanged values.
    #[test]
    fn the_rfc_walk_is_the_general_path(stored in stored(), body in body()) {
        assert_walk_is_general(&stored, &body);
    }
}

/// The walk on hand-picked cases, each compared with the general path as bytes: a key an
/// update cannot name two levels down (its parent set whole, the changes below it kept),
/// one at the first level below the top, removals and additions in one document, a value
/// equal to the stored one (no change), and real bson types kept by number conversion.
#[test]
fn the_rfc_walk_on_chosen_cases_is_the_general_path() {
    let stored = doc! {
        "_id": 1,
        "a": {"b": {"0": 1, "x": 2}, "c": 3, "d": {"e": 1}},
        "n": 5_i64,
        "s": "same",
        "arr": [1, {"k": null}],
        "gone": {"p": 1},
    };
    let bodies = [
        json!({"a": {"b": {"0": 2, "x": 3, "y": null}, "c": null, "d": {"e": 1}}}),
        json!({"a": {"12": {"q": 1}, "c": 4}, "n": 6, "s": "same"}),
        json!({"a": {"": 1}}),
        json!({"gone": null, "new": {"m": null, "k": [null]}, "arr": [1, {"k": null}]}),
        json!({"n": 5, "s": "same", "a": {"d": {"e": 1}}}),
        json!({"a": 1, "n": {"x": null}}),
    ];
    for body in &bodies {
        assert_walk_is_general(&stored, body);
    }
    // Real bson types: numbers keep the stored type, a date is replaced by what the body
    // says.
    let typed = doc! {
        "_id": bson::oid::ObjectId::parse_str("507f1f77bcf86cd799439011").unwrap(),
        "count": 5_i64,
        "price": "12.50".parse::<bson::Decimal128>().unwrap(),
        "ratio": 0.5,
        "at": bson::DateTime::from_millis(1_700_000_000_000),
        "meta": {"owner": "ann", "seen": 3_i64, "big": 9_007_199_254_740_993_i64},
    };
    for body in [
        json!({"count": 6, "price": 13.25, "ratio": 2, "meta": {"seen": 4, "big": 1, "owner": null}}),
        json!({"at": "2024-01-01", "meta": {"0": {"x": null, "y": 1}}}),
    ] {
        assert_walk_is_general(&typed, &body);
    }
    assert_eq!(
        {
            let mut d = typed.clone();
            patch::apply_document_slice(&mut d, br#"{"count": 6}"#, &Options::merge_patch())
                .unwrap()
                .update
        },
        doc! {"$set": {"count": 6_i64}}
    );
    // What the walk gives for the first body, written out: `a.b` set whole (its key "0"
    // cannot be named), `a.c` unset, and a change per place.
    let mut doc = stored.clone();
    let applied =
        patch::apply_document(&mut doc, bodies[0].clone(), &Options::merge_patch()).unwrap();
    assert_eq!(
        applied.update,
        doc! {"$set": {"a.b": {"0": 2, "x": 3}}, "$unset": {"a.c": ""}}
    );
    let changes: Vec<(&str, ChangeKind)> = applied
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.kind))
        .collect();
    assert_eq!(
        changes,
        [
            ("/a/b/0", ChangeKind::Replaced),
            ("/a/b/x", ChangeKind::Replaced),
            ("/a/c", ChangeKind::Removed),
        ]
    );
}
