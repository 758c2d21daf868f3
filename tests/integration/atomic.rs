//! Atomicity: when a merge returns `Err`, the target is exactly as it was, including
//! when other keys of the same map were merged before the failing one (Go breaks this).

use std::collections::{BTreeMap, HashMap};

use conjungo::{Error, Merge, Options};
use proptest::prelude::*;
use serde_json::{Value, json};

fn failing_on_negative() -> Options {
    Options::default().on_type::<i64>(|t, s, _| {
        if s < 0 {
            return Err(Error::custom(format!("negative: {s}")));
        }
        *t += s;
        Ok(())
    })
}

#[test]
fn map_failing_after_other_keys_were_merged() {
    // BTreeMap order: "a" and "b" merge before "c" fails.
    let mut target = BTreeMap::from([("a", 1i64), ("b", 2), ("c", 3)]);
    let before = target.clone();
    let source = BTreeMap::from([("a", 10), ("b", 20), ("c", -1), ("d", 4)]);
    let err = target
        .merge_with(source, &failing_on_negative())
        .unwrap_err();
    assert_eq!(err.path(), "/c");
    assert_eq!(err.to_string(), "at /c: negative: -1");
    assert_eq!(target, before);
}

#[test]
fn nested_maps_failing_deep() {
    let mut target: HashMap<String, HashMap<String, i64>> = HashMap::from([
        ("x".into(), HashMap::from([("1".into(), 1)])),
        (
            "y".into(),
            HashMap::from([("1".into(), 1), ("2".into(), 2)]),
        ),
    ]);
    let before = target.clone();
    let source = HashMap::from([
        (
            "x".into(),
            HashMap::from([("1".into(), 5), ("new".into(), 5)]),
        ),
        ("y".into(), HashMap::from([("2".into(), -7)])),
        ("z".into(), HashMap::from([("9".into(), 9)])),
    ]);
    let err = target
        .merge_with(source, &failing_on_negative())
        .unwrap_err();
    assert_eq!(err.path(), "/y/2");
    assert_eq!(target, before);
}

#[test]
fn json_objects_type_mismatch_after_other_changes() {
    let mut target = json!({"a": 1, "b": {"c": [1], "d": "x"}, "z": {"deep": {"n": 1}}});
    let before = target.clone();
    let source = json!({"a": 2, "b": {"c": [2], "e": "new"}, "z": {"deep": {"n": "str"}}, "w": 1});
    let err = target.merge(source).unwrap_err();
    assert_eq!(err.path(), "/z/deep/n");
    assert_eq!(target, before);
}

#[test]
fn failing_custom_function_in_a_derived_struct() {
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Account {
        name: String,
        tags: Vec<String>,
        balance: i64,
    }
    let mut target = Account {
        name: "a".into(),
        tags: vec!["x".into()],
        balance: 5,
    };
    let before = target.clone();
    let err = target
        .merge_with(
            Account {
                name: "b".into(),
                tags: vec!["y".into()],
                balance: -3,
            },
            &failing_on_negative(),
        )
        .unwrap_err();
    assert_eq!(err.path(), "/balance");
    assert_eq!(target, before);
}

#[test]
fn failing_kind_function_on_json() {
    let options = Options::default().on_kind::<Value>(conjungo::Kind::String, |t, s, _| {
        if s == "bad" {
            return Err(Error::custom("bad string"));
        }
        *t = s;
        Ok(())
    });
    let mut target = json!({"a": "1", "b": {"c": "2"}, "d": [1]});
    let before = target.clone();
    let err = target
        .merge_with(json!({"a": "ok", "b": {"c": "bad"}, "d": [2]}), &options)
        .unwrap_err();
    assert_eq!(err.path(), "/b/c");
    assert_eq!(target, before);
}

#[test]
fn failing_with_attribute_function() {
    fn no_shrink(t: &mut Vec<u8>, s: Vec<u8>, _: &Options) -> Result<(), Error> {
        if s.len() < t.len() {
            return Err(Error::custom("would shrink"));
        }
        *t = s;
        Ok(())
    }
    #[derive(Merge, Debug, Clone, PartialEq)]
    struct Blob {
        name: String,
        #[merge(with = no_shrink)]
        data: Vec<u8>,
    }
    let mut target = Blob {
        name: "a".into(),
        data: vec![1, 2, 3],
    };
    let before = target.clone();
    let err = target
        .merge(Blob {
            name: "b".into(),
            data: vec![1],
        })
        .unwrap_err();
    assert_eq!(err.path(), "/data");
    assert_eq!(target, before);
    target
        .merge(Blob {
            name: "b".into(),
            data: vec![4, 5, 6, 7],
        })
        .unwrap();
    assert_eq!(
        target,
        Blob {
            name: "b".into(),
            data: vec![4, 5, 6, 7]
        }
    );
}

#[test]
fn custom_functions_are_called_once_per_site() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let options = Options::default().on_type::<i64>(move |t, s, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        *t += s;
        Ok(())
    });
    let mut target = BTreeMap::from([("a", 1i64), ("b", 2)]);
    target
        .merge_with(BTreeMap::from([("a", 1), ("b", 1), ("c", 1)]), &options)
        .unwrap();
    assert_eq!(target, BTreeMap::from([("a", 2), ("b", 3), ("c", 1)]));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "once for a, once for b; c is inserted"
    );
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i64..5).prop_map(|n| json!(n)),
        "[a-c]{0,2}".prop_map(Value::String),
    ]
}

/// JSON values `depth` deep, objects of up to `width` members keyed by `keys`.
fn json_tree(depth: u32, nodes: u32, width: usize, keys: &'static str) -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(depth, nodes, width as u32, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..width)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the inputs, a failing merge leaves the target exactly as it was.
    #[test]
    fn json_merge_error_leaves_target_untouched(
        target in json_tree(4, 32, 4, "[a-d]"),
        source in json_tree(4, 32, 4, "[a-d]"),
        overwrite in any::<bool>(),
    ) {
        let mut merged = target.clone();
        let options = Options::default().overwrite(overwrite);
        if merged.merge_with(source, &options).is_err() {
            prop_assert_eq!(merged, target);
        }
    }
}

/// A hand-written impl that visits its two `String` children in one order when checking
/// and in the other when applying: each custom result still lands at its own place.
#[derive(Debug, PartialEq)]
struct Pair {
    first: String,
    second: String,
}

impl Merge for Pair {
    const NEEDS_CHECK: bool = true;

    fn check(&self, source: &Self, cx: &mut conjungo::Check<'_>) -> Result<(), Error> {
        cx.merge(&self.first, &source.first)?;
        cx.merge(&self.second, &source.second)
    }

    fn apply(&mut self, source: Self, cx: &mut conjungo::Apply<'_>) -> Result<(), Error> {
        cx.merge(&mut self.second, source.second)?;
        cx.merge(&mut self.first, source.first)
    }
}

#[test]
fn custom_results_follow_their_place_not_the_visiting_order() {
    let concat = Options::default().on_type::<String>(|t, s, _| {
        t.push('+');
        t.push_str(&s);
        Ok(())
    });
    let mut pair = Pair {
        first: "a".into(),
        second: "b".into(),
    };
    pair.merge_with(
        Pair {
            first: "x".into(),
            second: "y".into(),
        },
        &concat,
    )
    .unwrap();
    assert_eq!(
        pair,
        Pair {
            first: "a+x".into(),
            second: "b+y".into(),
        }
    );
    // In a map of pairs, where items are also reached in order.
    let mut pairs = BTreeMap::from([
        (
            "p",
            Pair {
                first: "1".into(),
                second: "2".into(),
            },
        ),
        (
            "q",
            Pair {
                first: "3".into(),
                second: "4".into(),
            },
        ),
    ]);
    pairs
        .merge_with(
            BTreeMap::from([
                (
                    "p",
                    Pair {
                        first: "5".into(),
                        second: "6".into(),
                    },
                ),
                (
                    "q",
                    Pair {
                        first: "7".into(),
                        second: "8".into(),
                    },
                ),
            ]),
            &concat,
        )
        .unwrap();
    assert_eq!(
        pairs["p"],
        Pair {
            first: "1+5".into(),
            second: "2+6".into()
        }
    );
    assert_eq!(
        pairs["q"],
        Pair {
            first: "3+7".into(),
            second: "4+8".into()
        }
    );
}

/// New keys inserted while existing ones are merged with a custom function (the map grows
/// and rehashes many times): every existing key gets its own result.
#[test]
fn custom_results_stay_with_their_entries_while_a_map_grows() {
    let add = Options::default().on_type::<i64>(|t, s, _| {
        *t += s;
        Ok(())
    });
    let mut target: HashMap<String, i64> = (0..50).map(|i| (format!("e{i}"), i)).collect();
    let source: HashMap<String, i64> = (0..50)
        .map(|i| (format!("e{i}"), 1000 * i))
        .chain((0..2000).map(|i| (format!("n{i}"), -1)))
        .collect();
    target.merge_with(source, &add).unwrap();
    for i in 0..50 {
        assert_eq!(target[&format!("e{i}")], 1001 * i, "e{i}");
    }
    assert_eq!(target.len(), 2050);
    let mut doc = json!({"k": (0..50).map(|i| (format!("e{i}"), json!(i))).collect::<serde_json::Map<_, _>>()});
    let mut grow: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("e{i}"), json!(1000 * i)))
        .collect();
    grow.extend((0..2000).map(|i| (format!("n{i}"), json!(-1))));
    let sum = Options::default().on_kind::<Value>(conjungo::Kind::Number, |t, s, _| {
        *t = json!(t.as_i64().unwrap_or(0) + s.as_i64().unwrap_or(0));
        Ok(())
    });
    doc.merge_with(json!({"k": grow}), &sum).unwrap();
    for i in 0..50 {
        assert_eq!(doc["k"][format!("e{i}")], json!(1001 * i), "e{i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Objects in key order are merged by walking target and source side by side when the
    /// target is not much larger than the source; looking each key up (what a registered
    /// custom function, even for an unrelated type, makes every merge do) gives the same
    /// result and the same error, under every rule set.
    #[test]
    fn side_by_side_and_lookups_merge_alike(
        // Wide objects: target and source often within 4x of each other.
        target in json_tree(3, 48, 10, "[a-j]"),
        source in json_tree(3, 48, 10, "[a-j]"),
        which in 0usize..6,
    ) {
        let options = [
            Options::default(),
            Options::merge_patch(),
            Options::default().nulls(conjungo::NullStrategy::Set).overwrite(false),
            Options::default().seq(conjungo::SeqStrategy::Prepend).mismatch(conjungo::Mismatch::Replace),
            Options::default().nulls(conjungo::NullStrategy::Delete).mismatch(conjungo::Mismatch::Keep),
            Options::default().seq(conjungo::SeqStrategy::Replace),
        ][which]
            .clone();
        let looked_up = options.clone().on_type::<std::net::Ipv4Addr>(|_, _, _| Ok(()));
        let mut walked = target.clone();
        let a = walked.merge_with(source.clone(), &options);
        let mut found = target.clone();
        let b = found.merge_with(source, &looked_up);
        prop_assert_eq!(a, b);
        prop_assert_eq!(walked, found);
    }
}

/// A hand-written impl of the first release, with the former names of `NEEDS_CHECK`
/// (`FALLIBLE`) and `try_clone` (`snapshot`): still honoured.
#[derive(Debug, Clone, PartialEq)]
struct FormerNames {
    n: i64,
}

#[allow(deprecated)]
impl Merge for FormerNames {
    const FALLIBLE: bool = true;

    fn check(&self, source: &Self, _: &mut conjungo::Check<'_>) -> Result<(), Error> {
        if source.n < 0 {
            return Err(Error::custom("negative"));
        }
        Ok(())
    }

    fn apply(&mut self, source: Self, _: &mut conjungo::Apply<'_>) -> Result<(), Error> {
        self.n = source.n;
        Ok(())
    }

    fn custom_fn(options: &Options) -> Option<conjungo::CustomFn<'_, Self>> {
        options.type_fn::<Self>()
    }

    fn snapshot(&self) -> Option<Self> {
        Some(self.clone())
    }
}

#[test]
fn former_names_of_the_hooks_are_still_honoured() {
    const { assert!(<FormerNames as Merge>::NEEDS_CHECK) };
    assert_eq!(FormerNames { n: 1 }.try_clone(), Some(FormerNames { n: 1 }));
    // The check pass visits it with nothing registered (`FALLIBLE`): the list is untouched.
    let mut pair = (vec![1], FormerNames { n: 1 });
    let err = pair.merge((vec![2], FormerNames { n: -1 })).unwrap_err();
    assert_eq!(err.path(), "/1");
    assert_eq!(pair, (vec![1], FormerNames { n: 1 }));
    // A failing custom function runs on the copies `snapshot` makes, in the check pass: the
    // list is untouched too.
    let failing = Options::default().on_type::<FormerNames>(|_, _, _| Err(Error::custom("no")));
    let err = pair
        .merge_with((vec![2], FormerNames { n: 2 }), &failing)
        .unwrap_err();
    assert_eq!(err.path(), "/1");
    assert_eq!(pair, (vec![1], FormerNames { n: 1 }));
}
