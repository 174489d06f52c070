#!/bin/sh
# Removes exactly what install.sh installed into PREFIX, as listed in
# PREFIX/lib/archy-desktop/install-manifest: its files, the folders it
# created (when they are empty again) and the menu/icon caches it created.
# Your node's data (~/.local/share/archy-desktop) and a start-at-login entry
# you made in the app are left alone.
#
#   uninstall.sh [--prefix DIR]
#
# Without --prefix: the prefix this copy is installed in (PREFIX/lib/archy-desktop/),
# else $PREFIX, else ~/.local (as root: /usr/local).
set -eu

usage() { echo "usage: $0 [--prefix DIR] [--quiet]" >&2; exit 2; }
prefix=${PREFIX:-}
quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --quiet) quiet=1; shift ;;
    *) usage ;;
  esac
done
if [ -z "$prefix" ]; then
  self=$(cd "$(dirname "$0")" && pwd)
  if [ -f "$self/install-manifest" ] && [ "$(basename "$self")" = archy-desktop ]; then
    prefix=$(dirname "$(dirname "$self")")
  elif [ "$(id -u)" -eq 0 ]; then
    prefix=/usr/local
  else
    prefix=$HOME/.local
  fi
fi
case "$prefix" in "~") prefix=$HOME ;; "~/"*) prefix=$HOME/${prefix#"~/"} ;; esac
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
prefix=${prefix%/}

manifest=$prefix/lib/archy-desktop/install-manifest
if [ ! -f "$manifest" ]; then
  echo ">> Archy Desktop is not installed in ${prefix:-/} (no $manifest)"
  exit 0
fi

# Read it all first: the manifest lists itself.
entries=$(cat "$manifest")
inside() { case "$1" in "$prefix"/*) return 0 ;; esac; echo "uninstall.sh: skipping $1 (outside $prefix)" >&2; return 1; }

# Files.
printf '%s\n' "$entries" | while IFS= read -r line; do
  kind=${line%% *}; path=${line#* }
  [ "$kind" = f ] || continue
  inside "$path" || continue
  if [ -f "$path" ] || [ -L "$path" ]; then rm -f "$path"; fi
done
removed=$(printf '%s\n' "$entries" | grep -c '^f ' || true)

# Caches install.sh created: gone if nothing else is left beside them,
# otherwise brought up to date.
printf '%s\n' "$entries" | while IFS= read -r line; do
  kind=${line%% *}; path=${line#* }
  [ "$kind" = c ] || continue
  inside "$path" || continue
  dir=$(dirname "$path")
  [ -d "$dir" ] || continue
  others=$(find "$dir" -mindepth 1 -maxdepth 1 ! -name "$(basename "$path")" | head -1)
  if [ -z "$others" ]; then
    rm -f "$path"
  else
    case "$path" in
      */mimeinfo.cache) command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$dir" 2>/dev/null || true ;;
      */icon-theme.cache) command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -f "$dir" 2>/dev/null || true ;;
    esac
  fi
done
# Caches that existed before the install: bring them up to date.
if [ -d "$prefix/share/applications" ] && [ -f "$prefix/share/applications/mimeinfo.cache" ] &&
   command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
fi
if [ -f "$prefix/share/icons/hicolor/icon-theme.cache" ] && [ -f "$prefix/share/icons/hicolor/index.theme" ] &&
   command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -f "$prefix/share/icons/hicolor" 2>/dev/null || true
fi

# Folders install.sh created (the prefix itself included, when it made it),
# deepest first, if they are empty now: rmdir never removes anything else.
kept=""
dirs=$(printf '%s\n' "$entries" | sed -n 's/^d //p' | awk '{ a[NR] = $0 } END { for (i = NR; i > 0; i--) print a[i] }')
if [ -n "$dirs" ]; then
  kept=$(printf '%s\n' "$dirs" | while IFS= read -r d; do
    case "$d" in /*) ;; *) continue ;; esac
    [ -d "$d" ] || continue
    rmdir "$d" 2>/dev/null || printf '%s\n' "$d"
  done)
fi

if [ "$quiet" = 0 ]; then
  echo ">> removed Archy Desktop from $prefix ($removed files)"
  [ -z "$kept" ] || { echo "   kept these folders, they hold other things now:"; printf '%s\n' "$kept" | sed 's/^/     /'; }
  data=${ARCHY_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/archy-desktop}
  [ -d "$data" ] && echo "   your node's data is still in $data (delete it to start afresh)"
  auto=${XDG_CONFIG_HOME:-$HOME/.config}/autostart/org.archipelago.desktop.desktop
  [ -f "$auto" ] && echo "   start at login is still on ($auto); it does nothing while the app is not installed"
fi
exit 0
