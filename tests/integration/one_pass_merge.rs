//! A `serde_json::Value` (or `Map`) merged at the root with mismatches as errors is merged
//! in one pass that undoes itself on failure; every other root is merged in two passes (a
//! check, then the writes). The one pass must give what the two passes give: the same
//! result, the same error at the same place, and on failure the target untouched. The
//! two passes are reached by the same merge under a `Box`, which is merged in two passes.
//!
//! Generated pairs: a target and a source made from it (members kept, changed to another
//! value of their kind or of another kind, nulled, added), under every option a one-pass
//! merge takes (overwrite on and off, every sequence and null strategy, depth limits from
//! 1), so that failures come after changes the merge must undo.

use conjungo::{Error, ErrorKind, Merge, Mismatch, NullStrategy, Options, SeqStrategy};
use conjungo_suite::rng::Rng;
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &["a", "b", "c", "d", "e", "x/y", "~"];

fn leaf(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 | 3 => json!(rng.below(100)),
        4 => json!(if rng.below(2) == 0 { -0.0 } else { 1.5 }),
        _ => Value::String(rng.pick(&["", "p", "q"]).to_owned()),
    }
}

fn value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(6) {
        _ if depth == 0 => leaf(rng),
        0 | 1 => leaf(rng),
        2 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.below(5))
                .map(|_| (rng.pick(KEYS).to_owned(), value(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// A source made from `target`: most members kept and changed, some nulled or added.
fn source_of(target: &Value, rng: &mut Rng, depth: usize) -> Value {
    match (target, rng.below(10)) {
        (_, 0) => Value::Null,
        (_, 1) => value(rng, depth),
        (Value::Object(members), _) => {
            let mut out = Map::new();
            for (key, member) in members {
                if rng.below(4) != 0 {
                    out.insert(key.clone(), source_of(member, rng, depth.saturating_sub(1)));
                }
            }
            for _ in 0..rng.below(3) {
                out.insert(
                    rng.pick(KEYS).to_owned(),
                    value(rng, depth.saturating_sub(1)),
                );
            }
            Value::Object(out)
        }
        (Value::Array(_), _) => Value::Array((0..rng.below(3)).map(|_| leaf(rng)).collect()),
        // A scalar of the same kind, mostly (a mismatch is the error under test).
        (Value::Bool(b), _) => Value::Bool(!b),
        (Value::Number(_), _) => json!(rng.below(100)),
        (Value::String(_), _) => Value::String("r".to_owned()),
        (Value::Null, _) => leaf(rng),
    }
}

fn all_options() -> Vec<Options> {
    let mut out = Vec::new();
    for overwrite in [true, false] {
        for seq in [
            SeqStrategy::Append,
            SeqStrategy::Prepend,
            SeqStrategy::Replace,
            SeqStrategy::Keep,
        ] {
            for nulls in [NullStrategy::Skip, NullStrategy::Delete, NullStrategy::Set] {
                for max_depth in [1, 2, 3, 64] {
                    out.push(
                        Options::default()
                            .overwrite(overwrite)
                            .seq(seq)
                            .nulls(nulls)
                            .mismatch(Mismatch::Error)
                            .max_depth(max_depth),
                    );
                }
            }
        }
    }
    out
}

/// A merge and its result.
type Merged<T> = (T, Result<(), Error>);

/// The same merge at the root (in one pass where it is fusable) and under a `Box` (in two
/// passes): what each gives.
fn one_and_two<T: Merge + Clone + 'static>(
    target: &T,
    source: &T,
    options: &Options,
) -> (Merged<T>, Merged<T>) {
    let mut root = target.clone();
    let root_result = conjungo::merge(&mut root, source.clone(), options);
    let mut boxed = Box::new(target.clone());
    let boxed_result = conjungo::merge(&mut boxed, Box::new(source.clone()), options);
    ((root, root_result), (*boxed, boxed_result))
}

#[test]
fn one_pass_merges_as_the_two_passes_do_and_undoes_every_failure() {
    let options = all_options();
    let mut rng = Rng(0x5eed_1234_abcd);
    let (mut failed_after_changes, mut depth_failures, mut merged) = (0, 0, 0);
    for case in 0..1500 {
        let target = value(&mut rng, 4);
        let source = source_of(&target, &mut rng, 4);
        for options in &options {
            let ((fused, result), (expected, expected_result)) =
                one_and_two(&target, &source, options);
            assert_eq!(
                result, expected_result,
                "case {case}: {target} <- {source} with {options:?}"
            );
            assert_eq!(
                fused, expected,
                "case {case}: {target} <- {source} with {options:?}"
            );
            match &result {
                Err(error) => {
                    assert_eq!(
                        fused, target,
                        "case {case}: a failed merge changed the target"
                    );
                    if matches!(error.kind(), ErrorKind::DepthLimit { .. }) {
                        depth_failures += 1;
                    }
                    // The same merge without the failing member changes the target: the
                    // one pass wrote before it failed, and undid it.
                    if let Some(changed) = without_failing_member(&target, &source, error, options)
                        && changed != target
                    {
                        failed_after_changes += 1;
                    }
                }
                Ok(()) => merged += 1,
            }
        }
    }
    assert!(
        failed_after_changes > 1000 && depth_failures > 1000 && merged > 10_000,
        "cases that fail after changes: {failed_after_changes}, at the depth limit: \
         {depth_failures}, merged: {merged}"
    );
}

/// The target merged with the source's top-level members before the failing one, when the
/// failure is below a top-level member (what the one pass had written when it failed).
fn without_failing_member(
    target: &Value,
    source: &Value,
    error: &Error,
    options: &Options,
) -> Option<Value> {
    let first = error.path().strip_prefix('/')?.split('/').next()?;
    let first = first.replace("~1", "/").replace("~0", "~");
    let members = source.as_object()?;
    let before: Map<String, Value> = members
        .iter()
        .take_while(|(key, _)| **key != first)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut merged = target.clone();
    conjungo::merge(&mut merged, Value::Object(before), options).ok()?;
    Some(merged)
}

#[test]
fn an_object_root_merges_in_one_pass_as_in_two() {
    let options = all_options();
    let mut rng = Rng(0xfeed_0042);
    for case in 0..400 {
        let Value::Object(target) = value(&mut rng, 4) else {
            continue;
        };
        let Value::Object(source) = source_of(&Value::Object(target.clone()), &mut rng, 4) else {
            continue;
        };
        for options in &options {
            let ((fused, result), (boxed, expected_result)) =
                one_and_two(&target, &source, options);
            assert_eq!(result, expected_result, "case {case}");
            assert_eq!(fused, boxed, "case {case}");
            if result.is_err() {
                assert_eq!(fused, target, "case {case}");
            }
        }
    }
}

#[test]
fn a_mismatch_after_many_changes_leaves_the_target_as_it_was() {
    let target = json!({
        "a": {"list": [1], "n": 1, "gone": true, "inner": {"s": "x"}},
        "b": {"k": 1},
        "z": "text",
    });
    let source = json!({
        "a": {"list": [2, 3], "n": 2, "gone": null, "new": {"deep": 1}, "inner": {"s": "y", "t": 1}},
        "b": {"k": 2, "m": [1]},
        "z": {"now": "an object"},
    });
    let options = Options::default().nulls(NullStrategy::Delete);
    let mut merged = target.clone();
    let error = conjungo::merge(&mut merged, source.clone(), &options).unwrap_err();
    assert_eq!(
        error.kind(),
        &ErrorKind::TypeMismatch {
            target: conjungo::Kind::String,
            source: conjungo::Kind::Object,
        }
    );
    assert_eq!(error.path(), "/z");
    assert_eq!(merged, target);

    // Without the failing member every change is made.
    let mut source = source;
    source.as_object_mut().unwrap().remove("z");
    conjungo::merge(&mut merged, source, &options).unwrap();
    assert_eq!(
        merged,
        json!({
            "a": {"list": [1, 2, 3], "n": 2, "new": {"deep": 1}, "inner": {"s": "y", "t": 1}},
            "b": {"k": 2, "m": [1]},
            "z": "text",
        })
    );
}

#[test]
fn the_depth_limit_met_after_changes_leaves_the_target_as_it_was() {
    let target = json!({"a": 1, "b": {"c": {"d": 1, "f": {"g": 0}}}, "e": [1]});
    let source = json!({"a": 2, "e": [2], "b": {"c": {"d": 2, "f": {"g": 1}}}});
    let options = Options::default().max_depth(3);
    let mut merged = target.clone();
    let error = conjungo::merge(&mut merged, source.clone(), &options).unwrap_err();
    assert_eq!(error.kind(), &ErrorKind::DepthLimit { limit: 3 });
    assert_eq!(error.path(), "/b/c/f");
    assert_eq!(merged, target);
    // One level more is enough.
    conjungo::merge(&mut merged, source, &Options::default().max_depth(4)).unwrap();
    assert_eq!(
        merged,
        json!({"a": 2, "b": {"c": {"d": 2, "f": {"g": 1}}}, "e": [1, 2]})
    );
}

/// `value` as bson, each object's members in key order or in reverse (bson documents keep
/// their members in the order they were inserted: the merge must keep it too).
fn to_bson(value: &Value, rng: &mut Rng) -> bson::Bson {
    match value {
        Value::Object(members) => {
            let mut entries: Vec<_> = members
                .iter()
                .map(|(k, v)| (k.clone(), to_bson(v, rng)))
                .collect();
            if rng.below(2) == 0 {
                entries.reverse();
            }
            bson::Bson::Document(entries.into_iter().collect())
        }
        Value::Array(items) => bson::Bson::Array(items.iter().map(|v| to_bson(v, rng)).collect()),
        Value::Number(n) if n.is_f64() => bson::Bson::Double(n.as_f64().unwrap_or_default()),
        Value::Number(n) => bson::Bson::Int64(n.as_i64().unwrap_or_default()),
        Value::String(s) => bson::Bson::String(s.clone()),
        Value::Bool(b) => bson::Bson::Boolean(*b),
        Value::Null => bson::Bson::Null,
    }
}

/// The stored bytes of a bson value: members in their order (`==` on documents ignores it).
fn bytes(value: &bson::Bson) -> Vec<u8> {
    bson::doc! {"v": value.clone()}.to_vec().unwrap()
}

#[test]
fn bson_merges_in_one_pass_as_in_two_with_members_in_their_order() {
    let options = all_options();
    let mut rng = Rng(0x000b_500b_5077);
    let mut failed = 0;
    for case in 0..600 {
        let json_target = value(&mut rng, 4);
        let json_source = source_of(&json_target, &mut rng, 4);
        let target = to_bson(&json_target, &mut rng);
        let source = to_bson(&json_source, &mut rng);
        for options in &options {
            let ((merged, result), (boxed, expected_result)) =
                one_and_two(&target, &source, options);
            assert_eq!(result, expected_result, "case {case}: {target} <- {source}");
            assert_eq!(
                bytes(&merged),
                bytes(&boxed),
                "case {case}: {target} <- {source} with {options:?}: {merged} against {boxed}"
            );
            if result.is_err() {
                failed += 1;
                assert_eq!(bytes(&merged), bytes(&target), "case {case}");
            }
            // A document at the root.
            if let (bson::Bson::Document(target), bson::Bson::Document(source)) = (&target, &source)
            {
                let ((merged, result), (boxed, expected_result)) =
                    one_and_two(target, source, options);
                assert_eq!(result, expected_result, "case {case}");
                assert_eq!(
                    merged.to_vec().unwrap(),
                    boxed.to_vec().unwrap(),
                    "case {case}"
                );
                if result.is_err() {
                    assert_eq!(merged.to_vec().unwrap(), target.to_vec().unwrap());
                }
            }
        }
    }
    assert!(failed > 5000, "{failed} merges failed");
}
