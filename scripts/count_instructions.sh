#!/usr/bin/env bash
# Instruction counts (deterministic, unlike time on a shared machine) of the merges the
# README compares, with callgrind. Needs valgrind (`apt-get install valgrind`) and python3.
# Prints one Markdown table (each row's ratio is to the first row of its block), then one
# machine-readable summary line:
#   scalars=<derive/hand> json_go_vs_rfc=<Go rules/RFC 7396> patch_typed_vs_value=<whole typed
#   request/Value parse> patch_schemaless_vs_value=<whole schemaless request from the
#   bytes (apply_document_slice)/Value parse>
#   service=<derive/hand>
set -euo pipefail
cd "$(dirname "$0")/.."
exe() {
    cargo bench --bench "$1" --no-run 2>&1 | sed -n "s/.*Executable benches\/$1.rs (\(.*\))/\1/p" | tail -1
}
count() {
    CONJUNGO_COUNT=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='*measured_*' "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
ratio() { python3 -c "print(f'{$1/$2:.3f}')"; }
row() { # label count base
    python3 -c "print(f'| $1 | {$2:,} | {$2/$3:.3f}× |')"
}
service=$(exe service)
json=$(exe json)
patches=$(exe patch)
echo "| merge | instructions | ratio to the first of its block |"
echo "|---|---|---|"
base=$(count "$service" hand)
derive=$(count "$service" derive)
row "Service ×1000: hand-written" "$base" "$base"
row "Service ×1000: conjungo derive" "$derive" "$base"
row "Service ×1000: conjungo derive, an unrelated on_type registered" "$(count "$service" derive_registered)" "$base"
row "Service ×1000: merge crate 0.2" "$(count "$service" merge_crate)" "$base"
service_ratio=$(ratio "$derive" "$base")
base=$(count "$service" scalars_hand)
derive=$(count "$service" scalars_derive)
row "8 scalars ×1000: hand-written" "$base" "$base"
row "8 scalars ×1000: conjungo derive (\`merge\`, default options)" "$derive" "$base"
row "8 scalars ×1000: conjungo derive (\`merge_with\`, options at run time)" "$(count "$service" scalars_derive_options)" "$base"
scalars_ratio=$(ratio "$derive" "$base")
base=$(count "$json" json_patch)
rfc=$(count "$json" conjungo_rfc)
go=$(count "$json" conjungo_go)
row "JSON seed 7 ×100: json_patch::merge" "$base" "$base"
row "JSON seed 7 ×100: conjungo, RFC 7396 options" "$rfc" "$base"
row "JSON seed 7 ×100: conjungo, Go conjungo options" "$go" "$base"
row "JSON seed 7 ×100: conjungo, Go conjungo options, two passes (under a \`Box\`)" "$(count "$json" conjungo_go_two_passes)" "$base"
go_ratio=$(ratio "$go" "$rfc")
base=$(count "$json" bson_go_two_passes)
row "JSON seed 7 as bson ×100: conjungo, Go conjungo options, two passes (under a \`Box\`)" "$base" "$base"
row "JSON seed 7 as bson ×100: conjungo, Go conjungo options" "$(count "$json" bson_go)" "$base"
base=$(count "$json" diff_json_patch)
row "JSON seed 7 diff ×100: json_patch::diff (RFC 6902)" "$base" "$base"
row "JSON seed 7 diff ×100: conjungo::json::diff (RFC 7396)" "$(count "$json" diff_conjungo)" "$base"
base=$(count "$patches" schemaless_small)
row "1 KB patch ×100, schemaless: 10 KB document" "$base" "$base"
row "1 KB patch ×100, schemaless: 1 MB document" "$(count "$patches" schemaless_large)" "$base"
base=$(count "$patches" typed_small)
row "1 KB patch ×100, typed: 10 KB document" "$base" "$base"
row "1 KB patch ×100, typed: 1 MB document" "$(count "$patches" typed_large)" "$base"
base=$(count "$patches" value_parse_typed_body)
typed=$(count "$patches" typed_small)
row "1 KB typed request ×100: \`serde_json::from_slice::<Value>\` (the floor)" "$base" "$base"
row "1 KB typed request ×100: \`serde_json::from_slice::<ServicePatch>\`, no gate" "$(count "$patches" serde_patch_type)" "$base"
row "1 KB typed request ×100: patch::parse + patch::apply + update" "$typed" "$base"
typed_ratio=$(ratio "$typed" "$base")
base=$(count "$patches" value_parse_schemaless_body)
schemaless=$(count "$patches" request_schemaless_slice)
row "1 KB schemaless request ×100: \`serde_json::from_slice::<Value>\` (the floor)" "$base" "$base"
row "1 KB schemaless request ×100: from_slice + patch::apply_document + update" "$(count "$patches" request_schemaless)" "$base"
row "1 KB schemaless request ×100: patch::apply_document_slice (one pass) + update" "$schemaless" "$base"
schemaless_ratio=$(ratio "$schemaless" "$base")
echo
echo "scalars=$scalars_ratio json_go_vs_rfc=$go_ratio patch_typed_vs_value=$typed_ratio patch_schemaless_vs_value=$schemaless_ratio service=$service_ratio"
