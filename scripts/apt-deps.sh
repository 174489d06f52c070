#!/usr/bin/env bash
# Installs the Debian packages a group of targets needs, idempotently.
#   scripts/apt-deps.sh GROUP...   (groups: torbuild testnet gui guitest guidrive qr package)
set -euo pipefail

pkgs=()
for group in "$@"; do
  case "$group" in
    torbuild) pkgs+=(build-essential dpkg-dev pkg-config libssl-dev libevent-dev zlib1g-dev) ;;
    testnet)  pkgs+=(tor) ;;
    gui)      pkgs+=(gcc pkg-config libc6-dev libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev) ;;
    guitest)  pkgs+=(xvfb xauth x11-apps x11-utils imagemagick dbus dbus-x11 libglib2.0-bin iproute2 procps) ;;
    guidrive) pkgs+=(xdotool xclip tesseract-ocr tesseract-ocr-eng) ;;
    qr)       pkgs+=(zbar-tools) ;;
    package)  pkgs+=(desktop-file-utils appstream xz-utils mingw-w64 imagemagick file) ;;
    *) echo "apt-deps.sh: unknown group $group" >&2; exit 2 ;;
  esac
done

needs_src=0
for g in "$@"; do [ "$g" = torbuild ] && needs_src=1; done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=0
if [ "$needs_src" = 1 ] && ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  # deb822 sources: copy each entry with Types: deb-src and the same Signed-By,
  # otherwise apt rejects every source.
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    echo ">> enabling deb-src in /etc/apt/sources.list.d/archy-deb-src.sources"
    sed -e 's/^Types:.*/Types: deb-src/' "$src" | $sudo tee /etc/apt/sources.list.d/archy-deb-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $sudo tee /etc/apt/sources.list.d/archy-deb-src.list >/dev/null
  fi
  $sudo apt-get update -qq
  updated=1
fi
if [ ${#missing[@]} -gt 0 ]; then
  [ "$updated" = 1 ] || $sudo apt-get update -qq
  echo ">> installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
