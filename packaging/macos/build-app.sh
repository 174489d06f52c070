#!/usr/bin/env bash
# Builds "dist/Archy Desktop.app" (and a .dmg) ON A MAC — it cannot run on the
# Linux build machine and has not been run there; see docs/PACKAGING.md.
#
# Needs: Go (the version in go.mod), Xcode command line tools (clang, lipo,
# iconutil, codesign, hdiutil). Optional environment:
#   TOR_BUNDLE=DIR       an unpacked Tor Expert Bundle for macOS; its tor/ folder
#                        is copied to Contents/MacOS/tor/ (the exec provider)
#   SIGN_IDENTITY=NAME   "Developer ID Application: …" (default: ad-hoc signature)
#   MIN_MACOS=12.0       oldest macOS (Go 1.26 needs macOS 12 Monterey)
#   ARCHS="arm64 amd64"  architectures lipo joins into one universal binary
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(uname -s)" = Darwin ] || { echo "build-app.sh: run this on macOS (see docs/PACKAGING.md)" >&2; exit 1; }

VERSION=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
BUILD=$(sed -n 's/^ *Build *= *\([0-9]*\)/\1/p' FyneApp.toml)
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
MIN_MACOS=${MIN_MACOS:-12.0}
ARCHS=${ARCHS:-arm64 amd64}
app="dist/Archy Desktop.app"
work=dist/build/macos
dmg=dist/archy-desktop-$VERSION-macos.dmg

rm -rf "$app" "$work"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources" "$work"

# 1. The binary: no embedtor tag (the static Tor build is Linux-only), one
#    build per architecture, joined with lipo.
export CGO_ENABLED=1 MACOSX_DEPLOYMENT_TARGET=$MIN_MACOS
bins=()
for arch in $ARCHS; do
  echo ">> go build darwin/$arch"
  GOOS=darwin GOARCH=$arch go build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
    -o "$work/archy-desktop-$arch" ./cmd/archy-desktop
  bins+=("$work/archy-desktop-$arch")
done
lipo -create -output "$app/Contents/MacOS/archy-desktop" "${bins[@]}"

# 2. Info.plist and PkgInfo.
sed -e "s/@VERSION@/$VERSION/g" -e "s/@BUILD@/$BUILD/g" -e "s/@MIN_MACOS@/$MIN_MACOS/g" \
  packaging/macos/Info.plist.in > "$app/Contents/Info.plist"
plutil -lint "$app/Contents/Info.plist"
printf 'APPL????' > "$app/Contents/PkgInfo"

# 3. The icon: an .iconset from assets/png (1024 px rendered from the SVG
#    when rsvg-convert is there, else scaled up from 512 px), made into .icns.
iconset=$work/archy-desktop.iconset
mkdir -p "$iconset"
for s in 16 32 128 256 512; do
  cp "assets/png/app-icon-$s.png" "$iconset/icon_${s}x${s}.png"
  d=$((s * 2))
  if [ -f "assets/png/app-icon-$d.png" ]; then
    cp "assets/png/app-icon-$d.png" "$iconset/icon_${s}x${s}@2x.png"
  elif command -v rsvg-convert >/dev/null; then
    rsvg-convert -w "$d" -h "$d" assets/svg/app-icon.svg -o "$iconset/icon_${s}x${s}@2x.png"
  else
    sips -z "$d" "$d" "assets/png/app-icon-512.png" --out "$iconset/icon_${s}x${s}@2x.png" >/dev/null
  fi
done
iconutil -c icns -o "$app/Contents/Resources/archy-desktop.icns" "$iconset"

# 4. Tor for the exec provider, from the Tor Expert Bundle.
if [ -n "${TOR_BUNDLE:-}" ]; then
  cp -R "$TOR_BUNDLE/tor" "$app/Contents/MacOS/tor"
  echo ">> bundled $(ls "$app/Contents/MacOS/tor" | tr '\n' ' ')"
else
  echo ">> note: no TOR_BUNDLE given; the app needs a tor executable (see docs/PACKAGING.md)"
fi

# 5. Sign (ad-hoc unless SIGN_IDENTITY is set) and make the disk image.
if [ -n "${SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$SIGN_IDENTITY" "$app"
else
  codesign --force --deep --sign - "$app"
fi
codesign --verify --deep --strict "$app"
"$app/Contents/MacOS/archy-desktop" --version
hdiutil create -volname "Archy Desktop" -srcfolder "$app" -ov -format UDZO "$dmg" >/dev/null
echo ">> $app and $dmg"
