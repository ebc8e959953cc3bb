#!/usr/bin/env bash
# Benchmark of the systems register (issue 7): the register page and API with 2,000 systems and a
# dense dependency graph (effective criticality recomputed on every request), at 1, 10 and 50
# clients; and the recomputation alone.
# Usage: bench/systems.sh [SYSTEMS] [DEPENDENCIES]   (default 2,000 and 40,000; SQLite)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
E=${2:-40000}
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-10s}
PORT=${PORT:-18086}
ADDR=127.0.0.1:$PORT
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
cargo build -q --release --bin normverk --example system_seed
cargo run -q --release -p normverk-core --example criticality_bench -- "$N" "$E"
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email leder@hf.no --org 974760673 --role security_lead --password-stdin >/dev/null 2>&1
token=$("$BIN" "${D[@]}" token add --org 974760673 --scope org:read --name bench 2>/dev/null | tail -n 1)
target/release/examples/system_seed "$work/data" 974760673 "$N" "$E"
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=leder%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
curl -s -o "$work/page" -w "%{http_code} %{size_download}\n" -H "Cookie: nv_session=$session" "http://$ADDR/systems"; grep -c "System 1<" "$work/page" || { tail -5 "$work/log"; exit 1; }
for c in 1 10 50; do
  echo "== GET /systems (page), $c connections, $DURATION"
  wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "Cookie: nv_session=$session" "http://$ADDR/systems" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
done
for c in 1 10; do
  echo "== GET /api/v1/systems, $c connections, $DURATION"
  wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "Authorization: Bearer $token" "http://$ADDR/api/v1/systems" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
done
