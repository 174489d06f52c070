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
echo "## Tor providers (core/tor)"
go test -tags "$tags" -count=1 -timeout 30m -run 'TestBenchProviders' ./core/tor/ | grep -E '^\|' || true
if ls core/sync/*_test.go >/dev/null 2>&1; then
  echo "## Sync (core/sync)"
  go test -tags "$tags" -count=1 -timeout 30m -run 'TestBench' ./core/sync/ | grep -E '^\|' || true
fi
