#!/usr/bin/env bash
# Benchmark of the self-assessment (issue 3) on SQLite: the full assessment page of one
# organisation with every requirement answered, and the XLSX export of the full catalogue.
# Needs: a release build (cargo build --release), curl, wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/normverk}
DURATION=${DURATION:-15s}
PORT=${PORT:-18081}
ADDR=127.0.0.1:$PORT
[ -x "$BIN" ] || cargo build --release
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null 2>&1
printf 'benchmark passord 123\n' | "$BIN" "${D[@]}" user add --email bench@hf.no --org 974760673 --role security_lead --password-stdin >/dev/null 2>&1
token=$("$BIN" "${D[@]}" token add --org 974760673 --scope assessment:write --name bench 2>/dev/null | tail -n 1)
"$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done

jar="$work/cookies"
csrf=$(curl -s -c "$jar" "http://$ADDR/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&email=bench%40hf.no&password=benchmark+passord+123" "http://$ADDR/login"
csrf=$(curl -s -b "$jar" "http://$ADDR/assessment" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
round=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' -d "csrf=$csrf&name=Bench" "http://$ADDR/assessment/rounds" | sed 's|.*/||')
session=$(awk '$6 == "nv_session" { print $7 }' "$jar")

# Answer every requirement through the API, cycling through the statuses.
ids=$(curl -s -H "Authorization: Bearer $token" "http://$ADDR/api/v1/catalog/requirements" | python3 -c 'import json,sys; print("\n".join(r["id"] for r in json.load(sys.stdin)))')
statuses=(met partial not_met met)
i=0
for id in $ids; do
  s=${statuses[$((i % 4))]}
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"status\":\"$s\",\"comment\":\"Benchmark $i\",\"due_date\":\"2027-01-31\"}" \
    "http://$ADDR/api/v1/assessment/rounds/$round/answers/$id"
  i=$((i + 1))
done
echo "answered $i requirements in round $round"

echo
echo "== GET /assessment/rounds/$round (every requirement answered, chart and table), 10 connections, $DURATION"
wrk -t2 -c10 -d"$DURATION" --latency -H "Cookie: nv_session=$session" "http://$ADDR/assessment/rounds/$round" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo
echo "== GET /assessment/rounds/$round, one connection, $DURATION"
wrk -t1 -c1 -d"$DURATION" --latency -H "Cookie: nv_session=$session" "http://$ADDR/assessment/rounds/$round" | sed -n '/Latency Distribution/,/Requests\/sec/p'
echo
echo "== XLSX export of the full catalogue, 20 requests one after another (seconds each)"
for _ in $(seq 1 20); do
  curl -s -o "$work/export.xlsx" -w '%{time_total}\n' -H "Cookie: nv_session=$session" "http://$ADDR/assessment/rounds/$round/export.xlsx"
done | sort -n | awk '{ t[NR] = $1 } END { printf "min %.1f ms, median %.1f ms, max %.1f ms\n", t[1]*1000, t[int((NR+1)/2)]*1000, t[NR]*1000 }'
echo "export size: $(stat -c %s "$work/export.xlsx") bytes"
