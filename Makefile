# stocklake: `make demo` and `make test` are the two commands a new machine needs.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
# Extra CMake options, applied to the build directory on every build (CI: -DSTOCKLAKE_WERROR=ON).
CMAKE_ARGS ?=
DEMO_DIR ?= demo

.PHONY: deps build program test demo asan bench clean web format format-check test-unit

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: deps web $(BUILD_DIR)/CMakeCache.txt
	$(if $(CMAKE_ARGS),cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS) > /dev/null)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# The dashboard (web/dist, served by `stocklake serve` at /): rebuilt only when a source
# is newer than the built index.html.
WEB_SOURCES := $(wildcard web/src/* web/index.html web/vite.config.ts web/package-lock.json)
web: web/dist/index.html

web/dist/index.html: $(WEB_SOURCES) | deps
	cd web && npx --no-install vite build --logLevel warn
	@touch $@

# Just the program (the demo needs no test binaries).
program: deps web $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS) --target stocklake

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# The fast suite (`ctest -L unit`, under a minute): single modules, no servers.
test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -L unit

# Generates a sample dataset (with bad rows of every kind), runs the whole batch on the
# embedded defaults, runs it again to show it is idempotent, reads a table back, then
# backtests the quarterly model, then runs the quarterly pipeline (deploy/quarterly.yaml)
# once for the newest quarter: ingest, store, train, predict, report.
demo: program
	rm -rf $(DEMO_DIR)
	$(BUILD_DIR)/stocklake generate --tickers 40 --days 1260 --seed 7 --bad-rows 0.01 --out $(DEMO_DIR)/data
	$(BUILD_DIR)/stocklake run --input $(DEMO_DIR)/data --lake $(DEMO_DIR)/lake
	@echo "--- rerun on the same input (idempotent) ---"
	$(BUILD_DIR)/stocklake run --input $(DEMO_DIR)/data --lake $(DEMO_DIR)/lake
	@echo "--- read back with DuckDB ---"
	@node tests/node/duckdb_query.mjs "SELECT ticker, period_start, period_end, round(close, 2) AS close, round(\"return\", 4) AS ret FROM read_parquet('$(DEMO_DIR)/lake/gold/bars_quarterly/*.parquet') ORDER BY ticker, period_start DESC LIMIT 5"
	@echo
	@echo "--- the quarterly model: walk-forward backtest ---"
	$(BUILD_DIR)/stocklake backtest --lake $(DEMO_DIR)/lake --from 2015Q1 --to 2017Q3 --quiet --rounds 100
	@echo
	@echo "--- the quarterly pipeline (deploy/quarterly.yaml with the demo's paths): one run of 2017Q4 ---"
	sed -e 's#/data/lake#$(abspath $(DEMO_DIR))/lake#' -e 's#/data/incoming#$(abspath $(DEMO_DIR))/data#' deploy/quarterly.yaml > $(DEMO_DIR)/quarterly.yaml
	$(BUILD_DIR)/stocklake pipeline run --config $(DEMO_DIR)/quarterly.yaml --quarter 2017Q4
	$(BUILD_DIR)/stocklake pipeline history --config $(DEMO_DIR)/quarterly.yaml
	@echo "--- what the train and report tasks printed (their attempt logs) ---"
	@cat $(DEMO_DIR)/lake/_stocklake/pipeline/logs/*/train.1.log $(DEMO_DIR)/lake/_stocklake/pipeline/logs/*/report.1.log
	$(BUILD_DIR)/stocklake pipeline next --config $(DEMO_DIR)/quarterly.yaml -n 4
	@echo
	@echo "--- browse it: $(BUILD_DIR)/stocklake serve --lake $(DEMO_DIR)/lake --listen 127.0.0.1:8080 --allow-anonymous"
	@echo "    then open http://127.0.0.1:8080/ (dashboard) or /api/v1/openapi.json"

asan:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Asan

bench: program
	bench/run.sh 20000000

clean:
	rm -rf $(BUILD_DIR) build-asan $(DEMO_DIR)

# C++ sources follow .clang-format; CI fails on any difference (`make format` fixes it).
FORMAT_SOURCES = $(shell git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 'bench/*.h' 'fuzz/*.cc' 'fuzz/*.h')
format:
	clang-format -i $(FORMAT_SOURCES)

format-check: deps
	@clang-format --dry-run --Werror $(FORMAT_SOURCES)
