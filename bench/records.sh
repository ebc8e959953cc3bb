#!/usr/bin/env bash
# Benchmark of the protokoll and the asset inventory (issue 7): list pages with 5,000
# processings, 2,000 systems (40,000 dependencies) and 20,000 assets, at 1 and 10 clients;
# the protokoll exported as XLSX and that file imported back through the page.
# Usage: bench/records.sh [PROCESSINGS] [ASSETS] [postgres://… of an empty database]
#        (default 5,000 and 20,000 on SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-5000}
A=${2:-20000}
PG=${3:-}
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-10s}
PORT=${PORT:-18087}
ADDR=127.0.0.1:$PORT
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
cargo build -q --release --bin normverk --example system_seed --example records_seed
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email leder@hf.no --org 974760673 --role security_lead --password-stdin >/dev/null 2>&1
target/release/examples/system_seed "${PG:-$work/data}" 974760673 2000 40000
target/release/examples/records_seed "${PG:-$work/data}" 974760673 "$P" "$A"
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=leder%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
H="Cookie: nv_session=$session"
curl -s -o "$work/page" -H "$H" "http://$ADDR/processings"; grep -q "Behandling 00000<" "$work/page" || { tail -5 "$work/log"; exit 1; }
for path in "/processings" "/processings?page=40" "/assets" "/assets?page=150" "/assets?kind=phone&q=rom+17" "/systems"; do
  for c in 1 10; do
    echo "== GET $path, $c connections, $DURATION"
    wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "$H" "http://$ADDR$path" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
  done
done
echo "== the protokoll exported as XLSX, then imported back (every row checked, nothing changes)"
curl -s -o "$work/protokoll.xlsx" -w "export: %{http_code} %{size_download} bytes in %{time_total}s\n" -H "$H" "http://$ADDR/processings/export.xlsx"
page_csrf=$(curl -s -H "$H" "http://$ADDR/account" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -o "$work/imported" -w "import: %{http_code} in %{time_total}s\n" -H "$H" -F "file=@$work/protokoll.xlsx" "http://$ADDR/processings/import?csrf=$page_csrf"
grep -o '[0-9]* uendret' "$work/imported" || { grep -o '<td>[^<]*</td>' "$work/imported" | head; exit 1; }
