#!/usr/bin/env bash
# Benchmark of risk management (issue 18): 200 assessments with 5,000 events and 8,000 measures
# in one organisation; the register page, the overview with its heat maps and an assessment
# page at 1 and 10 clients, and the register and heat map timed in the process.
# Usage: bench/risk.sh [ASSESSMENTS] [EVENTS] [postgres://… of an empty database]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
E=${2:-5000}
PG=${3:-}
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-10s}
PORT=${PORT:-18088}
ADDR=127.0.0.1:$PORT
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
cargo build -q --release --bin normverk --example risk_seed
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email leder@hf.no --org 974760673 --role top_management --password-stdin >/dev/null 2>&1
target/release/examples/risk_seed "${PG:-$work/data}" 974760673 "$N" "$E"
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=leder%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
H="Cookie: nv_session=$session"
id=$(curl -s -H "$H" "http://$ADDR/risk" | sed -n 's/.*href="\/risk\/assessments\/\([0-9]*\)".*/\1/p' | head -n 1)
curl -s -o "$work/page" -H "$H" "http://$ADDR/risk/register"; grep -q "$E hendelser" "$work/page" || { grep -o '[0-9]* hendelser' "$work/page"; tail -5 "$work/log"; exit 1; }
for path in "/risk/register" "/risk/register?level=2&overdue=1" "/risk" "/risk/assessments/$id"; do
  for c in 1 10; do
    echo "== GET $path, $c connections, $DURATION"
    wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "$H" "http://$ADDR$path" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
  done
done
curl -s -o /dev/null -w "register as XLSX: %{http_code} %{size_download} bytes in %{time_total}s\n" -H "$H" "http://$ADDR/risk/register.xlsx"
