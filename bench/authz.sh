#!/usr/bin/env bash
# Benchmark of the authorization register and access reviews (issue 19): a health trust of
# 10,000 people, 40 systems, 60,000 authorisations and 500 managers. Times starting the yearly
# review for all managers (in the seed), the register page (first page, and filtered) and a
# person's page at 1 and 10 clients, and SCIM provisioning of every person (lookup + create).
# Usage: bench/authz.sh [PEOPLE] [AUTHORISATIONS] [postgres://… of an empty database]
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-10000}
A=${2:-60000}
PG=${3:-}
S=${SYSTEMS:-40}
M=${MANAGERS:-500}
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-10s}
PORT=${PORT:-18089}
ADDR=127.0.0.1:$PORT
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
cargo build -q --release --bin normverk --example authz_seed --example scim_bench
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email sikkerhet@hf.no --org 974760673 --role security_lead --password-stdin >/dev/null 2>&1
target/release/examples/authz_seed "${PG:-$work/data}" 974760673 "$P" "$S" "$A" "$M"
token=$("$BIN" "${D[@]}" token add --org 974760673 --scope scim:provision --name IAM 2>/dev/null)
if curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; then echo "something already answers on $ADDR; stop it or set PORT" >&2; exit 1; fi
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=sikkerhet%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")
H="Cookie: nv_session=$session"
person=$(curl -s -H "$H" "http://$ADDR/authz" | sed -n 's/.*href="\/authz\/people\/\([0-9]*\)".*/\1/p' | head -n 1)
system=$(curl -s -H "$H" "http://$ADDR/authz" | sed -n 's/.*<option value="\([0-9]*\)">System 07<.*/\1/p' | head -n 1)
for path in "/authz" "/authz?q=person%2001&system=$system&state=standing" "/authz?page=200" "/authz/people/$person"; do
  for c in 1 10; do
    echo "== GET $path, $c connections, $DURATION"
    wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -H "$H" "http://$ADDR$path" | grep -E '^\s+(50|99)%|Requests/sec|Non-2xx'
    echo "   then answered: $(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "$H" "http://$ADDR$path")"
  done
done
[ -n "${SKIP_SCIM:-}" ] && exit 0
target/release/examples/scim_bench "http://$ADDR" "$token" "$P" "${SCIM_CLIENTS:-4}" "$M"
