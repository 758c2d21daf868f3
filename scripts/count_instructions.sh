#!/usr/bin/env bash
# Instruction counts of the Service and scalar merges (deterministic), with callgrind.
# Needs valgrind (`apt-get install valgrind`). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=$(cargo bench --bench service --no-run 2>&1 | sed -n 's/.*Executable benches\/service.rs (\(.*\))/\1/p' | tail -1)
count() {
    CONJUNGO_COUNT=$1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect='*measured_*' "$exe" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "| merge (1 000 times) | instructions | ratio to hand-written |"
echo "|---|---|---|"
hand=$(count hand)
for mode in hand derive merge_crate; do
    n=$(count "$mode")
    echo "| Service: $mode | $n | $(python3 -c "print(f'{$n/$hand:.3f}×')") |"
done
shand=$(count scalars_hand)
for mode in scalars_hand scalars_derive; do
    n=$(count "$mode")
    echo "| $mode | $n | $(python3 -c "print(f'{$n/$shand:.3f}×')") |"
done
