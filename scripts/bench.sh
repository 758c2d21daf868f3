#!/usr/bin/env bash
# Run the criterion benches (a few minutes) and print the README's table from their results.
# Usage: scripts/bench.sh            (needs python3 for the table)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench service --bench json --bench patch "$@"
python3 scripts/bench_table.py
