#!/usr/bin/env bash
# Benchmark of the foundation (issue 2): cold start to /readyz, idle memory, and the login page
# and dashboard under 50 concurrent clients on SQLite. Prints the figures; see docs/benchmarks.md.
# Needs: a release build (cargo build --release), curl, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-15s}
PORT=${PORT:-18080}
ADDR=127.0.0.1:$PORT
[ -x "$BIN" ] || cargo build --release
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
ms() { date +%s%N | awk '{ printf "%d", $1 / 1000000 }'; }
wait_ready() { until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.005; done; }

# Cold start on a fresh data dir (creates the database and applies migrations).
t0=$(ms)
"$BIN" --data-dir "$work/data" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
wait_ready
t1=$(ms)
echo "cold start to /readyz, fresh data dir: $((t1 - t0)) ms"
kill -TERM "$pid"; wait "$pid" || true

"$BIN" --data-dir "$work/data" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null
printf 'benchmark passord 123\n' | "$BIN" --data-dir "$work/data" user add --email bench@hf.no --org 974760673 --role admin --password-stdin >/dev/null

t0=$(ms)
"$BIN" --data-dir "$work/data" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
wait_ready
t1=$(ms)
echo "cold start to /readyz, existing data dir: $((t1 - t0)) ms"
sleep 1
echo "idle RSS after start: $(( $(ps -o rss= -p "$pid") / 1024 )) MiB"

# Sign in once to get a session cookie for the dashboard.
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=bench%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }

echo
echo "== GET /login, 50 connections, $DURATION"
wrk -t2 -c50 -d"$DURATION" --latency "http://$ADDR/login" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo
echo "== GET / (dashboard, signed in), 50 connections, $DURATION"
wrk -t2 -c50 -d"$DURATION" --latency -H "Cookie: nv_session=$session" "http://$ADDR/" | sed -n '/Latency Distribution/,/Requests\/sec/p'
sleep 2
echo
echo "RSS after load, idle again: $(( $(ps -o rss= -p "$pid") / 1024 )) MiB"
