#!/usr/bin/env bash
# Throughput and latency through the real server, figures only (not a test):
# case-list reads (the API and the server-rendered page) and visit writes, on
# SQLite and on PostgreSQL (when TEST_POSTGRES_URL is set), each next to a bare
# axum route measured in the same run as the ceiling, then the first-load
# transfer of the login page as a browser receives it (compressed), and Lighthouse's mobile
# scores of the login page, the case list and a case page with its visit form.
#
#   server/scripts/bench-http.sh          (make bench-http)
#   BENCH_SECONDS=10 BENCH_CONNECTIONS=16 BENCH_VOLUME=10000 LIGHTHOUSE_RUNS=5 server/scripts/bench-http.sh
#
# Needs the release build (make build), wrk and jq (installed from Debian if
# missing), and Lighthouse from end2end/node_modules (make setup-e2e).
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET=${CARGO_TARGET_DIR:-target}
JIUZHU=${JIUZHU_BIN:-$TARGET/release/jiuzhu}
SITE=${JIUZHU_SITE_ROOT:-target/site}
SECONDS_EACH=${BENCH_SECONDS:-8}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
VOLUME=${BENCH_VOLUME:-10000}
PASSWORD=bench-demo-password

sudo_if() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
for tool in wrk jq; do
    command -v $tool > /dev/null || sudo_if apt-get install -y -qq --no-install-recommends $tool > /dev/null
done
[ -x "$JIUZHU" ] || { echo "no release build at $JIUZHU: run make build"; exit 1; }
echo "building the bare axum route (the ceiling)"
cargo build --release --quiet -p server --example bare_route
BARE=$TARGET/release/examples/bare_route

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 1 300); do curl -fs "$1" > /dev/null && return 0; sleep 0.1; done; echo "no answer from $1"; exit 1; }
login() { # base user -> "name=value"
    local jar=$work/$2.jar
    curl -fs -c "$jar" -H 'content-type: application/json' \
        -d "{\"username\":\"$2\",\"password\":\"$PASSWORD\"}" "$1/api/v1/auth/login" > /dev/null
    sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 { print $6 "=" $7 }'
}

# wrk prints "Requests/sec" and, with --latency, the 50% and 99% lines.
row() { # label wrk-args...
    local label=$1
    shift
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --timeout 5s --latency "$@")
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<< "$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<< "$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<< "$out")
    errors=$(awk '/Non-2xx or 3xx responses/ { print $5 }' <<< "$out")
    printf "%-44s %9s %10s %10s %8s\n" "$label" "$rps" "$p50" "$p99" "${errors:-0}"
    echo "$rps" > "$work/last_rps"
}

cat > "$work/visit.lua" << 'EOF'
-- PUT one new visit per request, under an id no other request uses.
local counter = 0
local thread_tag = 0
local case_id = os.getenv("BENCH_CASE_ID")
local cookie = os.getenv("BENCH_COOKIE")
local kind = os.getenv("BENCH_VISIT_KIND")
local body = '{"kind":"' .. kind .. '","visited_at":1764460800000,"place":"村民家中","people_met":"监护人","findings":{},"notes":"基准测试"}'
setup = function(thread)
    thread_tag = thread_tag + 1
    thread:set("tag", thread_tag)
end
request = function()
    counter = counter + 1
    -- The variant digit tells the kinds apart, so no run replays another's ids.
    local variant = (kind == "home_visit") and "8" or "9"
    local id = string.format("00000000-0000-4000-%s%03x-%012x", variant, tag, counter)
    return wrk.format("PUT", "/api/v1/cases/" .. case_id .. "/visits/" .. id,
        { ["Content-Type"] = "application/json", ["Cookie"] = cookie }, body)
end
EOF

bare_port=$(free_port)
"$BARE" "127.0.0.1:$bare_port" & pids+=($!)
wait_for "http://127.0.0.1:$bare_port/"

backends=(sqlite)
[ -n "${TEST_POSTGRES_URL:-}" ] && backends+=(postgres)
echo
echo "$(nproc) cores, $CONNECTIONS connections, ${SECONDS_EACH}s each, $VOLUME generated cases + demo data"
for backend in "${backends[@]}"; do
    if [ "$backend" = sqlite ]; then
        url=sqlite:$work/bench.db
    else
        db=jiuzhu_bench_$$
        psql -q "$TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
        url=${TEST_POSTGRES_URL%/*}/$db
    fi
    DATABASE_URL=$url "$JIUZHU" demo --password "$PASSWORD" > /dev/null
    DATABASE_URL=$url "$JIUZHU" demo --cases "$VOLUME" > /dev/null
    # Loading thousands of cases a moment ago left PostgreSQL with autovacuum and
    # a checkpoint to do, which landed in whichever row ran next (a visit write's
    # p99 went from 7-10 ms to 111-146 ms). Do that work now: measure the steady state.
    if [ "$backend" = postgres ]; then
        psql -q "$url" -c "VACUUM ANALYZE" -c "CHECKPOINT"
    fi
    port=$(free_port)
    DATABASE_URL=$url RUST_LOG=warn "$JIUZHU" serve --addr "127.0.0.1:$port" --site-root "$SITE" \
        > "$work/serve-$backend.log" 2>&1 & pids+=($!)
    base=http://127.0.0.1:$port
    wait_for "$base/readyz"
    supervisor=$(login "$base" zhang.jian)
    officer=$(login "$base" wang.fang)
    # The writes go to one case; Lighthouse opens another, as an officer would
    # find it, not one that the write benchmark has just given thousands of visits.
    cases=$(curl -fs -H "Cookie: $officer" "$base/api/v1/cases?mine=true&state=investigating&per_page=2")
    case_id=$(jq -r '.items[0].id' <<< "$cases")
    page_case_id=$(jq -r '.items[1].id' <<< "$cases")
    echo
    echo "== $backend"
    printf "%-44s %9s %10s %10s %8s\n" "route" "req/s" "p50" "p99" "non-2xx"
    row "bare axum route (ceiling)" "http://127.0.0.1:$bare_port/"
    bare_rps=$(cat "$work/last_rps")
    row "GET /healthz (middleware only)" "$base/healthz"
    row "GET /api/v1/cases (supervisor, page 1)" -H "Cookie: $supervisor" "$base/api/v1/cases"
    api_rps=$(cat "$work/last_rps")
    row "GET /cases (rendered page, supervisor)" -H "Cookie: $supervisor" "$base/cases"
    page_rps=$(cat "$work/last_rps")
    BENCH_VISIT_KIND=home_visit BENCH_CASE_ID=$case_id BENCH_COOKIE=$officer \
        row "PUT a home visit (officer, new id each)" -s "$work/visit.lua" "$base/"
    visit_rps=$(cat "$work/last_rps")
    # A follow-up also moves the statistics (follow-ups done on time): it tallies
    # the case's follow-ups before and after, so thousands on one case slow it.
    BENCH_VISIT_KIND=phone_follow_up BENCH_CASE_ID=$case_id BENCH_COOKIE=$officer \
        row "PUT a follow-up, all on one case" -s "$work/visit.lua" "$base/"
    awk -v b="$bare_rps" -v a="$api_rps" -v p="$page_rps" -v v="$visit_rps" 'BEGIN {
        printf "ratios to the ceiling: case-list API %.2f, case-list page %.2f, visit write %.2f\n", a / b, p / b, v / b }'
done

echo
echo "== first load as a phone's browser receives it (compressed, headers included; service worker blocked)"
base=http://127.0.0.1:$port
echo "-- /login (target: 350 KB)"
node server/scripts/first-load.mjs "$base" /login
echo "-- /cases, logged in as the officer (the case-list chunk comes on top)"
node server/scripts/first-load.mjs "$base" /cases "$officer" | tail -n 1

# Lighthouse (mobile: simulated 150 ms RTT, 1.6 Mbps, 4x CPU) on the login page,
# the case list and a case page with its visit form, logged in as the officer.
# One run's performance score moves by several points (its blocking time by
# ±50 ms), so each page is measured LIGHTHOUSE_RUNS times: the row is the run
# with the median performance score, and the range of the score follows it.
runs=${LIGHTHOUSE_RUNS:-5}
echo
echo "== Lighthouse $(npx --prefix end2end lighthouse --version 2> /dev/null), mobile, median of $runs runs"
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
printf "%-34s %12s %14s %15s %8s %8s %8s  %s\n" "page" "performance" "accessibility" "best practices" "FCP ms" "LCP ms" "TBT ms" "performance in each run"
lighthouse_page() { # label path [cookie]
    local outs=()
    local headers=()
    [ -n "${3:-}" ] && headers=(--extra-headers "{\"Cookie\":\"$3\"}")
    for _ in $(seq "$runs"); do
        local out=$work/lh-$RANDOM.json
        CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium} npx --prefix end2end lighthouse "$base$2" \
            --chrome-flags="$flags" --form-factor=mobile --only-categories=performance,accessibility,best-practices \
            --output=json --output-path="$out" --quiet "${headers[@]}" > /dev/null 2>&1 || true
        outs+=("$out")
    done
    node -e '
        const [label, ...files] = process.argv.slice(1);
        const fs = require("fs");
        const reports = files.filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
        const failed = reports.find((r) => r.runtimeError);
        if (failed || reports.length === 0) {
            console.log(label.padEnd(34), "error:", failed ? failed.runtimeError.code : "no report");
            process.exit(0);
        }
        const perf = (r) => r.categories.performance.score;
        reports.sort((a, b) => perf(a) - perf(b));
        const r = reports[Math.floor(reports.length / 2)];
        const s = (k) => String(Math.round(r.categories[k].score * 100));
        const m = (k) => String(Math.round(r.audits[k].numericValue));
        const each = reports.map((x) => Math.round(perf(x) * 100)).join(" ");
        console.log(label.padEnd(34), s("performance").padStart(12), s("accessibility").padStart(14),
            s("best-practices").padStart(15), m("first-contentful-paint").padStart(8),
            m("largest-contentful-paint").padStart(8), m("total-blocking-time").padStart(8), " ", each);
    ' "$1" "${outs[@]}"
}
lighthouse_page "/login" /login
lighthouse_page "/cases (officer)" /cases "$officer"
lighthouse_page "/cases/$page_case_id (case, visit form)" "/cases/$page_case_id" "$officer"
