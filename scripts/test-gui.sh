#!/usr/bin/env bash
# test-gui.sh — the GUI end-to-end tests (cmd/archy-desktop/guitest) with the
# real bin/archy-desktop, run after `make build`:
#
#   - two app windows pair through the GUI (xdotool keys, the X clipboard)
#     and show each other synced; a failing peer; screenshots checked by OCR
#   - the tray icon over D-Bus: a test StatusNotifierWatcher, the item's
#     icon and menu (com.canonical.dbusmenu) following the node, Quit
#   - no reachable session bus: no tray, window shown, clean SIGTERM
#
# Everything runs in a network namespace with loopback only (when unshare
# works), on a private Tor network (bin/archy-testnet), under an Xvfb of its
# own and inside dbus-run-session; every app gets the private network file.
# Nothing is left running. Screenshots go to $ARCHY_SCREENSHOTS (default
# dist/screenshots/). KEEP=1 keeps the temporary folder (logs, data dirs);
# ARCHY_GUI_RUN=REGEXP runs only the matching tests.
# The last line of output is "N passed, N failed"; the exit code is non-zero
# on any failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
self="$repo/scripts/test-gui.sh"
say() { echo ">> test-gui: $*"; }

# ---------------------------------------------------------------------------
# Stage 3, inside the D-Bus session: the tests.
stage_session() {
  local tmp=$1 net_file=$2
  export ARCHY_GUI_TEST=1 ARCHY_TOR_NETWORK="$net_file" ARCHY_BIN="$repo/bin/archy-desktop"
  export TMPDIR="$tmp"
  say "D-Bus session $DBUS_SESSION_BUS_ADDRESS"
  cd "$repo/cmd/archy-desktop/guitest"
  "$tmp/guitest.test" -test.v -test.count=1 -test.timeout 12m ${ARCHY_GUI_RUN:+-test.run "$ARCHY_GUI_RUN"}
}

# ---------------------------------------------------------------------------
# Stage 2, in the loopback-only namespace: Tor network, X server, session.
stage_netns() {
  local tmp=$1
  ip link set lo up 2>/dev/null || true
  if ip -o addr show 2>/dev/null | grep -v ' lo ' | grep -q inet; then
    say "note: no private network namespace; every app is still pointed at the private Tor network"
  else
    say "network namespace: loopback only"
  fi

  NET_DIR=$tmp/net XVFB_PID=""
  # shellcheck disable=SC2317
  cleanup_netns() {
    "$repo/bin/archy-testnet" stop --dir "$NET_DIR" >/dev/null 2>&1 || true
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; fi
  }
  trap cleanup_netns EXIT

  local t0=$SECONDS net_file
  net_file=$("$repo/bin/archy-testnet" start --dir "$NET_DIR" 2>"$tmp/testnet.log") ||
    { tail -20 "$tmp/testnet.log" >&2; echo "test-gui: the private Tor network did not start" >&2; return 1; }
  [ -f "$net_file" ] || { echo "test-gui: archy-testnet printed no network file" >&2; return 1; }
  say "private Tor network up in $((SECONDS - t0)) s ($net_file)"

  # Wide enough for two 860 px windows side by side.
  exec 3>"$tmp/display"
  Xvfb -displayfd 3 -screen 0 1800x900x24 -nolisten tcp -noreset >"$tmp/xvfb.log" 2>&1 &
  XVFB_PID=$!
  exec 3>&-
  local i
  for i in $(seq 1 100); do [ -s "$tmp/display" ] && break; sleep 0.1; done
  [ -s "$tmp/display" ] || { cat "$tmp/xvfb.log" >&2; echo "test-gui: Xvfb did not start" >&2; return 1; }
  export DISPLAY=:$(head -1 "$tmp/display")
  unset WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
  say "Xvfb on $DISPLAY"

  # dbus-run-session ends the bus (and anything on it) when the stage ends.
  dbus-run-session -- "$self" --stage-session "$tmp" "$net_file"
}

case "${1:-}" in
  --stage-session) stage_session "$2" "$3"; exit ;;
  --stage-netns) stage_netns "$2"; exit ;;
esac

# ---------------------------------------------------------------------------
# Stage 1: check, compile the test program, run, sum up.
cd "$repo"
for f in bin/archy-desktop bin/archy-testnet; do
  [ -x "$f" ] || { echo "test-gui: $f is missing (make build)"; echo "0 passed, 1 failed"; exit 1; }
done
scripts/apt-deps.sh guitest guidrive
for tool in Xvfb dbus-run-session xdotool xclip import convert tesseract; do
  command -v "$tool" >/dev/null || { echo "test-gui: $tool is missing"; echo "0 passed, 1 failed"; exit 1; }
done
export ARCHY_SCREENSHOTS=${ARCHY_SCREENSHOTS:-$repo/dist/screenshots}
case "$ARCHY_SCREENSHOTS" in /*) ;; *) ARCHY_SCREENSHOTS=$repo/$ARCHY_SCREENSHOTS ;; esac
mkdir -p "$ARCHY_SCREENSHOTS"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/archy-test-gui.XXXXXX")
status=0
finish() {
  if [ "$status" != 0 ] || [ "${KEEP:-0}" = 1 ]; then echo "test-gui: logs and data kept in $tmp"; else rm -rf "$tmp"; fi
}
trap finish EXIT

# The test program (not the app: bin/ is made by `make build`).
say "go test -c ./cmd/archy-desktop/guitest"
if ! go test -c -o "$tmp/guitest.test" ./cmd/archy-desktop/guitest; then
  status=1
  echo "0 passed, 1 failed"
  exit 1
fi

t0=$SECONDS
set +e
if unshare --net true 2>/dev/null; then
  unshare --net -- "$self" --stage-netns "$tmp" 2>&1 | tee "$tmp/test.log"
else
  say "note: cannot create a network namespace (not root?); every app is still pointed at the private Tor network"
  "$self" --stage-netns "$tmp" 2>&1 | tee "$tmp/test.log"
fi
rc=${PIPESTATUS[0]}
set -e

passed=$(grep -c '^--- PASS' "$tmp/test.log" || true)
failed=$(grep -c '^--- FAIL' "$tmp/test.log" || true)
skipped=$(grep -c '^--- SKIP' "$tmp/test.log" || true)
if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
  echo "test-gui: the run ended with exit code $rc"
  failed=1
fi
if [ "$skipped" != 0 ]; then
  echo "test-gui: $skipped test(s) skipped"
  failed=$((failed + skipped))
fi
shots=$(cd "$ARCHY_SCREENSHOTS" && ls e2e-*.png tray-*.png 2>/dev/null | tr '\n' ' ' || true)
say "screenshots in $ARCHY_SCREENSHOTS: ${shots:-none}"
say "took $((SECONDS - t0)) s"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ] || status=1
echo "$passed passed, $failed failed"
exit "$status"
