#!/usr/bin/env bash
# Benchmark of the access log (issue 4): durable ingest over HTTP with Merkle integration, the
# time from adding an event to a signed checkpoint containing it, inclusion proofs on a large
# log, `normverk log verify`, and the same rows inserted plainly for comparison.
# Usage: bench/access_log.sh [EVENTS] [postgres://…]   (default 1,000,000 events, SQLite)
# Needs: a release build (cargo build --release --bin normverk --example log_bench), curl, bc,
# sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-1000000}
PG=${2:-}
BIN=${BIN:-target/release/normverk}
GEN=${GEN:-target/release/examples/log_bench}
PORT=${PORT:-18082}
ADDR=127.0.0.1:$PORT
[ -x "$BIN" ] && [ -x "$GEN" ] || cargo build --release --bin normverk --example log_bench

work=${WORK:-$(mktemp -d)}
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
D=(--data-dir "$work/data")
[ -n "$PG" ] && D+=(--database-url "$PG")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null
token=$("$BIN" "${D[@]}" token add --org 974760673 --scope access_log:write --name bench | tail -n 1)
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done

engine=SQLite; [ -n "$PG" ] && engine=PostgreSQL
echo "== ingest: $EVENTS events, batches of 1,000, 4 connections ($engine)"
"$GEN" ingest "http://$ADDR" "$token" "$EVENTS" 4 "$pid"
until [ "$(curl -s "http://$ADDR/log/checkpoint" | sed -n 2p)" -ge "$EVENTS" ] 2>/dev/null; do sleep 0.2; done
indexed() {
  if [ -n "$PG" ]; then psql "$PG" -Atc "SELECT next_idx FROM access_index_state"
  else sqlite3 "$work/data/normverk.search.db" "SELECT next_idx FROM access_index_state"; fi
}
echo "search index when the checkpoint covered every event: $(indexed) of $EVENTS events"
t0=$(date +%s.%N); until [ "$(indexed)" -ge "$EVENTS" ] 2>/dev/null; do sleep 0.2; done
echo "search index complete $(echo "$(date +%s.%N) - $t0" | bc) s later"
echo "server RSS after ingest: $(awk '/VmRSS/ {print int($2/1024) " MiB"}' /proc/$pid/status), peak $(awk '/VmHWM/ {print int($2/1024) " MiB"}' /proc/$pid/status)"
echo
echo "== add → signed checkpoint containing it, 200 batches of 1,000"
"$GEN" signed "http://$ADDR" "$token" 200
echo
echo "== inclusion proofs at random indexes, 20,000 requests, 4 connections"
"$GEN" proofs "http://$ADDR" 20000 4
echo
echo "== inclusion proofs, one connection"
"$GEN" proofs "http://$ADDR" 5000 1
kill "$pid"; wait "$pid" || true; pid=
echo
echo "== normverk log verify"
/usr/bin/time -f "verify: %e s wall, peak RSS %M KiB" "$BIN" "${D[@]}" log verify
echo
echo "== plain SHA-256 on this machine (for the verify ratio)"
head -c 1000000000 /dev/zero | /usr/bin/time -f "sha256sum of 1 GB: %e s" sha256sum >/dev/null
echo
echo "== baseline: the same rows plainly inserted, same engine and settings"
if [ -n "$PG" ]; then "$GEN" baseline "$PG" "$EVENTS"; else "$GEN" baseline "$work/data/normverk.db" "$EVENTS"; fi
