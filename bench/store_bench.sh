#!/usr/bin/env bash
# Serving-store benchmark (not a test): builds bench/store_bench.cc (target store_bench)
# in a Release build, makes a lake of ROWS generated bars with the real binary, starts a throwaway
# PostgreSQL (default settings, fsync on) and measures load rates and query latency
# into PostgreSQL, then into SQLite. STORE_BENCH_CONNECTIONS=N sets the whole sync's
# connections (default 2). The machine's load average matters: report it with the figures.
# Usage: bench/store_bench.sh [ROWS] (default 4,000,000). BUILD=build dir (default build).
set -euo pipefail
rows=${1:-4000000}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$here/build}
work=${BENCH_DIR:-/tmp/stocklake-store-bench}
days=2520
tickers=$(( (rows + days - 1) / days ))
mkdir -p "$work"
cmake --build "$build" -j2 --target stocklake store_bench >/dev/null
if [ ! -d "$work/lake-$rows" ]; then
  "$build/stocklake" generate --tickers "$tickers" --days "$days" --seed 42 --bad-rows 0.001 --out "$work/data-$rows"
  "$build/stocklake" run --input "$work/data-$rows" --lake "$work/lake-$rows" --quiet >/dev/null
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$(mktemp -d); chown postgres:postgres "$pgdir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir" start >/dev/null
trap 'as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null; rm -rf "$pgdir"' EXIT
as_pg "$pgbin/createdb" -h "$pgdir" -p "$port" -U postgres bars_only
as_pg "$pgbin/createdb" -h "$pgdir" -p "$port" -U postgres full
url=postgresql://postgres@127.0.0.1:$port
echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), lake of $rows generated bars, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/store_bench" "$work/lake-$rows" "$url/bars_only" "$url/full"
echo "== SQLite"
rm -f "$work"/sqlite-*.db*
"$build/store_bench" "$work/lake-$rows" "sqlite:$work/sqlite-bars.db" "sqlite:$work/sqlite-full.db"
