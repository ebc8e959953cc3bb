#!/usr/bin/env bash
# Benchmark of the message scanner (issue 5): throughput on mixed Norwegian text against
# ripgrep counting 11-digit runs on the same file, in-process SMS latency, and HTTP latency of
# POST /api/v1/dlp/scan with 50 concurrent clients.
# Usage: bench/dlp.sh [BYTES]   (default 1,100,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-1100000000}
BIN=${BIN:-target/release/normverk}
PORT=${PORT:-18083}
ADDR=127.0.0.1:$PORT
command -v rg >/dev/null || apt-get install -y -q ripgrep >/dev/null
cargo build -q --release --bin normverk --example dlp_http_bench
cargo build -q --release -p dlp --example dlp_bench
B=target/release/examples

work=${WORK:-$(mktemp -d)}
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
echo "== $BYTES bytes of mixed Norwegian text"
"$B/dlp_bench" gen "$work/mixed.txt" "$BYTES"
cat "$work/mixed.txt" >/dev/null  # in the page cache for both
echo "== ripgrep, the physical baseline: rg -c '[0-9]{11}'"
/usr/bin/time -f "rg: %e s, %M KiB" rg -c '[0-9]{11}' "$work/mixed.txt"
echo "== the scanner, one core"
"$B/dlp_bench" throughput "$work/mixed.txt"
rm -f "$work/mixed.txt"
echo
echo "== in-process latency, 160-character SMS"
"$B/dlp_bench" latency
echo
D=(--data-dir "$work/data")
"$BIN" "${D[@]}" org add --name "Bench HF" --org-number 974760673 --kind health_trust >/dev/null
token=$("$BIN" "${D[@]}" token add --org 974760673 --scope dlp:scan --name bench | tail -n 1)
NORMVERK_LOG=warn "$BIN" "${D[@]}" serve --addr "$ADDR" >"$work/out" 2>"$work/log" & pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null 2>&1; do sleep 0.01; done
echo "== HTTP, 50 clients, 20 requests/s each (1,000 requests/s)"
"$B/dlp_http_bench" "http://$ADDR" "$token" 50 600 20
echo "== HTTP, 50 clients, 40 requests/s each (2,000 requests/s)"
"$B/dlp_http_bench" "http://$ADDR" "$token" 50 600 40
echo "== HTTP, 50 clients, closed loop (as fast as answered)"
"$B/dlp_http_bench" "http://$ADDR" "$token" 50 2000
