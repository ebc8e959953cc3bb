#!/usr/bin/env bash
# Benchmark of deviations (issue 6): with 100,000 deviations in one organisation, the dashboard,
# the list and the statistics page for the security lead, at 1, 10 and 50 concurrent clients.
# Usage: bench/deviations.sh [COUNT] [postgres://…]   (default 100,000, SQLite)
# Needs: wrk and curl (apt-get install wrk curl).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
PG=${2:-}
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-10s}
PORT=${PORT:-18085}
ADDR=127.0.0.1:$PORT
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
cargo build -q --release --bin normverk --example deviation_seed

work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email leder@hf.no --org 974760673 --role security_lead --password-stdin >/dev/null 2>&1
target/release/examples/deviation_seed "${PG:-$work/data}" 974760673 leder@hf.no "$COUNT"
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=leder%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign in" >&2; exit 1; }
# Each page as the security lead sees it, checked before it is measured.
curl -fs -H "Cookie: nv_session=$session" "http://$ADDR/" | grep -q "Bench HF" || { echo "the dashboard is not signed in" >&2; exit 1; }
curl -fs -H "Cookie: nv_session=$session" "http://$ADDR/deviations" | grep -q "Avvik nummer $COUNT" || { echo "the list lacks the newest deviation" >&2; exit 1; }
curl -fs -H "Cookie: nv_session=$session" "http://$ADDR/deviations/stats" | grep -q "<dd>$COUNT</dd>" || echo "note: the statistics count differs from $COUNT (older than 12 months fall outside)" >&2
for path in ${PATHS:-/ /deviations /deviations/stats}; do
  for c in 1 10 50; do
    echo "== GET $path, $c connections, $DURATION"
    wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "Cookie: nv_session=$session" "http://$ADDR$path" \
      | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
  done
done
