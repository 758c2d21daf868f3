//! JSON: the `gen_docs.py` pair (seed 7, `benches/data/docs-seed7.json`, about 60 KB) merged
//! with RFC 7396 options by conjungo (the patch is moved in) and by `json_patch::merge`
//! (which clones from a borrowed patch); and with Go conjungo's default rules.
//!
//! The diff group: the smallest merge patch from the target to the merged result
//! (`conjungo::json::diff`, RFC 7396) against `json_patch::diff` (RFC 6902 operations), on
//! the same two 60 KB documents.
//!
//! Inputs are cloned right before each timed merge (`BatchSize::PerIteration`): with
//! batches, a batch of 60 KB copies no longer fits in cache and the measure becomes one of
//! cache misses in whichever variant's setup cloned more.

mod common;

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use serde_json::Value;

fn docs() -> (Value, Value) {
    let text = include_str!("data/docs-seed7.json");
    let mut both: Value = serde_json::from_str(text).expect("bench data");
    (both["target"].take(), both["source"].take())
}

fn json(c: &mut Criterion) {
    let (target, source) = docs();

    // The two must agree before they are timed.
    let mut a = target.clone();
    conjungo::json::merge_patch(&mut a, source.clone()).unwrap();
    let mut b = target.clone();
    json_patch::merge(&mut b, &source);
    assert_eq!(a, b);

    let mut group = c.benchmark_group("json seed 7 (RFC 7396)");
    group.bench_function(
        "json_patch::merge (borrows the patch, clones what it inserts)",
        |bench| {
            bench.iter_batched(
                || target.clone(),
                |mut t| {
                    json_patch::merge(&mut t, black_box(&source));
                    black_box(t)
                },
                BatchSize::PerIteration,
            )
        },
    );
    group.bench_function("conjungo::json::merge_patch (moves the patch)", |bench| {
        bench.iter_batched(
            || (target.clone(), source.clone()),
            |(mut t, s)| {
                conjungo::json::merge_patch(&mut t, s).unwrap();
                black_box(t)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function(
        "conjungo::json::merge_patch, patch cloned inside the timing",
        |bench| {
            bench.iter_batched(
                || target.clone(),
                |mut t| {
                    conjungo::json::merge_patch(&mut t, black_box(&source).clone()).unwrap();
                    black_box(t)
                },
                BatchSize::PerIteration,
            )
        },
    );
    group.finish();

    // Diff: target -> merged. Both must turn the old document into the new one.
    let merged = a;
    let mut check = target.clone();
    conjungo::json::merge_patch(&mut check, conjungo::json::diff(&target, &merged)).unwrap();
    assert_eq!(check, merged);
    let mut check = target.clone();
    json_patch::patch(&mut check, &json_patch::diff(&target, &merged)).unwrap();
    assert_eq!(check, merged);
    let mut group = c.benchmark_group("json seed 7 diff");
    group.bench_function("json_patch::diff (RFC 6902 operations)", |bench| {
        bench.iter(|| black_box(json_patch::diff(black_box(&target), black_box(&merged))))
    });
    group.bench_function("conjungo::json::diff (RFC 7396 merge patch)", |bench| {
        bench.iter(|| black_box(conjungo::json::diff(black_box(&target), black_box(&merged))))
    });
    group.finish();

    let options = conjungo::Options::default();
    let mut group = c.benchmark_group("json seed 7 (Go conjungo rules)");
    group.bench_function("conjungo::merge, default options", |bench| {
        bench.iter_batched(
            || (target.clone(), source.clone()),
            |(mut t, s)| {
                conjungo::merge(&mut t, s, &options).unwrap();
                black_box(t)
            },
            BatchSize::PerIteration,
        )
    });
    // A `Value` at the root is merged in one pass; under a `Box` the same merge runs the
    // two passes (a check, then the writes): what the one pass saves, in the same run.
    group.bench_function("conjungo::merge, two passes (under a Box)", |bench| {
        bench.iter_batched(
            || (Box::new(target.clone()), Box::new(source.clone())),
            |(mut t, s)| {
                conjungo::merge(&mut t, s, &options).unwrap();
                black_box(t)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Instruction counts (see `benches/service.rs`): 100 merges of the seed-7 pair in a
/// function named `measured_<mode>`; inputs are cloned before it, outputs dropped after.
fn count_instructions(mode: &str) {
    const N: usize = 100;
    let (target, source) = docs();

    #[inline(never)]
    fn measured_json_patch(targets: Vec<Value>, patch: &Value) -> Vec<Value> {
        targets
            .into_iter()
            .map(|mut t| {
                json_patch::merge(&mut t, patch);
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_conjungo(pairs: Vec<(Value, Value)>, options: &conjungo::Options) -> Vec<Value> {
        pairs
            .into_iter()
            .map(|(mut t, s)| {
                conjungo::merge(&mut t, s, options).unwrap();
                t
            })
            .collect()
    }

    // The boxes are the point: a `Box<Value>` root is merged in two passes.
    #[allow(clippy::vec_box)]
    #[inline(never)]
    fn measured_conjungo_boxed(
        pairs: Vec<(Box<Value>, Box<Value>)>,
        options: &conjungo::Options,
    ) -> Vec<Box<Value>> {
        pairs
            .into_iter()
            .map(|(mut t, s)| {
                conjungo::merge(&mut t, s, options).unwrap();
                t
            })
            .collect()
    }

    #[inline(never)]
    fn measured_bson<T: conjungo::Merge>(
        pairs: Vec<(T, T)>,
        options: &conjungo::Options,
    ) -> Vec<T> {
        pairs
            .into_iter()
            .map(|(mut t, s)| {
                conjungo::merge(&mut t, s, options).unwrap();
                t
            })
            .collect()
    }

    let pairs = || {
        (0..N)
            .map(|_| (target.clone(), source.clone()))
            .collect::<Vec<_>>()
    };
    #[inline(never)]
    fn measured_diff_json_patch(old: &Value, new: &Value) -> usize {
        (0..N).map(|_| json_patch::diff(old, new).len()).sum()
    }

    #[inline(never)]
    fn measured_diff_conjungo(old: &Value, new: &Value) -> usize {
        (0..N)
            .map(|_| {
                conjungo::json::diff(old, new)
                    .as_object()
                    .map_or(0, |o| o.len())
            })
            .sum()
    }

    let mut merged = target.clone();
    conjungo::json::merge_patch(&mut merged, source.clone()).unwrap();
    let out = match mode {
        "diff_json_patch" => measured_diff_json_patch(&target, &merged),
        "diff_conjungo" => measured_diff_conjungo(&target, &merged),
        "json_patch" => {
            measured_json_patch((0..N).map(|_| target.clone()).collect(), &source).len()
        }
        "conjungo_rfc" => measured_conjungo(pairs(), &conjungo::Options::merge_patch()).len(),
        "conjungo_go" => measured_conjungo(pairs(), &conjungo::Options::default()).len(),
        "conjungo_go_two_passes" => {
            let boxed = pairs()
                .into_iter()
                .map(|(t, s)| (Box::new(t), Box::new(s)))
                .collect();
            measured_conjungo_boxed(boxed, &conjungo::Options::default()).len()
        }
        // The same pair as bson documents (members in key order), Go's rules.
        "bson_go" | "bson_go_two_passes" => {
            let bson = |v: &Value| bson::serialize_to_bson(v).expect("bench data");
            let (t, s) = (bson(&target), bson(&source));
            let options = conjungo::Options::default();
            if mode == "bson_go" {
                measured_bson((0..N).map(|_| (t.clone(), s.clone())).collect(), &options).len()
            } else {
                let boxed = (0..N)
                    .map(|_| (Box::new(t.clone()), Box::new(s.clone())))
                    .collect();
                measured_bson(boxed, &options).len()
            }
        }
        other => panic!("unknown mode {other}"),
    };
    black_box(out);
}

fn main() {
    common::main(count_instructions, json, common::criterion);
}
