#!/usr/bin/env bash
# Installs the Debian packages and npm test tools stocklake needs. Idempotent: when
# everything is present it only checks and returns in well under a second.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config git
  clang-format        # `make format-check` (CI) and `make format`
  libgtest-dev libgmock-dev
  libzstd-dev libsnappy-dev zlib1g-dev
  libsimdjson-dev libcli11-dev libfmt-dev nlohmann-json3-dev libxxhash-dev
  librdkafka-dev libpq-dev libsqlite3-dev libcurl4-openssl-dev
  postgresql          # server binaries for the store tests (apt starts no service here)
  libcpp-httplib-dev prometheus-cpp-dev libssl-dev  # the REST API (src/serve)
  libyaml-cpp-dev     # pipeline definitions (src/orchestrate)
  libxgboost-dev      # the quarterly model (src/ml); --no-install-recommends keeps R out
  libhowardhinnant-date-dev tzdata  # IANA time zones for the pipeline's cron (src/orchestrate)
  wrk prometheus      # API benchmark; the Prometheus scrape test, promtool for deploy/prometheus
  docker-compose yamllint  # checkers of deploy/ (deploy_files_test): `docker-compose config`, yamllint
  chromium            # the dashboard's browser test (driven by playwright-core)
)
# Node.js may come from elsewhere (NodeSource bundles npm and conflicts with Debian's
# npm package): install Debian's only when the commands are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test tools from npm: DuckDB reads our Parquet files in the integration tests.
# playwright-core drives chromium in the dashboard's browser test.
if [ ! -d "$here/tests/node/node_modules/@duckdb/node-api" ] ||
   [ ! -d "$here/tests/node/node_modules/playwright-core" ]; then
  echo "install-deps: npm install in tests/node"
  (cd "$here/tests/node" && npm install --no-audit --no-fund --loglevel=error)
fi

# The dashboard's build tools (vite, TypeScript, lightweight-charts), pinned by web/'s lock file.
if [ ! -d "$here/web/node_modules/vite" ]; then
  echo "install-deps: npm ci in web"
  (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error)
fi
