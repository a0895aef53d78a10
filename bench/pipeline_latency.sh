#!/usr/bin/env bash
# The scheduler's fire-to-start latency (not a test): `stocklake scheduler` on a 6-field
# schedule firing every second, for SECONDS seconds; then, from the run history, how long
# after each fire time its task's process was started (started_ms - fire time), as
# min / median / p99 / max in milliseconds. The target (issue #12): every task within 100 ms.
# Usage: bench/pipeline_latency.sh [SECONDS] (default 30). Needs build/stocklake and jq.
set -euo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${STOCKLAKE_BIN:-$here/build/stocklake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/p.yaml" <<YAML
name: latency
schedule: "* * * * * *"
timezone: Europe/Berlin
lake: $work/lake
tasks:
  tick: {exec: ["true"]}
YAML
"$bin" scheduler --quiet --config "$work/p.yaml" &
pid=$!
sleep "$seconds"
kill -TERM "$pid"
wait "$pid"
"$bin" pipeline history --json --limit 100000 --config "$work/p.yaml" |
  jq -r '.[] | select(.state == "succeeded") |
         (.tasks[0].attempts[0].started_ms - ((.fire_time | sub("Z$"; "") | strptime("%Y-%m-%dT%H:%M:%S") | mktime) * 1000))' |
  sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "no runs"; exit 1 }
    p99 = v[int((NR - 1) * 0.99) + 1]
    printf "runs %d: fire -> task start min %d ms, median %d ms, p99 %d ms, max %d ms\n", NR, v[1], v[int((NR + 1) / 2)], p99, v[NR]
  }'
skipped=$("$bin" pipeline history --json --limit 100000 --config "$work/p.yaml" | jq '[.[] | select(.state == "skipped")] | length')
echo "skipped fire times: $skipped"
