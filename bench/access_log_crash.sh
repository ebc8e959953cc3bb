#!/usr/bin/env bash
# Crash safety of the access log (issue 4): kill -9 the server during sustained ingest, restart,
# and check that every acknowledged event is stored at its index, the whole log verifies, and
# no checkpoint regressed. Usage: bench/access_log_crash.sh [RUNS] [postgres://…]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
PG=${2:-}
BIN=${BIN:-target/release/normverk}
GEN=${GEN:-target/release/examples/log_bench}
PORT=${PORT:-18083}
ADDR=127.0.0.1:$PORT
[ -x "$BIN" ] && [ -x "$GEN" ] || cargo build --release --bin normverk --example log_bench

work=$(mktemp -d)
pid=
trap 'kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Crash HF" --org-number 974760673 >/dev/null 2>&1
writer=$("$BIN" "${D[@]}" token add --org 974760673 --scope access_log:write --name load 2>/dev/null | tail -n 1)
reader=$("$BIN" "${D[@]}" token add --org 974760673 --scope access_log:read --name check 2>/dev/null | tail -n 1)
head_size() { curl -s "http://$ADDR/log/checkpoint" | sed -n 2p; }
start() {
  NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >>"$work/out" 2>>"$work/log" & pid=$!
  until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
}
for run in $(seq 1 "$RUNS"); do
  start
  : >"$work/acks"
  "$GEN" crashload "http://$ADDR" "$writer" "$work/acks" & load=$!
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
  before=$(head_size); before=${before:-0}
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  wait "$load" 2>/dev/null || true
  acked=$(wc -l <"$work/acks")
  start
  after=$(head_size); after=${after:-0}
  [ "$after" -ge "$before" ] || { echo "run $run: checkpoint regressed from $before to $after"; exit 1; }
  "$GEN" crashcheck "http://$ADDR" "$reader" "$work/acks" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  verified=$("$BIN" "${D[@]}" log verify); verified=${verified%%$'\n'*}
  echo "run $run: killed at checkpoint $before with $acked batches acknowledged; after restart checkpoint $after; acknowledged events all present; $verified"
done
