#!/usr/bin/env bash
# The speed layer end to end (not a test): EVENTS synthetic trades of SYMBOLS symbols are
# published to the embedded log, then `stocklake stream --once` folds them into windows and
# commits intraday_bars to the embedded SQLite store. Prints publish and stream wall times
# and the stream's events/s (log -> SQLite), with peak RSS. The target (issue #13): >= 1M
# events/s from the embedded log to SQLite.
# Usage: bench/stream_e2e.sh [EVENTS] [SYMBOLS] (default 5,000,000 and 2,000).
set -euo pipefail
events=${1:-5000000}
symbols=${2:-2000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate-trades --out "$work/trades.jsonl" --events "$events" --symbols "$symbols" --seed 1 \
  --rate 100000 --late 0.01 --bad 0.001 > /dev/null
/usr/bin/time -f "publish: %e s wall, peak RSS %M KiB" "$bin" publish --lake "$work/lake" --topic trades \
  --input "$work/trades.jsonl" > /dev/null
start=$(date +%s.%N)
/usr/bin/time -f "stream --once: %e s wall, peak RSS %M KiB" "$bin" stream --lake "$work/lake" --once 2>&1 | tail -2
end=$(date +%s.%N)
awk -v n="$events" -v s="$start" -v e="$end" 'BEGIN { printf "log -> SQLite: %.0f events/s (%d events in %.2f s)\n", n / (e - s), n, e - s }'
