#!/usr/bin/env bash
# API fuzzing: schemathesis against the OpenAPI document of a real `jiuzhu serve`
# with demo data, logged in as each role in turn, a bounded number of examples per
# operation. Fails on any 5xx and on any response that breaks the documented schema.
#
#   server/scripts/fuzz.sh            (run by `make test`; FUZZ_EXAMPLES=25 by default)
#   JIUZHU_BIN=… FUZZ_EXAMPLES=100 server/scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
JIUZHU=${JIUZHU_BIN:-${CARGO_TARGET_DIR:-target}/release/jiuzhu}
VENV=${JIUZHU_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/jiuzhu/schemathesis-$SCHEMATHESIS_VERSION}
EXAMPLES=${FUZZ_EXAMPLES:-15}
PASSWORD=fuzz-demo-password
# The admin goes last: fuzzing account endpoints disables and re-passwords accounts.
ROLES=(${FUZZ_ROLES:-wang.fang zhang.jian vc.xiaodian edu.bureau admin})
# schemathesis's phases: examples from the schema, the coverage phase (boundary and
# wrong-typed values for every parameter and field) and random fuzzing.
PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing}

if [ ! -x "$VENV/bin/st" ]; then
    echo "fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export DATABASE_URL=sqlite:$work/fuzz.db
"$JIUZHU" demo --password "$PASSWORD" > /dev/null
RUST_LOG=warn "$JIUZHU" serve --addr "127.0.0.1:$port" --site-root "${JIUZHU_SITE_ROOT:-target/site}" \
    > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fs "$base/readyz" > /dev/null && break; sleep 0.1; done

# Every role's session first: the admin's run may disable the others' accounts.
declare -A cookies
for user in "${ROLES[@]}"; do
    jar="$work/$user.jar"
    curl -fs -c "$jar" -H 'content-type: application/json' \
        -d "{\"username\":\"$user\",\"password\":\"$PASSWORD\"}" "$base/api/v1/auth/login" > /dev/null
    # curl marks HttpOnly cookies with a "#HttpOnly_" prefix, not as comments.
    cookies[$user]=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 { print $6 "=" $7 }')
    [ -n "${cookies[$user]}" ] || { echo "fuzz: could not log in as $user"; exit 1; }
done

# One schemathesis run as one role; its log goes to $work/st-<user>.log.
fuzz_as() {
    local user=$1
    # Logging out would end the session the rest of the run uses.
    # Run from the scratch directory: schemathesis keeps a cache where it runs.
    # One worker: with two threads, hypothesis's source inspection has hit
    # CPython 3.11's "AST constructor recursion depth mismatch" SystemError.
    (cd "$work" && timeout 900 "$VENV/bin/st" run "$base/api/v1/openapi.json" --url "$base" \
        --checks not_a_server_error,response_schema_conformance \
        --phases "$PHASES" -n "$EXAMPLES" --seed 1 --workers 1 --generation-database none --no-color \
        --exclude-path /api/v1/auth/logout \
        --header "Cookie: ${cookies[$user]}" \
        --report junit --report-dir "$work/report-$user" > "$work/st-$user.log" 2>&1)
}

# A run that failed only with the tool's own "Runtime Error" (no check failed and
# no response was wrong) is the tool tripping over itself, not our API.
only_tool_errors() {
    local log=$1
    grep -q "Runtime Error" "$log" && ! grep -qE "^=+ FAILURES =+$|[0-9]+ failed" "$log"
}

failed=0
for user in "${ROLES[@]}"; do
    echo "fuzz: as $user, $EXAMPLES examples per operation"
    passed=1
    if ! fuzz_as "$user"; then
        passed=0
        if only_tool_errors "$work/st-$user.log"; then
            echo "fuzz: schemathesis itself failed as $user; once more:"
            grep -A 2 "Runtime Error" "$work/st-$user.log" | head -n 6
            fuzz_as "$user" && passed=1
        fi
    fi
    if [ "$passed" = 0 ]; then
        failed=1
        echo "fuzz: FAILED as $user:"
        # Its failures and errors in full, then the summary.
        sed -n '/=\{5,\} \(FAILURES\|ERRORS\) =\{5,\}/,/=\{5,\} SUMMARY =\{5,\}/p' "$work/st-$user.log"
        tail -n 30 "$work/st-$user.log"
    else
        grep -E "passed|failed|operations" "$work/st-$user.log" | tail -n 3
    fi
done
if grep -q " ERROR " "$work/server.log"; then
    echo "fuzz: the server logged errors:"
    grep " ERROR " "$work/server.log" | head -n 20
    failed=1
fi
exit $failed
