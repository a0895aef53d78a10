#!/usr/bin/env bash
# Cost that follows the work (issue #14), not a test. Generates ROWS rows of synthetic
# daily bars plus DAYS later days for every ticker, then times, each on a fresh copy of
# the lake of the first ROWS rows:
#   full       `stocklake run` of the ROWS rows into an empty lake (the reference);
#   append     the DAYS new days of every ticker (files holding only them);
#   redeliver  the whole files again with the new days (the data set downloaded anew):
#              every old row is unchanged, the new ones are new.
# Prints wall seconds, peak RSS and each against the full run. Targets: append <= 10% of
# the full run, redeliver <= 50% with peak RSS under 1.5 GB.
# Usage: bench/append.sh [ROWS] [DAYS] (default 20,000,000 and 15). Needs a Release build.
set -euo pipefail
rows=${1:-20000000}
new_days=${2:-15}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=${BENCH_DIR:-/tmp/stocklake-append-bench}
days=2520
tickers=$(( (rows + days - 1) / days ))
data=$work/data-$rows-$new_days
mkdir -p "$work"
if [ ! -d "$data/all" ]; then
  echo "generating $tickers tickers x $(( days + new_days )) days into $data"
  "$bin" generate --tickers "$tickers" --days $(( days + new_days )) --seed 42 --bad-rows 0.001 --out "$data/all" > /dev/null
fi
if [ ! -d "$data/new" ]; then
  # base: each file's first $days rows; new: its header and the later days. A row of the
  # same date as the last base row stays in base (the generator writes some dates twice,
  # a bad row then the real one): the new delivery holds only new days.
  (cd "$data/all" && find . -type d) | while read -r d; do mkdir -p "$data/base/$d" "$data/new/$d"; done
  (cd "$data/all" && find . -type f -name '*.txt' -print0 | xargs -0 awk -v base="$data/base" -v new="$data/new" -v keep="$days" '
    FNR == 1 { if (b != "") { close(b); close(n) } b = base "/" FILENAME; n = new "/" FILENAME; print > b; print > n; in_base = 1; next }
    { date = substr($0, 1, 10) }
    FNR <= keep + 1 || (in_base && date == previous) { print > b; previous = date; next }
    { in_base = 0; print > n }')
fi

# Runs `stocklake run` with the given inputs on lake $1; prints "seconds rss_kib".
timed_run() {
  local lake=$1
  shift
  local args=()
  for input in "$@"; do args+=(--input "$input"); done
  sync
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" run "${args[@]}" --lake "$lake" --store none --quiet \
    > "$work/summary.txt"
  cat "$work/time.txt"
}

rm -rf "$work/lake-base" "$work/lake"
read -r full_s full_kib < <(timed_run "$work/lake-base" "$data/base")
printf "full       %7.2f s  peak RSS %5d MiB  (%s)\n" "$full_s" $(( full_kib / 1024 )) \
  "$(grep -oP '^rows\s+\K[0-9]+' "$work/summary.txt") rows"

# Runs LABEL's delivery INPUT on a copy of the base lake and reports it against the full run.
run_on_copy() {
  local label=$1 input=$2 seconds kib
  rm -rf "$work/lake"
  cp -a "$work/lake-base" "$work/lake"
  read -r seconds kib < <(timed_run "$work/lake" "$input")
  printf "%-10s %7.2f s  peak RSS %5d MiB  %5.1f%% of full  (%s)\n" "$label" "$seconds" $(( kib / 1024 )) \
    "$(awk -v a="$seconds" -v f="$full_s" 'BEGIN { print 100 * a / f }')" \
    "$(grep -oE 'accepted: [0-9]+ new, [0-9]+ revised, [0-9]+ unchanged' "$work/summary.txt")"
  grep -E '^buckets' "$work/summary.txt" || true
  rm -rf "$work/lake"
}

run_on_copy append "$data/new"
run_on_copy redeliver "$data/all"
