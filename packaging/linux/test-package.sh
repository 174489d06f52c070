#!/usr/bin/env bash
# test-package.sh ARCHIVE — the Linux package the way a user meets it:
#
#  1. `make install` into a temporary HOME (PREFIX=$HOME/.local); validate the
#     installed desktop entry, metainfo, icons and binary
#  2. in a network namespace that only has loopback (when unshare works; as a
#     second guard, the app is always pointed at a private Tor network):
#     a private Tor network (bin/archy-testnet), Xvfb, a D-Bus session, and
#     the app launched through its installed .desktop entry with `gio launch`
#     — what a double-click in a menu does — with `--tor-network FILE`
#     appended to its Exec line (the live Tor network is never contacted)
#  3. its window must appear (found by _NET_WM_PID, mapped, WM_CLASS equal to
#     the entry's StartupWMClass); screenshots go to dist/screenshots/; the
#     app may talk to loopback only; a second launch must hand over to the
#     first; SIGTERM must stop it; `archy-desktop autostart on|off` must
#     write and remove a valid XDG autostart entry
#  4. `make uninstall` must remove every file the install manifest lists and
#     keep the node's data
#
# Needs: Xvfb, xwininfo/xprop (x11-utils), ImageMagick, dbus-run-session, gio
# (libglib2.0-bin), desktop-file-validate, appstreamcli, bin/archy-testnet.
# `make test-package` installs them and builds the archive. KEEP=1 keeps the
# temporary folder.
set -euo pipefail

APP_ID=org.archipelago.desktop
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
say() { echo ">> test-package: $*"; }
die() { echo "test-package: FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Stage 3, inside the D-Bus session: launch, look, stop.
stage_session() {
  local tmp=$1 net_file=$2
  local home=$tmp/home prefix=$tmp/home/.local
  local exe=$prefix/bin/archy-desktop entry=$prefix/share/applications/$APP_ID.desktop
  local shots=$repo/dist/screenshots
  mkdir -p "$shots" "$tmp/launch" "$tmp/run"
  chmod 700 "$tmp/run"

  # The installed entry, with only --tor-network appended to its Exec line.
  # Never leave the app behind, whatever fails.
  APP_PID=""
  trap '[ -z "$APP_PID" ] || kill -KILL "$APP_PID" 2>/dev/null || true' EXIT

  local launch=$tmp/launch/$APP_ID.desktop
  sed -e "s|^Exec=\(.*\)\$|Exec=\1 --tor-network $net_file|" "$entry" > "$launch"
  grep -q "^Exec=.* --tor-network $net_file\$" "$launch" || die "could not add --tor-network to the Exec line"
  desktop-file-validate "$launch" || die "the launch copy of the entry is invalid"
  say "Exec line: $(grep '^Exec=' "$launch")"

  # A desktop session's environment, nothing from this shell: the temporary
  # HOME and XDG folders, no PREFIX/bin on PATH (the entry must not need it).
  local -a session_env=(
    HOME="$home" USER="${USER:-root}" LOGNAME="${USER:-root}" LANG=C.UTF-8
    PATH=/usr/local/bin:/usr/bin:/bin
    DISPLAY="$DISPLAY" DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"
    XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache"
    XDG_STATE_HOME="$home/.local/state" XDG_RUNTIME_DIR="$tmp/run"
    XDG_DATA_DIRS="$home/.local/share:/usr/local/share:/usr/share" XDG_CURRENT_DESKTOP=X-Generic
  )
  local log=$tmp/app.log
  say "double-click: gio launch $launch"
  (cd "$home" && env -i "${session_env[@]}" gio launch "$launch" </dev/null >"$log" 2>&1) ||
    { cat "$log" >&2; die "gio launch failed"; }

  local pid="" i
  for i in $(seq 1 50); do
    pid=$(pgrep -n -f "^$exe --tor-network $net_file" || true)
    [ -n "$pid" ] && break
    sleep 0.2
  done
  [ -n "$pid" ] || { cat "$log" >&2; die "the app did not start"; }
  APP_PID=$pid
  say "the app runs as pid $pid: $(tr '\0' ' ' </proc/"$pid"/cmdline)"

  # Its window: a mapped top-level window whose _NET_WM_PID is the app.
  local win="" deadline=$(( $(date +%s) + ${WINDOW_TIMEOUT:-90} ))
  while [ -z "$win" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "the app exited before showing a window"; }
    [ "$(date +%s)" -lt "$deadline" ] || { xwininfo -root -tree >&2 || true; tail -50 "$log" >&2; die "no window within ${WINDOW_TIMEOUT:-90} s"; }
    local id
    for id in $(xwininfo -root -children 2>/dev/null | awk '$1 ~ /^0x/ { print $1 }'); do
      xprop -id "$id" _NET_WM_PID 2>/dev/null | grep -q "= $pid\$" || continue
      xwininfo -id "$id" 2>/dev/null | grep -q "Map State: IsViewable" || continue
      win=$id
      break
    done
    [ -n "$win" ] || sleep 0.5
  done
  local title class want geometry
  title=$(xprop -id "$win" _NET_WM_NAME 2>/dev/null | sed -n 's/^_NET_WM_NAME([^)]*) = "\(.*\)"$/\1/p')
  class=$(xprop -id "$win" WM_CLASS | sed -n 's/^WM_CLASS(STRING) = "[^"]*", "\(.*\)"$/\1/p')
  want=$(sed -n 's/^StartupWMClass=//p' "$entry")
  geometry=$(xwininfo -id "$win" | awk '/Width:/ { w = $2 } /Height:/ { h = $2 } END { print w "x" h }')
  say "window $win \"$title\" ($geometry), WM_CLASS class \"$class\""
  [ "$class" = "$want" ] || die "the window's WM_CLASS class is \"$class\" but the entry says StartupWMClass=$want (desktops would not match the window to its launcher)"
  xprop -id "$win" _NET_WM_ICON 2>/dev/null | grep -q "_NET_WM_ICON(CARDINAL)" && say "the window has an icon (_NET_WM_ICON)"

  # Give Tor on the private network a moment so the screenshot shows progress.
  local status="" t
  for t in $(seq 1 "${ONLINE_WAIT:-60}"); do
    status=$(env -i "${session_env[@]}" "$exe" status 2>/dev/null || true)
    echo "$status" | grep -q "online — reachable" && break
    sleep 1
  done
  echo "$status" | sed 's/^/   /'
  echo "$status" | grep -q "^Network: *live" && die "the app is on the live Tor network"

  sleep 2
  import -window root "$shots/linux-launch-desktop.png"
  import -window "$win" "$shots/linux-launch-window.png"
  local colours
  colours=$(convert "$shots/linux-launch-window.png" -format '%k' info:)
  say "screenshots: dist/screenshots/linux-launch-desktop.png, linux-launch-window.png ($colours colours)"
  [ "$colours" -gt 8 ] || die "the window screenshot is blank ($colours colours)"

  # Loopback only: every TCP/UDP socket of the app points at 127.0.0.0/8 or ::1.
  local socks bad
  socks=$(ss -Htunap 2>/dev/null | grep "pid=$pid," || true)
  bad=$(echo "$socks" | awk 'NF { peer = $6; if (peer !~ /^(127\.|\[::1\]|\[::ffff:127\.|\*:|0\.0\.0\.0:\*|\[::\]:\*)/) print }')
  say "$(echo "$socks" | grep -c . || true) sockets of the app, all on loopback: $([ -z "$bad" ] && echo yes || echo NO)"
  [ -z "$bad" ] || { echo "$bad" >&2; die "the app has a connection to a non-loopback address"; }

  # A second double-click brings the running window forward and leaves.
  (cd "$home" && env -i "${session_env[@]}" gio launch "$launch" </dev/null >>"$log" 2>&1) || die "second gio launch failed"
  local n=0
  for i in $(seq 1 40); do
    sleep 0.25
    n=$(pgrep -c -f "^$exe --tor-network $net_file" || true)
    [ "$n" -le 1 ] && [ "$i" -ge 8 ] && break
  done
  [ "$n" -eq 1 ] || die "after a second launch $n copies run"
  kill -0 "$pid" 2>/dev/null || die "the second launch stopped the first"
  say "a second launch handed over to the running app"

  # Quit: SIGTERM (what a session logout sends) must stop it.
  kill -TERM "$pid"
  for i in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; die "the app did not stop within 20 s of SIGTERM"; fi
  APP_PID=""
  say "the app stopped on SIGTERM"

  # Start at login from the installed binary's CLI: the XDG autostart entry.
  local auto=$home/.config/autostart/$APP_ID.desktop
  if env -i "${session_env[@]}" "$exe" autostart status >/dev/null 2>&1; then
    env -i "${session_env[@]}" "$exe" autostart on >/dev/null || die "autostart on failed"
    [ -f "$auto" ] || die "autostart on wrote no $auto"
    desktop-file-validate "$auto" || die "the autostart entry is invalid"
    grep -qx "Exec=$exe --hidden" "$auto" || die "the autostart entry's Exec is $(grep '^Exec=' "$auto")"
    env -i "${session_env[@]}" "$exe" autostart status | grep -q "^Start at login: on" || die "autostart status is not on"
    env -i "${session_env[@]}" "$exe" autostart off >/dev/null || die "autostart off failed"
    [ ! -e "$auto" ] || die "autostart off left $auto"
    say "autostart on/off writes and removes a valid $auto (Exec=… --hidden)"
  else
    say "note: this build has no 'autostart' command; start at login not checked here"
  fi
}

# ---------------------------------------------------------------------------
# Stage 2, in the loopback-only namespace: Tor network, X server, session.
stage_netns() {
  local tmp=$1
  ip link set lo up 2>/dev/null || true
  if ip -o addr show 2>/dev/null | grep -v ' lo ' | grep -q inet; then
    say "note: running without a private network namespace; relying on --tor-network"
  else
    say "network namespace: loopback only"
  fi

  # Globals: the EXIT trap runs after this function has returned.
  NET_DIR=$tmp/net XVFB_PID=""
  local net=$NET_DIR
  # shellcheck disable=SC2317
  cleanup_netns() {
    "$repo/bin/archy-testnet" stop --dir "$NET_DIR" >/dev/null 2>&1 || true
    if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; fi
  }
  trap cleanup_netns EXIT

  say "private Tor network (bin/archy-testnet start --dir $net)"
  local net_file
  net_file=$("$repo/bin/archy-testnet" start --dir "$net" 2>"$tmp/testnet.log") ||
    { tail -20 "$tmp/testnet.log" >&2; die "the private Tor network did not start"; }
  [ -f "$net_file" ] || die "archy-testnet printed no network file"

  exec 3>"$tmp/display"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset >"$tmp/xvfb.log" 2>&1 &
  XVFB_PID=$!
  exec 3>&-
  local i
  for i in $(seq 1 50); do [ -s "$tmp/display" ] && break; sleep 0.1; done
  [ -s "$tmp/display" ] || { cat "$tmp/xvfb.log" >&2; die "Xvfb did not start"; }
  export DISPLAY=:$(head -1 "$tmp/display")
  say "Xvfb on $DISPLAY"

  # dbus-run-session ends the bus when the stage ends.
  dbus-run-session -- "$0" --stage-session "$tmp" "$net_file"
}

# ---------------------------------------------------------------------------
case "${1:-}" in
  --stage-session) stage_session "$2" "$3"; exit ;;
  --stage-netns) stage_netns "$2"; exit ;;
esac

# Stage 1 and 4: install, validate, (stage 2), uninstall, check.
archive=${1:?usage: test-package.sh dist/archy-desktop-VERSION-linux-amd64.tar.xz}
archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
[ -f "$archive" ] || die "no archive $archive (make package-linux)"
for tool in Xvfb xwininfo xprop import convert dbus-run-session gio desktop-file-validate appstreamcli ss pgrep file; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/apt-deps.sh guitest package)"
done
[ -x "$repo/bin/archy-testnet" ] || die "bin/archy-testnet is missing (make build)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/archy-test-package.XXXXXX")
chmod 755 "$tmp"
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
home=$tmp/home prefix=$tmp/home/.local
mkdir -p "$home"

say "make install PREFIX=$prefix (from $(basename "$archive"))"
make -s -C "$repo" install PREFIX="$prefix" ARCHIVE="$archive" | sed 's/^/   /'
manifest=$prefix/lib/archy-desktop/install-manifest
[ -f "$manifest" ] || die "no install manifest"
cp "$manifest" "$tmp/manifest"

entry=$prefix/share/applications/$APP_ID.desktop
metainfo=$prefix/share/metainfo/$APP_ID.metainfo.xml
exe=$prefix/bin/archy-desktop
desktop-file-validate "$entry" || die "desktop-file-validate $entry"
appstreamcli validate --no-net --pedantic "$metainfo" >/dev/null || { appstreamcli validate --no-net "$metainfo" >&2; die "appstreamcli validate $metainfo"; }
grep -qx "Exec=$exe" "$entry" || die "the entry's Exec is not the installed binary: $(grep '^Exec=' "$entry")"
grep -qx "Icon=$APP_ID" "$entry" || die "the entry's Icon is not $APP_ID"
for size in 16x16 32x32 48x48 64x64 128x128 256x256 512x512; do
  [ -f "$prefix/share/icons/hicolor/$size/apps/$APP_ID.png" ] || die "no $size icon"
done
file -b "$exe" | grep -q ", stripped" || die "the installed binary is not stripped"
say "installed entry, metainfo and icons are valid; $(LANG=C.UTF-8 "$exe" --version 2>/dev/null | tr '\n' ' ')"

# Stage 2 in a new network namespace with loopback only, if we may make one.
if unshare --net true 2>/dev/null; then
  unshare --net -- "$0" --stage-netns "$tmp"
else
  say "note: cannot create a network namespace (not root?); the app is still pointed at the private network"
  "$0" --stage-netns "$tmp"
fi

say "make uninstall PREFIX=$prefix"
make -s -C "$repo" uninstall PREFIX="$prefix" | sed 's/^/   /'
left=$(sed -n 's/^[fc] //p' "$tmp/manifest" | while IFS= read -r f; do [ ! -e "$f" ] || echo "$f"; done)
[ -z "$left" ] || { echo "$left" >&2; die "uninstall left files behind"; }
for d in "$prefix/bin" "$prefix/lib" "$prefix/share/applications" "$prefix/share/icons" "$prefix/share/metainfo" "$prefix/share/doc"; do
  [ ! -e "$d" ] || die "uninstall left $d"
done
[ -d "$prefix/share/archy-desktop" ] || die "the node's data folder is gone (uninstall must keep it)"
say "uninstall removed all $(grep -c '^f ' "$tmp/manifest") installed files and $(grep -c '^c ' "$tmp/manifest" || true) generated caches; the node's data was kept"
say "PASS"
