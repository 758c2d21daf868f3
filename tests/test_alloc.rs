//! Allocations, counted by a counting global allocator (per thread, so that tests running
//! in parallel do not disturb each other): a struct of scalars merges without allocating;
//! the derived merge allocates exactly what hand-written code does; and a patch allocates the
//! same on a small and on a large stored document (nothing copies the whole target).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;

use conjungo::{Merge, Options, patch};
use serde_json::{Value, json};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated and not yet freed, and the most there were (see [`peak_bytes`]).
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        grew(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        grew(new_size);
        shrank(layout.size());
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The most bytes `f` had allocated at once (beyond what was live before it).
fn peak_bytes<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (PEAK.with(Cell::get) - base, r)
}

fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let r = f();
    (ALLOCATIONS.with(Cell::get) - before, r)
}

#[derive(Merge, Debug, Clone, Copy, PartialEq)]
struct Scalars {
    a: i64,
    b: u32,
    c: f64,
    d: bool,
    e: char,
    f: Option<u16>,
    g: (u8, i8),
    h: [u16; 4],
}

#[test]
fn a_struct_of_scalars_merges_without_allocating() {
    let mut t = Scalars {
        a: 1,
        b: 2,
        c: 3.0,
        d: true,
        e: 'a',
        f: None,
        g: (1, 2),
        h: [1; 4],
    };
    let s = Scalars {
        a: 9,
        b: 9,
        c: 9.0,
        d: false,
        e: 'z',
        f: Some(9),
        g: (9, 9),
        h: [9; 4],
    };
    let (n, r) = count(|| t.merge(s));
    r.unwrap();
    assert_eq!(n, 0);
    assert_eq!(t, s);
    let options = Options::default().overwrite(false);
    let (n, r) = count(|| t.merge_with(s, &options));
    r.unwrap();
    assert_eq!(n, 0);
}

#[test]
fn the_derived_merge_allocates_what_hand_written_code_does() {
    use conjungo_suite::catalog::svc;
    let (mut a, b) = (svc(1), svc(2));
    let (derived, r) = count(|| a.merge(b));
    r.unwrap();

    let (mut t, s) = (svc(1), svc(2));
    let (hand, ()) = count(|| {
        t.name = s.name;
        t.owner = s.owner;
        t.tier = s.tier;
        t.public = s.public;
        t.tags.extend(s.tags);
        t.labels.extend(s.labels);
        t.endpoints.extend(s.endpoints);
        if let (Some(td), Some(sd)) = (&mut t.deploy, s.deploy) {
            td.replicas = sd.replicas;
            td.image = sd.image;
            td.env.extend(sd.env);
        }
    });
    assert_eq!(a, t);
    assert_eq!(
        derived, hand,
        "derived {derived} vs hand-written {hand} allocations"
    );
}

fn big_json(entries: usize) -> Value {
    let mut m = serde_json::Map::new();
    for i in 0..entries {
        m.insert(
            format!("item{i:06}"),
            json!({"title": format!("t{i}"), "n": i, "tags": ["a"]}),
        );
    }
    Value::Object(m)
}

fn patch_body() -> Value {
    json!({"item000003": {"title": "new", "n": -1, "x": "y"}, "item000005": null, "added": {"k": [1, 2]}})
}

#[test]
fn json_merge_cost_follows_the_patch() {
    // Once per process, the first merge of JSON objects asks how serde_json orders its
    // maps (a probe map of two keys): not a cost of either patch below.
    conjungo::json::merge_patch(&mut json!({"a": 1, "b": 2}), json!({"a": 3, "b": 4})).unwrap();
    let mut counts = Vec::new();
    for entries in [100, 10_000] {
        let mut target = big_json(entries);
        let body = patch_body();
        let (n, r) = count(|| conjungo::json::merge_patch(&mut target, body));
        r.unwrap();
        counts.push(n);
    }
    assert_eq!(
        counts[0], counts[1],
        "allocations on 100 vs 10 000 entries: {counts:?}"
    );
    assert!(counts[0] < 40, "{counts:?}");
}

#[test]
fn schemaless_patch_cost_follows_the_patch() {
    let mut counts = Vec::new();
    for entries in [100, 10_000] {
        let Ok(bson::Bson::Document(mut stored)) = conjungo::bson::from_json(big_json(entries))
        else {
            panic!("a document")
        };
        let body = patch_body();
        let (n, r) = count(|| patch::apply_document(&mut stored, body, &Options::merge_patch()));
        r.unwrap();
        counts.push(n);
    }
    assert_eq!(
        counts[0], counts[1],
        "allocations on 100 vs 10 000 entries: {counts:?}"
    );
}

#[test]
fn typed_patch_cost_follows_the_patch() {
    use conjungo_suite::catalog::{ServicePatch, svc};
    let mut counts = Vec::new();
    for labels in [100, 10_000] {
        let mut s = svc(1);
        s.labels = (0..labels)
            .map(|i| (format!("l{i}"), format!("v{i}")))
            .collect::<HashMap<_, _>>();
        let body =
            br#"{"name": "x", "labels": {"l3": "new", "l5": null}, "deploy": {"replicas": 4}}"#;
        let (n, r) = count(|| {
            let p: ServicePatch = patch::parse(body)?;
            patch::apply(&mut s, p, &Options::merge_patch())
        });
        r.unwrap();
        counts.push(n);
    }
    assert_eq!(
        counts[0], counts[1],
        "allocations on 100 vs 10 000 labels: {counts:?}"
    );
}

#[test]
fn map_entries_echoed_unchanged_cost_no_allocation() {
    use conjungo_suite::catalog::{ServicePatch, svc};
    // A client that sends back labels it read: entries that do not change record nothing
    // (no key of theirs is copied for a change).
    let mut s = svc(1);
    s.name = "x".into();
    s.labels = (0..50)
        .map(|i| (format!("l{i}"), format!("v{i}")))
        .collect::<HashMap<_, _>>();
    let echo = |n: usize| {
        let labels: serde_json::Map<String, Value> = (0..n)
            .map(|i| (format!("l{i}"), json!(format!("v{i}"))))
            .collect();
        serde_json::to_vec(&json!({"name": "x", "labels": labels})).unwrap()
    };
    let mut counts = Vec::new();
    for n in [1, 20] {
        let p: ServicePatch = patch::parse(&echo(n)).unwrap();
        let (n, r) = count(|| patch::apply(&mut s, p, &Options::merge_patch()));
        assert!(r.unwrap().is_empty());
        counts.push(n);
    }
    assert_eq!(
        counts[0], counts[1],
        "allocations of a patch of 1 vs 20 unchanged entries: {counts:?}"
    );
}

/// Only its patch type is read here.
#[allow(dead_code)]
#[derive(Merge, serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
struct Nested {
    groups: HashMap<String, HashMap<String, String>>,
}

#[test]
fn a_body_of_many_small_maps_takes_no_more_memory_than_its_value() {
    // Maps read as they come may be told to expect a few entries (fewer rehashes): a body
    // of thousands of empty maps, where each such hint would be wasted, must still not take
    // much more memory than parsing it into a `Value` (with a hint for every map, out of a
    // budget of a fifth of the body's bytes, it took 4.2× the `Value`'s peak).
    for (n, inner) in [(20_000, "{}"), (5_000, r#"{"a": "b"}"#)] {
        let members: Vec<String> = (0..n).map(|i| format!(r#""g{i:06}": {inner}"#)).collect();
        let body = format!(r#"{{"groups": {{{}}}}}"#, members.join(","));
        let (value, _) = peak_bytes(|| serde_json::from_slice::<Value>(body.as_bytes()).unwrap());
        let (patch, _) = peak_bytes(|| patch::parse::<NestedPatch>(body.as_bytes()).unwrap());
        assert!(
            patch <= 2 * value,
            "{n} × {inner}: {patch} bytes at most for the patch, {value} for the `Value` \
             ({} bytes of body)",
            body.len()
        );
        // A map patched at the root: its entries, maps themselves, are fields of nothing,
        // and only the budget bounds their hints.
        type Groups = HashMap<String, HashMap<String, String>>;
        let body = format!("{{{}}}", members.join(","));
        let (value, _) = peak_bytes(|| serde_json::from_slice::<Value>(body.as_bytes()).unwrap());
        let (patch, _) = peak_bytes(|| {
            patch::parse::<<Groups as conjungo::patch::Patchable>::Patch>(body.as_bytes()).unwrap()
        });
        assert!(
            patch <= 2 * value,
            "root map, {n} × {inner}: {patch} bytes at most for the patch, {value} for the \
             `Value` ({} bytes of body)",
            body.len()
        );
    }
}
