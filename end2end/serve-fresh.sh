#!/usr/bin/env bash
# Serves the built app on a fresh SQLite database with demo data, for the end-to-end tests.
# Every demo account gets the password in E2E_PASSWORD (see tests/helpers.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-3411}
bin=${JIUZHU_BIN:-target/release/jiuzhu}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export DATABASE_URL="sqlite:$dir/e2e.db"
"$bin" demo --password "${E2E_PASSWORD:-e2e-demo-password}" > /dev/null
RUST_LOG=${RUST_LOG:-warn} exec "$bin" serve --addr "127.0.0.1:$port" --site-root target/site
