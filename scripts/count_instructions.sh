#!/usr/bin/env bash
# Instruction counts (deterministic, unlike time on a shared machine) of the merges the
# README compares, with callgrind. Needs valgrind (`apt-get install valgrind`) and python3.
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
exe() {
    cargo bench --bench "$1" --no-run 2>&1 | sed -n "s/.*Executable benches\/$1.rs (\(.*\))/\1/p" | tail -1
}
count() {
    CONJUNGO_COUNT=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='*measured_*' "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
row() { # label count base
    python3 -c "print(f'| $1 | {$2:,} | {$2/$3:.3f}× |')"
}
service=$(exe service)
json=$(exe json)
patches=$(exe patch)
echo "| merge | instructions | ratio to the first of its block |"
echo "|---|---|---|"
base=$(count "$service" hand)
row "Service ×1000: hand-written" "$base" "$base"
row "Service ×1000: conjungo derive" "$(count "$service" derive)" "$base"
row "Service ×1000: conjungo derive, an unrelated on_type registered" "$(count "$service" derive_registered)" "$base"
row "Service ×1000: merge crate 0.2" "$(count "$service" merge_crate)" "$base"
base=$(count "$service" scalars_hand)
row "8 scalars ×1000: hand-written" "$base" "$base"
row "8 scalars ×1000: conjungo derive" "$(count "$service" scalars_derive)" "$base"
base=$(count "$json" json_patch)
row "JSON seed 7 ×100: json_patch::merge" "$base" "$base"
row "JSON seed 7 ×100: conjungo, RFC 7396 options" "$(count "$json" conjungo_rfc)" "$base"
row "JSON seed 7 ×100: conjungo, Go conjungo options" "$(count "$json" conjungo_go)" "$base"
base=$(count "$json" diff_json_patch)
row "JSON seed 7 diff ×100: json_patch::diff (RFC 6902)" "$base" "$base"
row "JSON seed 7 diff ×100: conjungo::json::diff (RFC 7396)" "$(count "$json" diff_conjungo)" "$base"
base=$(count "$patches" schemaless_small)
row "1 KB patch ×100, schemaless: 10 KB document" "$base" "$base"
row "1 KB patch ×100, schemaless: 1 MB document" "$(count "$patches" schemaless_large)" "$base"
base=$(count "$patches" typed_small)
row "1 KB patch ×100, typed: 10 KB document" "$base" "$base"
row "1 KB patch ×100, typed: 1 MB document" "$(count "$patches" typed_large)" "$base"
