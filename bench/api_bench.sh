#!/usr/bin/env bash
# REST API latency under load (issue #5): wrk on loopback asks for one ticker's year of
# daily bars (JSON, with a bearer token) at about RATE requests/s and reports the latency
# percentiles. Debian's wrk has no fixed-rate mode (wrk2's -R), so each connection waits
# CONNECTIONS/RATE seconds between requests via wrk's Lua delay() hook.
#   bench/api_bench.sh [BUILD_DIR] [RATE] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
rate=${2:-1000}
seconds=${3:-15}
connections=8
bin=$build/stocklake
command -v wrk >/dev/null || { echo "api_bench: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "api_bench: no binary at $bin (build first)" >&2; exit 2; }

work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" generate --tickers 50 --days 1500 --seed 5 --out "$work/in" >/dev/null
"$bin" run --quiet --input "$work/in" --lake "$work/lake" >/dev/null
token=$("$bin" token create --lake "$work/lake" --role viewer --name bench 2>/dev/null)
"$bin" serve --lake "$work/lake" --listen 127.0.0.1:0 --rate-limit 0 >"$work/serve.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" && break; sleep 0.05; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/serve.out" | head -1)
base="http://127.0.0.1:$port"

# The first ticker and the last year of its bars.
tickers=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/tickers?limit=1")
ticker=$(echo "$tickers" | sed -n 's/.*"ticker":"\([^"]*\)".*/\1/p')
last=$(echo "$tickers" | sed -n 's/.*"last_date":"\([^"]*\)".*/\1/p')
first=$(date -u -d "$last - 1 year + 1 day" +%F)
path="/api/v1/tickers/$ticker/bars?from=$first&to=$last"
rows=$(curl -sf -H "Authorization: Bearer $token" "$base$path" | grep -o '"date"' | wc -l)
bytes=$(curl -sf -H "Authorization: Bearer $token" "$base$path" | wc -c)
echo "api_bench: GET $path -> $rows rows, $bytes bytes of JSON"

# wrk waits delay() after each answer, so the pause is the period minus the service time,
# measured first by wrk itself on one connection for 2 s.
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
service_ms=$(wrk -t1 -c1 -d2s -s "$work/auth.lua" "$base$path" | awk '/Latency/ {
  v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else { sub(/s$/, "", v); v *= 1000 }
  printf "%.3f", v; exit }')
delay_ms=$(awk -v c=$connections -v r="$rate" -v s="$service_ms" 'BEGIN { d = c * 1000 / r - s; printf "%.3f", (d > 0 ? d : 0) }')
echo "api_bench: sequential service time ${service_ms} ms per request"
cat >"$work/pace.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
function delay() return $delay_ms end
LUA
echo "api_bench: target $rate req/s: $connections connections, ${delay_ms} ms between requests each, ${seconds} s"
wrk -t2 -c$connections -d${seconds}s --latency -s "$work/pace.lua" "$base$path"
