#!/usr/bin/env bash
# Runs every test against one private Tor network shared by the whole run.
set -euo pipefail
tags=${1:-embedtor}
cd "$(dirname "$0")/.."
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$HOME/.cache}
net=$(mktemp -d "${TMPDIR:-/tmp}/archy-testnet.XXXXXX")
cleanup() { bin/archy-testnet stop --dir "$net/net" || true; rm -rf "$net"; }
trap cleanup EXIT
bin/archy-testnet start --dir "$net/net" >/dev/null
export ARCHY_TESTNET_DIR="$net/net" ARCHY_BINARY="$PWD/bin/archy-desktop"
echo ">> go vet"
go vet -tags "$tags" ./...
echo ">> go test (private Tor network in $ARCHY_TESTNET_DIR)"
go test -tags "$tags" -count=1 -timeout 45m ./... 2>&1 | tee "$net/test.log"
status=${PIPESTATUS[0]}
echo ">> GUI end to end under Xvfb: pairing through the windows, the tray over D-Bus"
scripts/apt-deps.sh guidrive
scripts/test-gui.sh || status=1
echo ">> desktop package: install, launch through its .desktop entry, uninstall"
make --no-print-directory test-package || status=1
exit "$status"
