#!/usr/bin/env bash
# The quarterly ML application's benchmark (not a test): on the benchmark lake of
# bench/run.sh (ROWS rows, ten years per ticker), times `stocklake run` (which writes
# gold/ml_features with the other gold tables), then a 40-quarter walk-forward backtest
# over every ticker and one `train`, each with its peak RSS.
# Usage: bench/ml.sh [ROWS] (default 20,000,000). Needs a Release build at build/.
# A/B of the features' share of `run`: STOCKLAKE_BIN=/path/to/older/stocklake bench/run.sh.
set -euo pipefail
rows=${1:-20000000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=${BENCH_DIR:-/tmp/stocklake-bench}
"$here/bench/run.sh" "$rows"
lake=$work/lake
features=$(node "$here/tests/node/duckdb_query.mjs" \
  "SELECT count(*) AS n, min(quarter) AS first, max(quarter) AS last FROM read_parquet('$lake/gold/ml_features/*.parquet')")
echo "gold/ml_features: $features"
first=$(echo "$features" | grep -oP '"first":"\K[0-9Q]+')
last=$(echo "$features" | grep -oP '"last":"\K[0-9Q]+')
# 40 quarters ending at the newest with labels (the quarter before the last).
to_year=${last:0:4}; to_q=${last:5:1}
if [ "$to_q" -eq 1 ]; then to_year=$((to_year - 1)); to_q=4; else to_q=$((to_q - 1)); fi
from_index=$(( to_year * 4 + to_q - 1 - 39 ))
from="$(( from_index / 4 ))Q$(( from_index % 4 + 1 ))"
echo "backtest $from..${to_year}Q$to_q (lake: $first..$last), threads ${THREADS:-2}"
/usr/bin/time -f "backtest: %e s wall, peak RSS %M KiB" "$bin" backtest --lake "$lake" --store none --quiet \
  --threads "${THREADS:-2}" --from "$from" --to "${to_year}Q$to_q" | tail -4
/usr/bin/time -f "train: %e s wall, peak RSS %M KiB" "$bin" train --lake "$lake" --store none \
  --threads "${THREADS:-2}" --quarter "${to_year}Q$to_q" | tail -2
