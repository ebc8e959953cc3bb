#!/usr/bin/env bash
# Runs schemathesis against a freshly seeded normverk: the served OpenAPI document, a token with
# every scope, all checks, the coverage, fuzzing and stateful phases, a fixed seed and a bounded
# number of examples per operation. Any failure fails. An operation whose document states rules
# a schema cannot (its 422 response is its own, not the shared one) may answer a schema-valid
# request with 422. Usage: .ci/schemathesis/run.sh [more st run options]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${NORMVERK_BIN:-target/debug/normverk}
venv=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
if [[ ! -x "$venv/bin/st" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis==4.32.5'
fi
data=$(mktemp -d)
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$data"' EXIT
export NORMVERK_DATA_DIR="$data/data"
nv() { "$bin" "$@"; }
nv org add --name "Alfa helseforetak" --org-number 974760673 --kind health_trust >/dev/null
nv org add --name "Beta kommune" --org-number 983544622 --kind municipality >/dev/null
password='schemathesis-passord-1'
echo "$password" | nv user add --org 974760673 --email admin@alfa.no --role admin --password-stdin >/dev/null
echo "$password" | nv user add --org 983544622 --email admin@beta.no --role admin --password-stdin >/dev/null
all=$(nv token add --help | sed -n 's/^ *- \([a-z_]*:[a-z]*\):.*/\1/p' | paste -sd, -)
token_a=$(nv token add --org 974760673 --scope "$all" --name schemathesis 2>/dev/null | tail -n 1)
token_b=$(nv token add --org 983544622 --scope "$all" --name schemathesis 2>/dev/null | tail -n 1)
port=$((20000 + RANDOM % 20000))
nv serve --addr "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 50); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
"$venv/bin/python" .ci/schemathesis/seed.py "$base" admin@alfa.no "$password" "$token_a" "$token_b"
"$venv/bin/python" .ci/schemathesis/rules.py "$base/api/openapi.json" >"$data/schemathesis.toml"
"$venv/bin/st" --config-file "$data/schemathesis.toml" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $token_a" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --seed 20261201 \
  --workers 2 \
  --request-timeout 10 \
  --suppress-health-check all \
  --warnings off \
  "$@"
