#!/usr/bin/env bash
# Side-by-side benchmark (not a test; issue #6): the reference job
# (shared/spec/reference-job.md) done by `stocklake run`, by DuckDB (SQL, window functions)
# and by Polars, each from the raw files `stocklake generate` writes to Parquet outputs of
# the same tables. Runs alternate engine by engine (A B C A B C ...); the script then checks
# that the three agree on the numbers and prints wall seconds (median of RUNS) and peak RSS
# per engine, with the floor: reading the input bytes once.
# Usage: bench/compare.sh [ROWS] (default 20,000,000)
# Environment: STOCKLAKE_BIN (default build/stocklake, a Release build), BENCH_DIR (default
# /tmp/stocklake-compare), RUNS (default 3), ENGINES (default "stocklake duckdb polars"),
# DROP_CACHES=1 to drop the page cache before every run (needs root; default: warm cache).
set -euo pipefail
rows=${1:-20000000}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=${BENCH_DIR:-/tmp/stocklake-compare}
runs=${RUNS:-3}
engines=${ENGINES:-stocklake duckdb polars}
drop_caches=${DROP_CACHES:-0}
tools=$here/bench/compare
days=2520                                   # ten years of trading days per ticker, as bench/run.sh
tickers=$(( (rows + days - 1) / days ))
data=$work/data-$rows

[ -x "$bin" ] || { echo "compare.sh: no stocklake binary at $bin: build it (cmake --build build --target stocklake) or set STOCKLAKE_BIN" >&2; exit 2; }
command -v node > /dev/null || { echo "compare.sh: node is not installed (make demo installs it)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "compare.sh: /usr/bin/time is missing: apt-get install time" >&2; exit 2; }
if [ ! -d "$tools/node_modules" ]; then
  echo "installing the peer engines (npm ci in bench/compare)"
  (cd "$tools" && npm ci --no-audit --no-fund > /dev/null)
fi

mkdir -p "$work"
if [ ! -d "$data" ]; then
  echo "generating $tickers tickers x $days days into $data"
  "$bin" generate --tickers "$tickers" --days "$days" --seed 42 --bad-rows 0.001 --out "$data"
fi
input_bytes=$(du -sb "$data" | cut -f1)
input_files=$(find "$data" -type f | wc -l)

# /usr/bin/time -v's wall clock (h:mm:ss.ss or m:ss.ss) in seconds, and peak RSS in KiB.
time_fields() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + t[i]; wall = s }
              /Maximum resident set size/ { rss = $2 }
              END { printf "%.2f %d\n", wall, rss }' "$1"
}

command_for() {
  case "$1" in
    stocklake) echo "$bin run --input $data --lake $work/lake --store none --quiet" ;;
    duckdb)    echo "node $tools/duckdb_job.mjs $data $work/out-duckdb" ;;
    polars)    echo "node --expose-gc $tools/polars_job.mjs $data $work/out-polars" ;;
    floor)     echo "find $data -type f -exec cat {} +" ;;
    *) echo "compare.sh: unknown engine '$1' (known: stocklake duckdb polars)" >&2; exit 2 ;;
  esac
}

clear_outputs() { rm -rf "$work/lake" "$work/out-duckdb" "$work/out-polars"; }

settle() {
  sync
  if [ "$drop_caches" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
results=$work/results.tsv
: > "$results"
cache_note="warm page cache (input read once before the runs)"
if [ "$drop_caches" = 1 ]; then cache_note="cold page cache (dropped before every run)"; fi
# Warm the cache once so that no engine pays for the first read (unless caches are dropped).
command_for floor | sh > /dev/null

echo "input: $input_files files, $(( input_bytes / 1048576 )) MiB, $cache_note, load average $load_before"
for run in $(seq 1 "$runs"); do
  for engine in floor $engines; do
    clear_outputs
    settle
    log=$work/$engine-$run.time
    out=$work/$engine-$run.out
    if ! /usr/bin/time -v -o "$log" sh -c "$(command_for "$engine")" > "$out" 2>&1; then
      echo "compare.sh: $engine failed in run $run:" >&2
      tail -20 "$out" >&2
      exit 1
    fi
    read -r seconds rss_kib < <(time_fields "$log")
    printf '%s\t%s\t%s\t%s\n' "$engine" "$run" "$seconds" "$rss_kib" >> "$results"
    printf 'run %d  %-9s %8.2f s  %6d MiB\n' "$run" "$engine" "$seconds" $(( rss_kib / 1024 ))
    # Keep the last run's outputs of every engine for the agreement check.
    if [ "$run" = "$runs" ]; then
      case "$engine" in
        stocklake) rm -rf "$work/keep-lake"; mv "$work/lake" "$work/keep-lake" ;;
        duckdb|polars) rm -rf "$work/keep-$engine"; mv "$work/out-$engine" "$work/keep-$engine" ;;
      esac
    fi
  done
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

read_rows=$(grep -oP '^rows\s+\K[0-9]+' "$work/stocklake-$runs.out" || echo "$rows")

echo
echo "agreement with stocklake (last run's outputs):"
peers=()
for engine in $engines; do
  [ "$engine" = stocklake ] || peers+=("$engine=$work/keep-$engine")
done
agreement=ok
if [ "${#peers[@]}" -gt 0 ] && [ -d "$work/keep-lake" ]; then
  node "$tools/agreement.mjs" "$work/keep-lake" "${peers[@]}" || agreement=DISAGREE
fi

echo
noisy=""
awk -v a="$load_before" -v b="$load_after" 'BEGIN { exit !(a > 0.5 || b > 0.5) }' && noisy=" (NOISY: load average $load_before before, $load_after after)"
echo "$rows rows requested, $read_rows read; $runs runs, $cache_note$noisy"
echo
echo "| engine | rows | wall s (median of $runs) | wall s (min) | peak RSS MiB (max) | ratio to stocklake |"
echo "|---|---|---|---|---|---|"
awk -F'\t' -v rows="$read_rows" -v order="floor $engines" '
  { wall[$1] = wall[$1] " " $3; if ($4 > rss[$1]) rss[$1] = $4 }
  function median(list,   v, n, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function minimum(list,   v, n, i, m) { n = split(list, v, " "); m = v[1]; for (i = 2; i <= n; ++i) if (v[i] + 0 < m + 0) m = v[i]; return m }
  END {
    n = split(order, names, " ")
    base = ("stocklake" in wall) ? median(wall["stocklake"]) : 0
    for (i = 1; i <= n; ++i) {
      e = names[i]; if (!(e in wall)) continue
      m = median(wall[e])
      label = e == "floor" ? "floor: read the input bytes once (cat)" : e
      ratio = base > 0 ? sprintf("%.2f", m / base) : "-"
      printf "| %s | %d | %.2f | %.2f | %.0f | %s |\n", label, rows, m, minimum(wall[e]), rss[e] / 1024, ratio
    }
  }' "$results"
echo
echo "agreement: $agreement; per-run figures in $results"
[ "$agreement" = ok ]
