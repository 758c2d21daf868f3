//! Every option of `Options`, on typed and dynamic values.

use std::collections::VecDeque;

use conjungo::{
    DEFAULT_MAX_DEPTH, Error, ErrorKind, Kind, Merge, Mismatch, NullStrategy, Options, SeqStrategy,
};
use serde_json::{Value, json};

fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug + 'static>() {}
fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn options_and_error_have_the_promised_traits() {
    assert_traits::<Options>();
    assert_error::<Error>();
    let options = Options::default().on_type::<u8>(|_, _, _| Ok(()));
    let shown = format!("{options:?}");
    assert!(
        shown.contains("overwrite: true") && shown.contains("u8"),
        "{shown}"
    );
    let cloned = options.clone();
    assert!(cloned.type_fn::<u8>().is_some());
    assert!(Options::default().type_fn::<u8>().is_none());
}

#[test]
fn defaults_are_go_conjungo() {
    let o = Options::default();
    assert!(o.overwrite);
    assert_eq!(o.seq, SeqStrategy::Append);
    assert_eq!(o.nulls, NullStrategy::Skip);
    assert_eq!(o.mismatch, Mismatch::Error);
    assert_eq!(o.max_depth, DEFAULT_MAX_DEPTH);
    let p = Options::merge_patch();
    assert!(p.overwrite);
    assert_eq!(p.seq, SeqStrategy::Replace);
    assert_eq!(p.nulls, NullStrategy::Delete);
    assert_eq!(p.mismatch, Mismatch::Replace);
}

#[test]
fn seq_strategies_on_vec_vecdeque_and_json() {
    let cases = [
        (SeqStrategy::Append, true, vec![1, 2, 3, 4]),
        (SeqStrategy::Append, false, vec![1, 2, 3, 4]),
        (SeqStrategy::Prepend, true, vec![3, 4, 1, 2]),
        (SeqStrategy::Replace, true, vec![3, 4]),
        (SeqStrategy::Replace, false, vec![1, 2]),
        (SeqStrategy::Keep, true, vec![1, 2]),
    ];
    for (seq, overwrite, expected) in cases {
        let options = Options::default().seq(seq).overwrite(overwrite);
        let mut v = vec![1, 2];
        v.merge_with(vec![3, 4], &options).unwrap();
        assert_eq!(v, expected, "{seq:?} overwrite={overwrite}");
        let mut d = VecDeque::from([1, 2]);
        d.merge_with(VecDeque::from([3, 4]), &options).unwrap();
        assert_eq!(Vec::from(d), expected, "{seq:?} overwrite={overwrite}");
        let mut j = json!({"a": [1, 2]});
        j.merge_with(json!({"a": [3, 4]}), &options).unwrap();
        assert_eq!(j, json!({"a": expected}), "{seq:?} overwrite={overwrite}");
    }
}

#[test]
fn null_strategies() {
    let target = || json!({"a": 1, "b": {"c": 2}, "n": null});
    let source =
        || json!({"a": null, "b": {"c": null, "x": null}, "new": null, "sub": {"k": null}});

    let mut t = target();
    t.merge_with(source(), &Options::default().nulls(NullStrategy::Skip))
        .unwrap();
    // Nulls are ignored; a missing key is not added; a new subtree is taken as it is.
    assert_eq!(
        t,
        json!({"a": 1, "b": {"c": 2}, "n": null, "sub": {"k": null}})
    );

    let mut t = target();
    t.merge_with(source(), &Options::default().nulls(NullStrategy::Delete))
        .unwrap();
    assert_eq!(t, json!({"b": {}, "n": null, "sub": {}}));

    let mut t = target();
    t.merge_with(source(), &Options::default().nulls(NullStrategy::Set))
        .unwrap();
    assert_eq!(
        t,
        json!({"a": null, "b": {"c": null, "x": null}, "n": null, "new": null, "sub": {"k": null}})
    );

    let mut t = target();
    t.merge_with(
        source(),
        &Options::default().nulls(NullStrategy::Set).overwrite(false),
    )
    .unwrap();
    assert_eq!(
        t,
        json!({"a": 1, "b": {"c": 2, "x": null}, "n": null, "new": null, "sub": {"k": null}})
    );

    // A root null.
    for (nulls, expected) in [
        (NullStrategy::Skip, json!(1)),
        (NullStrategy::Delete, Value::Null),
        (NullStrategy::Set, Value::Null),
    ] {
        let mut t = json!(1);
        t.merge_with(Value::Null, &Options::default().nulls(nulls))
            .unwrap();
        assert_eq!(t, expected, "{nulls:?}");
    }
}

#[test]
fn mismatch_strategies() {
    let mut t = json!({"a": 1, "b": [1]});
    let err = t.merge(json!({"a": "x"})).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::TypeMismatch {
            target: Kind::Number,
            source: Kind::String
        }
    );
    assert_eq!(err.class().http_status(), 422);

    let mut t = json!({"a": 1, "b": [1]});
    t.merge_with(
        json!({"a": "x", "b": {"c": 1}}),
        &Options::default().mismatch(Mismatch::Replace),
    )
    .unwrap();
    assert_eq!(t, json!({"a": "x", "b": {"c": 1}}));

    let mut t = json!({"a": 1, "b": [1]});
    t.merge_with(
        json!({"a": "x", "b": {"c": 1}}),
        &Options::default().mismatch(Mismatch::Keep),
    )
    .unwrap();
    assert_eq!(t, json!({"a": 1, "b": [1]}));

    // Integers and floats are one kind.
    let mut t = json!({"n": 1});
    t.merge(json!({"n": 2.5})).unwrap();
    assert_eq!(t, json!({"n": 2.5}));
}

fn nested(depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for _ in 0..depth {
        v = json!({ "k": v });
    }
    v
}

#[test]
fn max_depth_is_an_error_not_a_stack_overflow() {
    // 1 000 levels: far past the default limit of 128 (serde_json drops values
    // recursively, so much deeper values would overflow in their own drop).
    let mut target = nested(1_000, json!(1));
    let source = nested(1_000, json!(2));
    let err = target.merge(source).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::DepthLimit {
            limit: DEFAULT_MAX_DEPTH
        }
    );
    assert_eq!(err.path(), "/k".repeat(DEFAULT_MAX_DEPTH));

    // A smaller limit, exactly at the edge.
    let options = Options::default().max_depth(3);
    let mut t = nested(3, json!(1));
    t.merge_with(nested(3, json!(2)), &options).unwrap();
    assert_eq!(t, nested(3, json!(2)));
    let mut t = nested(4, json!(1));
    let before = t.clone();
    assert!(t.merge_with(nested(4, json!(2)), &options).is_err());
    assert_eq!(t, before);

    // Under RFC 7396 a deep inserted object has its nulls stripped: bounded too.
    let mut t = json!({});
    let err = t
        .merge_with(nested(200, Value::Null), &Options::merge_patch())
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DepthLimit { .. }));
    assert_eq!(t, json!({}));
    drop(target);
}

#[test]
fn on_type_reaches_every_depth_and_wins_over_kind_functions() {
    let options = Options::default()
        .on_type::<Value>(|t, s, _| {
            // Keep the target for everything but objects, which we recurse into by hand.
            if let (Value::Object(t), Value::Object(s)) = (t, s) {
                for (k, v) in s {
                    t.entry(k).or_insert(v);
                }
            }
            Ok(())
        })
        .on_kind::<Value>(Kind::Number, |_, _, _| Err(Error::custom("never called")));
    let mut v = json!({"a": 1, "b": {"c": 2}});
    v.merge_with(json!({"a": 5, "b": {"c": 3}, "d": 4}), &options)
        .unwrap();
    assert_eq!(v, json!({"a": 1, "b": {"c": 2}, "d": 4}));
}

#[test]
fn later_registration_replaces_earlier() {
    let options = Options::default()
        .on_type::<u32>(|t, s, _| {
            *t += s;
            Ok(())
        })
        .on_type::<u32>(|t, s, _| {
            *t *= s;
            Ok(())
        });
    let mut n = 3u32;
    n.merge_with(4, &options).unwrap();
    assert_eq!(n, 12);
}
