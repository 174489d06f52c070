#!/usr/bin/env bash
# Performance figures on a private Tor network (one run, printed as tables).
set -euo pipefail
tags=${1:-embedtor}
cd "$(dirname "$0")/.."
net=$(mktemp -d "${TMPDIR:-/tmp}/archy-bench.XXXXXX")
cleanup() { bin/archy-testnet stop --dir "$net/net" || true; rm -rf "$net"; }
trap cleanup EXIT
bin/archy-testnet start --dir "$net/net" >/dev/null
export ARCHY_TESTNET_DIR="$net/net" ARCHY_BENCH=1

run() { # title, package, test pattern
  echo
  echo "## $1"
  if ! go test -tags "$tags" -count=1 -timeout 30m -v -run "$3" "$2" >"$net/out.log" 2>&1; then
    tail -40 "$net/out.log"
    echo "benchmark $3 failed" >&2
    exit 1
  fi
  grep -E '^\|' "$net/out.log" || true
}
run "Tor providers on the private Tor network (core/tor)" ./core/tor/ '^TestBenchProviders$'
run "Sync over loopback, n = 100 000 records (core/sync)" ./core/sync/ '^TestSyncBenchTable$'
export ARCHY_BINARY="$PWD/bin/archy-desktop"
run "Sync between two nodes over the private Tor network (wall time)" ./cmd/archy-desktop/ '^TestBenchSyncOverTor$'
