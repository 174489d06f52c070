#!/usr/bin/env bash
# demo.sh (make demo) — Archy on a private Tor network: two app windows,
# "Alice's laptop" and "Bob's desktop", paired and syncing, until Ctrl-C.
#
#  - a private Tor network on 127.0.0.1 (bin/archy-testnet); no app started
#    here ever talks to the live Tor network (--tor-network on every call)
#  - two instances, each with its own data, config and cache folders under
#    ${XDG_CACHE_HOME:-~/.cache}/archy-desktop/demo (started afresh each run)
#  - named, paired (invite on Alice, join on Bob, through the CLI), a few
#    records added; every 45 s one of them adds a note and syncs
#  - without a display ($DISPLAY empty) it starts Xvfb itself and says how
#    to take screenshots; without a session bus it runs in dbus-run-session
#  - Ctrl-C stops both instances and the network; nothing is left running
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/bin/archy-desktop
testnet=$repo/bin/archy-testnet
cache=${XDG_CACHE_HOME:-$HOME/.cache}
demo=$cache/archy-desktop/demo
say() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

for f in "$bin" "$testnet"; do [ -x "$f" ] || die "$f is missing (make build)"; done

# A session bus of our own when there is none, so that the apps do not
# spawn a dbus-daemon that outlives them.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ ! -S "${XDG_RUNTIME_DIR:-/nonexistent}/bus" ] && [ -z "${ARCHY_DEMO_SESSION:-}" ]; then
  command -v dbus-run-session >/dev/null || die "dbus-run-session is missing (scripts/apt-deps.sh guitest)"
  say "no D-Bus session: running the demo in dbus-run-session"
  ARCHY_DEMO_SESSION=1 exec dbus-run-session -- "$0" "$@"
fi

mkdir -p "$cache/archy-desktop"
exec 9>"$cache/archy-desktop/demo.lock"
flock -n 9 || die "a demo is already running (lock $cache/archy-desktop/demo.lock)"

# ---- cleanup: whatever happens, leave nothing running ----
PIDS=() XVFB_PID="" NET_UP=0
cleanup() {
  trap - INT TERM EXIT
  echo
  say "stopping…"
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; say "instance $p did not stop within 20 s; killed"; fi
    wait "$p" 2>/dev/null || true
  done
  [ ${#PIDS[@]} -eq 0 ] || say "both instances stopped"
  if [ "$NET_UP" = 1 ]; then "$testnet" stop --dir "$demo/net" >/dev/null 2>&1 || true; say "private Tor network stopped"; fi
  if [ -n "$XVFB_PID" ]; then kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; say "Xvfb stopped"; fi
  say "done — data and logs stay in $demo until the next demo"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- display ----
xvfb=0
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || die "no display and no Xvfb (scripts/apt-deps.sh guitest)"
  mkdir -p "$demo.tmp"
  exec 3>"$demo.tmp/display"
  # Its own session: Ctrl-C must not take the X server away before the
  # apps have quit (they would die of a broken X connection).
  setsid Xvfb -displayfd 3 -screen 0 1800x900x24 -nolisten tcp -noreset >"$demo.tmp/xvfb.log" 2>&1 9>&- &
  XVFB_PID=$!
  exec 3>&-
  for _ in $(seq 1 100); do [ -s "$demo.tmp/display" ] && break; sleep 0.1; done
  [ -s "$demo.tmp/display" ] || die "Xvfb did not start: $(cat "$demo.tmp/xvfb.log")"
  export DISPLAY=:$(head -1 "$demo.tmp/display")
  rm -rf "$demo.tmp"
  xvfb=1
  say "no display (\$DISPLAY is empty): started Xvfb on $DISPLAY (1800×900)"
  say "  screenshots: import -display $DISPLAY -window root shot.png   (ImageMagick)"
fi

# ---- private Tor network ----
rm -rf "$demo"
mkdir -p "$demo"
say "starting a private Tor network (3 directory authorities, 4 relays on 127.0.0.1)…"
net_file=$("$testnet" start --dir "$demo/net" 2>"$demo/testnet.log" 9>&-) || die "the private Tor network did not start: $(tail -5 "$demo/testnet.log")"
NET_UP=1
[ -f "$net_file" ] || die "archy-testnet printed no network file"
export ARCHY_TOR_NETWORK=$net_file
say "private Tor network up: $net_file"

# ---- the two instances ----
declare -A DIR NAME PID
start_instance() { # key name
  local key=$1 name=$2 d=$demo/$1
  mkdir -p "$d/config" "$d/cache" "$d/share"
  DIR[$key]=$d/data NAME[$key]=$name
  local -a env=(ARCHY_TOR_NETWORK="$net_file" XDG_CONFIG_HOME="$d/config" XDG_CACHE_HOME="$d/cache" XDG_DATA_HOME="$d/share")
  # Under our own Xvfb there is no tray host: no tray, and no hint about it.
  [ "$xvfb" = 0 ] || env+=(ARCHY_NO_TRAY=1)
  env "${env[@]}" "$bin" --data-dir "$d/data" --tor-network "$net_file" >"$d.log" 2>&1 9>&- &
  PID[$key]=$!
  PIDS+=("$!")
  say "started $name (pid $!, data $d/data, log $d.log)"
}
cli() { # key args… — always on the private network
  local key=$1; shift
  "$bin" --data-dir "${DIR[$key]}" --tor-network "$net_file" "$@" 2>/dev/null
}
alive() { kill -0 "${PID[$1]}" 2>/dev/null || die "${NAME[$1]} ended; see $demo/$1.log: $(tail -5 "$demo/$1.log")"; }
wait_until() { # description timeout-seconds command…
  local what=$1 timeout=$2; shift 2
  local t0=$SECONDS
  until "$@"; do
    alive alice; alive bob
    [ $((SECONDS - t0)) -lt "$timeout" ] || die "timed out after ${timeout}s waiting for $what"
    sleep 1
  done
}
tor_line() { cli "$1" status | sed -n 's/^Tor: *//p' | head -1 || true; }
online() { local l; l=$(tor_line "$1"); [[ $l == *"online — reachable"* ]]; }
answers() { cli "$1" status >/dev/null; }

start_instance alice "Alice's laptop"
start_instance bob "Bob's desktop"
wait_until "the instances' control sockets" 60 answers alice
wait_until "the instances' control sockets" 60 answers bob
cli alice name "Alice's laptop"
cli bob name "Bob's desktop"
say "named them “Alice's laptop” and “Bob's desktop” (archy-desktop --data-dir … name …)"

# Side by side (no window manager under Xvfb; a desktop's usually obliges).
if command -v xdotool >/dev/null && [ -n "${DISPLAY:-}" ]; then
  x=0
  for key in alice bob; do
    w=""
    for _ in $(seq 1 50); do
      w=$(xdotool search --onlyvisible --pid "${PID[$key]}" 2>/dev/null | head -1 || true)
      [ -n "$w" ] && break
      sleep 0.2
    done
    [ -z "$w" ] || xdotool windowmove "$w" "$x" 0 || true
    x=900
  done
fi

last=""
both_online() {
  local a b
  a=$(tor_line alice) b=$(tor_line bob)
  if [ "$a | $b" != "$last" ]; then say "Tor — Alice: ${a:-…} | Bob: ${b:-…}"; last="$a | $b"; fi
  online alice && online bob
}
wait_until "both nodes online" 300 both_online

# ---- pairing ----
link=$(cli alice invite | grep -o 'ARCHY://[A-Z0-9]*' | head -1 || true)
[ -n "$link" ] || die "no invite from Alice"
say "Alice made an invite: ${link:0:28}…  (archy-desktop invite)"
joined=$(cli bob join "$link") || die "Bob could not join: $joined"
say "Bob joined with it: $(echo "$joined" | sed -n 's/^Safety words: /safety words: /p')"
synced() { local p; p=$(cli "$1" peers || true); [[ $p == *synced* ]]; }
wait_until "the pairing and the first sync" 300 synced alice
wait_until "the pairing and the first sync" 300 synced bob
say "paired and synced:"
cli alice peers | sed 's/^/            /'

# ---- records ----
notes=$demo/notes
mkdir -p "$notes"
note() { # key text
  local f
  f=$(mktemp "$notes/note.XXXXXX")
  printf '%s\n' "$2" >"$f"
  cli "$1" records add --protocol notes "$f" >/dev/null || { say "could not add a record to ${NAME[$1]}"; return 1; }
}
note alice "Shopping: bread, tea, oranges"
note alice "Meeting on Friday at 10"
note bob "The spare key is with Carol"
cli alice sync || true
say "added 3 records (2 by Alice, 1 by Bob) and asked for a sync"
if [ "$xvfb" = 1 ] && command -v import >/dev/null; then
  sleep 5
  import -display "$DISPLAY" -window root "$demo/demo.png" 2>/dev/null && say "screenshot: $demo/demo.png"
fi

say "running — Ctrl-C stops both instances and the network"
n=0 t_note=$SECONDS
while true; do
  alive alice; alive bob
  if [ $((SECONDS - t_note)) -ge 45 ]; then
    n=$((n + 1)) t_note=$SECONDS
    if [ $((n % 2)) = 1 ]; then who=alice; else who=bob; fi
    if note "$who" "Note $n from ${NAME[$who]}, $(date +%H:%M:%S)"; then
      cli "$who" sync || true
      say "${NAME[$who]} added note $n and synced"
    fi
  fi
  sa=$(cli alice status | sed -n 's/^Sync: *//p; s/^Records: *\(.*\)/records \1/p' | paste -sd' ' || true)
  sb=$(cli bob status | sed -n 's/^Sync: *//p; s/^Records: *\(.*\)/records \1/p' | paste -sd' ' || true)
  say "Alice: $sa | Bob: $sb"
  sleep 15 &
  wait $! || true
done
