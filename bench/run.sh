#!/usr/bin/env bash
# End-to-end benchmark (not a test): generates ROWS rows of synthetic daily bars, then
# times `stocklake run` on them into a fresh lake and prints rows/s and peak RSS.
# Usage: bench/run.sh [ROWS] (default 20,000,000). Needs a Release build at build/.
set -euo pipefail
rows=${1:-20000000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=${BENCH_DIR:-/tmp/stocklake-bench}
days=2520                                   # ten years of trading days per ticker
tickers=$(( (rows + days - 1) / days ))
data=$work/data-$rows
mkdir -p "$work"
if [ ! -d "$data" ]; then
  echo "generating $tickers tickers x $days days into $data"
  /usr/bin/time -f "generate: %e s, peak RSS %M KiB" "$bin" generate --tickers "$tickers" --days "$days" --seed 42 --bad-rows 0.001 --out "$data"
fi
input_bytes=$(du -sb "$data" | cut -f1)
rm -rf "$work/lake"
sync
echo "running stocklake run on $(( input_bytes / 1048576 )) MiB of input"
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" run --input "$data" --lake "$work/lake" --store none --quiet | tee "$work/summary.txt"
read -r seconds rss_kib < "$work/time.txt"
read_rows=$(grep -oP '^rows\s+\K[0-9]+' "$work/summary.txt")
echo "---"
printf "rows read     %d\n" "$read_rows"
printf "wall seconds  %.2f\n" "$seconds"
awk -v r="$read_rows" -v s="$seconds" 'BEGIN { printf "rows/s        %.0f\n", r / s }'
awk -v k="$rss_kib" 'BEGIN { printf "peak RSS      %.0f MiB\n", k / 1024 }'
printf "lake size     %s\n" "$(du -sh "$work/lake" | cut -f1)"
