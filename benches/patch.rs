//! PATCH cost follows the patch, not the stored document: the same patch of about 1 KB on
//! stored documents of about 10 KB and about 1 MB, schemaless (`apply_document`) and typed
//! (`patch::apply`).
//!
//! The stored document is not cloned per iteration (a fresh 1 MB clone before every
//! iteration measures the cache it evicts, not the patch): two patches of the same shape,
//! A and B, are applied in turn to one document, so that every application changes the same
//! number of places. The body (about 1 KB) is cloned in the setup.

mod common;

use std::collections::HashMap;
use std::hint::black_box;

use bson::{Document, doc};
use conjungo::{Options, patch};
use conjungo_suite::catalog::{Service, ServicePatch, svc};
use criterion::{BatchSize, Criterion};
use serde_json::{Value, json};

/// A stored document of `entries` sub-documents of about 100 bytes each.
fn stored(entries: usize) -> Document {
    let mut d = doc! {"_id": 1, "name": "catalog"};
    for i in 0..entries {
        d.insert(
            format!("item{i:06}"),
            doc! {"title": format!("title of item {i}"), "count": i as i64, "tags": ["a", "b"], "on": true},
        );
    }
    d
}

/// About 1 KB: ten entries changed in three fields each; `variant` A and B differ in every
/// value.
fn body(variant: &str) -> Value {
    let mut m = serde_json::Map::new();
    for i in 0..10 {
        m.insert(
            format!("item{:06}", i * 7),
            json!({
                "title": format!("a new title ({variant}) for entry number {i}, long"),
                "count": if variant == "A" { -1 } else { -2 },
                "extra": variant,
            }),
        );
    }
    Value::Object(m)
}

/// A typed service whose labels make it about `bytes` large when stored.
fn service(labels: usize) -> Service {
    let mut s = svc(1);
    s.labels = (0..labels)
        .map(|i| {
            (
                format!("label{i:06}"),
                format!("a label value of some length {i}"),
            )
        })
        .collect::<HashMap<_, _>>();
    s
}

/// About 1 KB: twenty labels changed, a deploy change, a rename; A and B differ in every
/// value.
fn typed_body(variant: &str) -> Vec<u8> {
    let labels: serde_json::Map<String, Value> = (0..20)
        .map(|i| {
            (
                format!("label{:06}", i * 3),
                json!(format!("a changed label value {i} {variant}")),
            )
        })
        .collect();
    let replicas = if variant == "A" { 9 } else { 10 };
    serde_json::to_vec(
        &json!({"name": variant, "labels": labels, "deploy": {"replicas": replicas}}),
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let small = stored(100);
    let large = stored(10_000);
    let size = |d: &Document| bson::serialize_to_vec(d).map(|v| v.len()).unwrap_or(0);
    let bodies = [body("A"), body("B")];
    println!(
        "schemaless: stored {} B and {} B, patch {} B",
        size(&small),
        size(&large),
        serde_json::to_vec(&bodies[0]).unwrap().len()
    );
    let options = Options::merge_patch();
    let mut group = c.benchmark_group("patch schemaless (1 KB patch)");
    for (name, doc) in [("10 KB document", &small), ("1 MB document", &large)] {
        let mut doc = doc.clone();
        let mut turn = 0;
        group.bench_function(name, |bench| {
            bench.iter_batched(
                || {
                    turn += 1;
                    bodies[turn % 2].clone()
                },
                |b| {
                    let applied = patch::apply_document(&mut doc, b, &options).unwrap();
                    assert!(!applied.is_empty());
                    applied
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    let small = service(150);
    let large = service(15_000);
    let typed = [typed_body("A"), typed_body("B")];
    let size = |s: &Service| {
        bson::serialize_to_vec(&bson::serialize_to_document(s).unwrap())
            .unwrap()
            .len()
    };
    println!(
        "typed: stored {} B and {} B, patch {} B",
        size(&small),
        size(&large),
        typed[0].len()
    );
    let mut group = c.benchmark_group("patch typed (1 KB patch)");
    for (name, s) in [("10 KB document", &small), ("1 MB document", &large)] {
        let mut s = s.clone();
        let mut turn = 0;
        group.bench_function(name, |bench| {
            bench.iter(|| {
                turn += 1;
                let p: ServicePatch = patch::parse(black_box(&typed[turn % 2])).unwrap();
                let applied = patch::apply(&mut s, p, &options).unwrap();
                assert!(!applied.is_empty());
                applied
            })
        });
    }
    group.finish();

    // The whole request from bytes, beside the least a handler pays for the same bytes.
    let mut group = c.benchmark_group("patch request (1 KB body)");
    group.bench_function("typed: serde_json::from_slice::<Value>", |bench| {
        bench.iter(|| serde_json::from_slice::<Value>(black_box(&typed[0])).unwrap())
    });
    group.bench_function(
        "typed: serde_json::from_slice::<ServicePatch>, no gate",
        |bench| {
            bench.iter(|| serde_json::from_slice::<ServicePatch>(black_box(&typed[0])).unwrap())
        },
    );
    let mut s = service(150);
    let mut turn = 0;
    group.bench_function("typed: patch::parse + patch::apply + update", |bench| {
        bench.iter(|| {
            turn += 1;
            let p: ServicePatch = patch::parse(black_box(&typed[turn % 2])).unwrap();
            patch::apply(&mut s, p, &options).unwrap()
        })
    });
    let schemaless: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| serde_json::to_vec(b).unwrap())
        .collect();
    group.bench_function("schemaless: serde_json::from_slice::<Value>", |bench| {
        bench.iter(|| serde_json::from_slice::<Value>(black_box(&schemaless[0])).unwrap())
    });
    let mut doc = stored(100);
    let mut turn = 0;
    group.bench_function(
        "schemaless: from_slice + patch::apply_document + update",
        |bench| {
            bench.iter(|| {
                turn += 1;
                let value: Value =
                    serde_json::from_slice(black_box(&schemaless[turn % 2])).unwrap();
                patch::apply_document(&mut doc, value, &options).unwrap()
            })
        },
    );
    let mut doc = stored(100);
    let mut turn = 0;
    group.bench_function(
        "schemaless: patch::apply_document_slice (one pass) + update",
        |bench| {
            bench.iter(|| {
                turn += 1;
                let body = black_box(&schemaless[turn % 2]);
                patch::apply_document_slice(&mut doc, body, &options).unwrap()
            })
        },
    );
    group.finish();
}

/// Instruction counts (see `benches/service.rs`): 100 alternating applications of the
/// 1 KB patch to one stored document of 10 KB (`*_small`) or 1 MB (`*_large`), in a
/// function named `measured_<mode>`.
fn count_instructions(mode: &str) {
    const N: usize = 100;

    #[inline(never)]
    fn measured_schemaless(doc: &mut Document, bodies: Vec<Value>) -> usize {
        let options = Options::merge_patch();
        bodies
            .into_iter()
            .map(|b| {
                patch::apply_document(doc, b, &options)
                    .unwrap()
                    .changes
                    .len()
            })
            .sum()
    }

    #[inline(never)]
    fn measured_typed(service: &mut Service, bodies: &[Vec<u8>]) -> usize {
        let options = Options::merge_patch();
        bodies
            .iter()
            .map(|b| {
                let p: ServicePatch = patch::parse(b).unwrap();
                patch::apply(service, p, &options).unwrap().changes.len()
            })
            .sum()
    }

    let bodies = |n: usize| {
        (0..n)
            .map(|i| body(if i % 2 == 0 { "A" } else { "B" }))
            .collect::<Vec<_>>()
    };
    let typed = (0..N)
        .map(|i| typed_body(if i % 2 == 0 { "A" } else { "B" }))
        .collect::<Vec<_>>();
    // The whole request: bytes in, update out, beside the least any handler pays for the
    // same bytes (parsing them into a `Value`) and serde alone into the patch type.
    #[inline(never)]
    fn measured_value_parse(bodies: &[Vec<u8>]) -> usize {
        bodies
            .iter()
            .map(|b| {
                serde_json::from_slice::<Value>(b)
                    .unwrap()
                    .as_object()
                    .map_or(0, |o| o.len())
            })
            .sum()
    }

    #[inline(never)]
    fn measured_serde_patch_type(bodies: &[Vec<u8>]) -> usize {
        bodies
            .iter()
            .map(|b| {
                usize::from(
                    serde_json::from_slice::<ServicePatch>(b)
                        .unwrap()
                        .name
                        .as_set()
                        .is_some(),
                )
            })
            .sum()
    }

    #[inline(never)]
    fn measured_request_schemaless(doc: &mut Document, bodies: &[Vec<u8>]) -> usize {
        let options = Options::merge_patch();
        bodies
            .iter()
            .map(|b| {
                let value: Value = serde_json::from_slice(b).unwrap();
                patch::apply_document(doc, value, &options)
                    .unwrap()
                    .changes
                    .len()
            })
            .sum()
    }

    #[inline(never)]
    fn measured_request_schemaless_slice(doc: &mut Document, bodies: &[Vec<u8>]) -> usize {
        let options = Options::merge_patch();
        bodies
            .iter()
            .map(|b| {
                patch::apply_document_slice(doc, b, &options)
                    .unwrap()
                    .changes
                    .len()
            })
            .sum()
    }

    let schemaless_bytes: Vec<Vec<u8>> = bodies(N)
        .iter()
        .map(|b| serde_json::to_vec(b).unwrap())
        .collect();
    let changed = match mode {
        "value_parse_typed_body" => measured_value_parse(&typed),
        "serde_patch_type" => measured_serde_patch_type(&typed),
        "value_parse_schemaless_body" => measured_value_parse(&schemaless_bytes),
        "request_schemaless" => measured_request_schemaless(&mut stored(100), &schemaless_bytes),
        "request_schemaless_slice" => {
            measured_request_schemaless_slice(&mut stored(100), &schemaless_bytes)
        }
        "schemaless_small" => measured_schemaless(&mut stored(100), bodies(N)),
        "schemaless_large" => measured_schemaless(&mut stored(10_000), bodies(N)),
        "typed_small" => measured_typed(&mut service(150), &typed),
        "typed_large" => measured_typed(&mut service(15_000), &typed),
        other => panic!("unknown mode {other}"),
    };
    black_box(changed);
}

fn main() {
    common::main(count_instructions, bench, common::criterion);
}
