#!/usr/bin/env bash
# The quarterly ML application's benchmark (not a test): on the benchmark lake of
# bench/run.sh (ROWS rows, ten years per ticker), times `stocklake run` (which writes
# gold/ml_features with the other gold tables), then a walk-forward backtest over every
# quarter and ticker of the lake (spec features, then all features) and one `train`, each
# with its peak RSS.
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
# Every quarter of the lake (40 for ten years): the first has nothing to learn from and is
# skipped, the last has no realised labels yet.
for set in spec all; do
  echo "backtest $first..$last, --features $set"
  /usr/bin/time -f "backtest ($set): %e s wall, peak RSS %M KiB" "$bin" backtest --lake "$lake" --store none --quiet \
    --features "$set" --from "$first" --to "$last" | tail -4
done
/usr/bin/time -f "train: %e s wall, peak RSS %M KiB" "$bin" train --lake "$lake" --store none --quarter "$last" | tail -2
