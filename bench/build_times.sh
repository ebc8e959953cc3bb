#!/usr/bin/env bash
# Build-and-test wall time of two checkouts side by side (issue 15): `cargo test --workspace`
# (SQLite only) from an empty target directory, then again after touching one file in `web`.
# Usage: bench/build_times.sh BEFORE_DIR AFTER_DIR   (each a checkout, e.g. a git worktree)
# Prints one line per checkout and step. The two run one after the other on the same machine.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_DIR AFTER_DIR" >&2; exit 2; }
unset NORMVERK_TEST_POSTGRES_URL
secs() { date +%s.%N; }
for dir in "$1" "$2"; do
  target=$(mktemp -d)
  t0=$(secs)
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo test -q --workspace >/dev/null 2>&1)
  t1=$(secs)
  touch "$dir/crates/web/src/views/dashboard.rs"
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo test -q --workspace >/dev/null 2>&1)
  t2=$(secs)
  bins=$(find "$target/debug/deps" -maxdepth 1 -type f -executable -name '*-*' | wc -l)
  printf '%s: clean %.0f s, after touching web %.0f s, %s test and build executables\n' \
    "$dir" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$bins"
  rm -rf "$target"
done
