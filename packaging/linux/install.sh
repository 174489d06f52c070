#!/bin/sh
# Installs Archy Desktop from this unpacked archive into PREFIX, so it appears
# in the applications menu and starts by double-click.
#
#   ./install.sh                 per user into ~/.local (as root: /usr/local)
#   ./install.sh --prefix DIR    or PREFIX=DIR ./install.sh
#
# Every file and every folder it creates is listed in
# PREFIX/lib/archy-desktop/install-manifest; uninstall.sh (also copied there)
# removes exactly those. Installing again first removes the previous install.
# Your node's data (~/.local/share/archy-desktop) is never touched.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
APP_ID=org.archipelago.desktop

usage() { echo "usage: $0 [--prefix DIR]" >&2; exit 2; }
prefix=${PREFIX:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
done
if [ -z "$prefix" ]; then
  if [ "$(id -u)" -eq 0 ]; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi
case "$prefix" in "~") prefix=$HOME ;; "~/"*) prefix=$HOME/${prefix#"~/"} ;; esac
case "$prefix" in /*) ;; *) prefix=$(pwd)/$prefix ;; esac
case "$prefix" in *'
'*) echo "install.sh: the prefix contains a newline" >&2; exit 1 ;; esac
prefix=${prefix%/}
[ -n "$prefix" ] || { echo "install.sh: refusing to install into /" >&2; exit 1; }

[ -x "$here/bin/archy-desktop" ] || { echo "install.sh: run it from the unpacked archive ($here/bin/archy-desktop is missing)" >&2; exit 1; }

libdir=$prefix/lib/archy-desktop
manifest=$libdir/install-manifest
if [ -f "$manifest" ]; then
  echo ">> removing the previous install in $prefix"
  sh "$here/uninstall.sh" --prefix "$prefix" --quiet
fi

# The manifest is written to a temporary file and moved into place at the end.
list=$(mktemp "${TMPDIR:-/tmp}/archy-manifest.XXXXXX")
trap 'rm -f "$list"' EXIT

# mkdirs DIR: creates DIR and its missing parents, recording each one created.
mkdirs() {
  [ -d "$1" ] && return 0
  mkdirs "$(dirname "$1")"
  mkdir "$1"
  printf '%s\n' "d $1" >> "$list"
}

# put SRC DEST MODE: installs one file, recording it.
put() {
  mkdirs "$(dirname "$2")"
  if [ -e "$2" ] && [ ! -f "$2" ]; then
    echo "install.sh: $2 exists and is not a file" >&2; exit 1
  fi
  [ -e "$2" ] && echo "   replacing $2 (it was not part of an earlier install)"
  cp "$1" "$2.archy-new"
  chmod "$3" "$2.archy-new"
  mv -f "$2.archy-new" "$2"
  printf '%s\n' "f $2" >> "$list"
}

# desktop_arg S: S quoted as one argument of a desktop entry's Exec key.
desktop_arg() {
  case "$1" in
    *[!A-Za-z0-9/._+@,:=-]*)
      printf '"%s"' "$(printf '%s' "$1" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g' -e 's/%/%%/g')" ;;
    *) printf '%s' "$1" ;;
  esac
}

exe=$prefix/bin/archy-desktop
# Caches the post-install tools generate: record them if they are new.
apps_cache=$prefix/share/applications/mimeinfo.cache
icon_cache=$prefix/share/icons/hicolor/icon-theme.cache
had_apps_cache=0; [ -e "$apps_cache" ] && had_apps_cache=1
had_icon_cache=0; [ -e "$icon_cache" ] && had_icon_cache=1

cd "$here"
find bin share -type f | LC_ALL=C sort | while IFS= read -r f; do
  case "$f" in
    bin/*) put "$f" "$prefix/$f" 0755 ;;
    share/applications/*.desktop)
      # Exec and TryExec point at the installed binary, so the entry works
      # even when PREFIX/bin is not on the desktop session's PATH.
      tmp=$(mktemp "${TMPDIR:-/tmp}/archy-desktop-entry.XXXXXX")
      escaped=$(desktop_arg "$exe" | sed -e 's/[\\&|]/\\&/g')
      tryexec=$(printf '%s' "$exe" | sed -e 's/\\/\\\\/g' -e 's/[\\&|]/\\&/g')
      sed -e "s|^Exec=archy-desktop|Exec=$escaped|" -e "s|^TryExec=archy-desktop\$|TryExec=$tryexec|" "$f" > "$tmp"
      put "$tmp" "$prefix/$f" 0644
      rm -f "$tmp" ;;
    *) put "$f" "$prefix/$f" 0644 ;;
  esac
done
put "$here/uninstall.sh" "$libdir/uninstall.sh" 0755

if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
  [ "$had_apps_cache" = 0 ] && [ -e "$apps_cache" ] && printf '%s\n' "c $apps_cache" >> "$list"
fi
# An icon cache only belongs in a theme folder that has its index (e.g. /usr/share).
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$prefix/share/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -f "$prefix/share/icons/hicolor" 2>/dev/null || true
  [ "$had_icon_cache" = 0 ] && [ -e "$icon_cache" ] && printf '%s\n' "c $icon_cache" >> "$list"
else
  touch "$prefix/share/icons/hicolor" 2>/dev/null || true
fi

printf '%s\n' "f $manifest" >> "$list"
cp "$list" "$manifest"
chmod 0644 "$manifest"

version=$("$exe" --version 2>/dev/null | head -1 || true)
echo ">> installed ${version:-Archy Desktop} into $prefix"
echo "   start it from your applications menu (Archy Desktop), or run $exe"
echo "   remove it with: $libdir/uninstall.sh   (your node's data is kept)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "   note: $prefix/bin is not on your PATH; the menu entry works anyway" ;; esac
