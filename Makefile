# Jiuzhu — the two commands a newcomer needs:
#   make run    build (release) and serve on http://127.0.0.1:3000 with SQLite and demo data
#   make test   the whole test suite: unit, API (SQLite, and PostgreSQL when
#               TEST_POSTGRES_URL is set), end-to-end in Chromium, and API fuzzing
# Both first run server/scripts/setup.sh, which installs what is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
JIUZHU := $(TARGET_DIR)/release/jiuzhu
ENV := source target/toolchain.env

.PHONY: run test setup setup-e2e build unit-test api-test e2e-test fuzz-test bench bench-http fmt clean

setup:
	bash server/scripts/setup.sh

setup-e2e:
	WITH_E2E=1 bash server/scripts/setup.sh

build: setup
	@$(ENV)
	"$$CARGO_LEPTOS" leptos build --release --precompress --split $$JIUZHU_LEPTOS_ARGS

run: build
	mkdir -p data
	$(JIUZHU) demo --if-empty
	$(JIUZHU) serve

test: setup-e2e
	$(MAKE) --no-print-directory unit-test api-test build e2e-test fuzz-test

unit-test:
	@$(ENV)
	cargo test --locked -p domain
	cargo test --locked -p app --features ssr --lib

api-test:
	@$(ENV)
	if [ -z "$${TEST_POSTGRES_URL:-}" ]; then
		echo "NOTE: TEST_POSTGRES_URL is not set: the PostgreSQL half of the API tests is SKIPPED (SQLite only)."
	else
		echo "API tests run on SQLite and on PostgreSQL ($${TEST_POSTGRES_URL%%@*}@...)."
	fi
	cargo test --locked -p server

e2e-test:
	@$(ENV)
	cd end2end
	JIUZHU_BIN="$(abspath $(JIUZHU))" npx playwright test

# schemathesis against the OpenAPI document, as each role, on the release build.
fuzz-test:
	@$(ENV)
	JIUZHU_BIN="$(abspath $(JIUZHU))" bash server/scripts/fuzz.sh

# Latency figures, not pass/fail: see the README's "Volume data and benchmarks".
bench: setup
	@$(ENV)
	cargo bench --locked -p server --bench case_list

# Throughput through the real server next to a bare axum route, and the first load.
bench-http: build
	@$(ENV)
	JIUZHU_BIN="$(abspath $(JIUZHU))" bash server/scripts/bench-http.sh

fmt:
	cargo fmt --all

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results
