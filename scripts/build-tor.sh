#!/usr/bin/env bash
# Builds Tor's libtor.a from Debian's source package into a cache outside the
# checkout, keyed by version. Idempotent: returns at once when the cache holds
# a finished build of the pinned version.
#
#   scripts/build-tor.sh TOR_DEB_VERSION CACHE_DIR
set -euo pipefail
deb_version=${1:?usage: build-tor.sh TOR_DEB_VERSION CACHE_DIR}
cache=${2:?usage: build-tor.sh TOR_DEB_VERSION CACHE_DIR}
upstream=${deb_version%%-*}

if [ -f "$cache/.complete" ]; then
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
"$here/apt-deps.sh" torbuild

work=$(mktemp -d "${TMPDIR:-/tmp}/archy-tor-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo ">> fetching Debian source package tor=$deb_version"
apt-get source --only-source "tor=$deb_version" >source.log 2>&1 || {
  cat source.log >&2
  echo "apt-get source tor=$deb_version failed; is deb-src enabled and this version still in the archive?" >&2
  exit 1
}
src=$(find . -maxdepth 1 -type d -name "tor-$upstream*" | head -n1)
cd "$src"
echo ">> configuring Tor $upstream (client + onion service only)"
start=$(date +%s)
./configure --quiet \
  --disable-module-relay --disable-module-dirauth \
  --disable-asciidoc --disable-manpage --disable-html-manual \
  --disable-unittests --disable-seccomp --disable-libscrypt \
  --disable-lzma --disable-zstd --disable-systemd \
  --disable-tool-name-check --disable-gcc-hardening \
  --enable-pic >configure.log 2>&1 || { tail -50 configure.log >&2; exit 1; }
echo ">> configure took $(( $(date +%s) - start )) s; building libtor.a"
start=$(date +%s)
make -j"$(nproc)" libtor.a >make.log 2>&1 || { tail -50 make.log >&2; exit 1; }
echo ">> make took $(( $(date +%s) - start )) s"

tmp="$cache.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/lib" "$tmp/include"
cp libtor.a "$tmp/lib/"
cp src/feature/api/tor_api.h "$tmp/include/"
echo "$deb_version" >"$tmp/VERSION"
touch "$tmp/.complete"
rm -rf "$cache"
mv "$tmp" "$cache"
echo ">> libtor.a cached in $cache"
