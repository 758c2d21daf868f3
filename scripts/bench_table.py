"""Print a Markdown table of criterion medians (target/criterion), each row with its ratio
to the first benchmark of its group (the baseline: hand-written code or the competitor)."""
import json, os, sys

ROOT = os.path.join("target", "criterion")
GROUPS = [
    ("service", ["hand-written", "conjungo derive", "conjungo derive, unrelated on_type registered", "merge crate 0.2"]),
    ("scalars", ["hand-written", "conjungo derive", "conjungo derive, merge_with (options at run time)"]),
    ("json seed 7 (RFC 7396)", ["json_patch__merge (borrows the patch, clones what it inserts)",
                                "conjungo__json__merge_patch (moves the patch)",
                                "conjungo__json__merge_patch, patch cloned inside the timing"]),
    ("json seed 7 (Go conjungo rules)", ["conjungo__merge, default options",
                                         "conjungo__merge, two passes (under a Box)"]),
    ("patch schemaless (1 KB patch)", ["10 KB document", "1 MB document"]),
    ("patch typed (1 KB patch)", ["10 KB document", "1 MB document"]),
    ("json seed 7 diff", ["json_patch__diff (RFC 6902 operations)",
                          "conjungo__json__diff (RFC 7396 merge patch)"]),
    ("patch request (1 KB body)", ["typed: serde_json::from_slice::<Value>",
                                   "typed: serde_json::from_slice::<ServicePatch>, no gate",
                                   "typed: patch::parse + patch::apply + update"]),
    ("patch request (1 KB body)", ["schemaless: serde_json::from_slice::<Value>",
                                   "schemaless: from_slice + patch::apply_document + update",
                                   "schemaless: patch::apply_document_slice (one pass) + update"]),
]

def sanitized(name):
    """The directory name criterion gives a benchmark id."""
    return "".join("_" if c in '?"/\\*<>:|^' else c for c in name)

def median(group, bench):
    for g in (group, group.replace(" ", "_"), sanitized(group)):
        for b in (bench, bench.replace(" ", "_"), bench.replace("::", "__"), sanitized(bench)):
            p = os.path.join(ROOT, g, b, "new", "estimates.json")
            if os.path.exists(p):
                with open(p) as f:
                    return json.load(f)["median"]["point_estimate"]
    return None

def fmt(ns):
    if ns >= 1e6: return f"{ns/1e6:.2f} ms"
    if ns >= 1e3: return f"{ns/1e3:.2f} µs"
    return f"{ns:.1f} ns"

print("| group | benchmark | median | ratio to the first row |")
print("|---|---|---|---|")
for group, benches in GROUPS:
    base = None
    for bench in benches:
        m = median(group, bench)
        if m is None:
            print(f"| {group} | {bench} | (not run) | |", file=sys.stdout)
            continue
        base = base or m
        name = bench.replace('__', '::')
        # Generic arguments in backticks: rustdoc reads a bare `<Value>` as an HTML tag.
        if "<" in name:
            head, _, code = name.partition(": ")
            name = f"{head}: `{code}`" if code else f"`{name}`"
        print(f"| {group} | {name} | {fmt(m)} | {m/base:.2f}× |")
