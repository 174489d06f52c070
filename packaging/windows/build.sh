#!/usr/bin/env bash
# Cross-compiles dist/archy-desktop-VERSION-windows-amd64.exe with mingw-w64
# (called by `make package-windows` with VERSION COMMIT BUILD). See
# docs/PACKAGING.md.
#
# - no embedtor tag: the static Tor build is Linux-only, so the Windows app
#   runs tor.exe from the Tor Expert Bundle (the exec provider)
# - icon (.ico made with ImageMagick from assets/png), manifest and
#   VERSIONINFO compiled by x86_64-w64-mingw32-windres into a .syso
# - the .syso must sit in the main package's folder; instead of writing into
#   cmd/archy-desktop, the package's Go files are copied with it to
#   dist/_windows-build/src (the leading _ keeps it out of ./... patterns)
#   and built from there; the copy is removed afterwards
# - -H windowsgui: double-clicking opens no console window
# Fyne's go-gl/glfw compile with mingw takes several minutes the first time;
# Go's build cache makes later builds fast.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${VERSION:?}" "${COMMIT:?}"
BUILD=${BUILD:-1}
ARCH=${ARCH:-amd64}
CC_WIN=${CC_WIN:-x86_64-w64-mingw32-gcc}
WINDRES=${WINDRES:-x86_64-w64-mingw32-windres}
SUBSYSTEM=${WINDOWS_SUBSYSTEM:-windowsgui}

out=dist/archy-desktop-$VERSION-windows-$ARCH.exe
res=dist/build/windows-$ARCH
src=dist/_windows-build/src
say() { echo ">> $*"; }
die() { echo "package-windows: $*" >&2; exit 1; }
for tool in "$CC_WIN" "$WINDRES" convert file; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/apt-deps.sh package)"
done

icon=$(sed -n 's/^ *Icon *= *"\(.*\)"/\1/p' FyneApp.toml)
[ -f "$icon" ] || die "the app icon $icon (FyneApp.toml [Details] Icon) is missing; the UI's icons live in assets/"
icon_base=${icon%-512.png}

# 0.1.0-rc.1 → 0 1 0
core=${VERSION%%[-+]*}
IFS=. read -r V_MAJOR V_MINOR V_PATCH <<<"$core"
for n in "$V_MAJOR" "${V_MINOR:-}" "${V_PATCH:-}" "$BUILD"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "cannot make a Windows version from VERSION=$VERSION BUILD=$BUILD"
done
fileflags=0
[ "$core" = "$VERSION" ] || fileflags=VS_FF_PRERELEASE

rm -rf "$res" dist/_windows-build
mkdir -p "$res" "$src"
trap 'rm -rf dist/_windows-build' EXIT

say "icon, manifest and version resources → $res"
sizes=()
for s in 16 24 32 48 64 128 256; do [ -f "$icon_base-$s.png" ] && sizes+=("$icon_base-$s.png"); done
[ ${#sizes[@]} -ge 3 ] || die "too few icon sizes next to $icon"
convert "${sizes[@]}" "$res/archy-desktop.ico"
subst=(-e "s/@VERSION@/$VERSION/g" -e "s/@BUILD@/$BUILD/g" -e "s/@COMMIT@/$COMMIT/g"
       -e "s/@V_MAJOR@/$V_MAJOR/g" -e "s/@V_MINOR@/$V_MINOR/g" -e "s/@V_PATCH@/$V_PATCH/g"
       -e "s/@FILEFLAGS@/$fileflags/g")
sed "${subst[@]}" packaging/windows/archy-desktop.rc.in > "$res/archy-desktop.rc"
sed "${subst[@]}" packaging/windows/archy-desktop.exe.manifest.in > "$res/archy-desktop.exe.manifest"
"$WINDRES" -O coff -I "$res" -i "$res/archy-desktop.rc" -o "$res/rsrc_windows_$ARCH.syso"

# The main package's files for windows (no cgo, C or embedded files there).
export CGO_ENABLED=1 GOOS=windows GOARCH=$ARCH CC=$CC_WIN CXX=${CC_WIN%gcc}g++
# The Makefile's cgo flags link the Linux Tor build; not here.
export CGO_CFLAGS= CGO_LDFLAGS=
extra=$(go list -f '{{join .CgoFiles " "}}{{join .CFiles " "}}{{join .EmbedFiles " "}}{{join .SysoFiles " "}}' ./cmd/archy-desktop)
[ -z "$extra" ] || die "cmd/archy-desktop has files the copy does not handle: $extra"
for f in $(go list -f '{{join .GoFiles " "}}' ./cmd/archy-desktop); do cp "cmd/archy-desktop/$f" "$src/"; done
cp "$res/rsrc_windows_$ARCH.syso" "$src/"

say "go build for windows/$ARCH with $CC_WIN (Fyne's OpenGL driver: several minutes on a cold cache)"
start=$(date +%s)
go build -trimpath -ldflags "-s -w -H $SUBSYSTEM -X main.version=$VERSION -X main.commit=$COMMIT" \
  -o "$out.tmp" "./$src"
mv "$out.tmp" "$out"
say "built in $(( $(date +%s) - start )) s"

# Checks: a PE32+ GUI program with our resources.
info=$(file -b "$out")
echo "   $info"
case "$info" in *PE32+*x86-64*) ;; *) die "not a 64-bit Windows program: $info" ;; esac
if [ "$SUBSYSTEM" = windowsgui ]; then case "$info" in *"(GUI)"*) ;; *) die "not a GUI-subsystem program" ;; esac; fi
x86_64-w64-mingw32-objdump -h "$out" | grep -q '\.rsrc' || die "no .rsrc section: resources missing"
x86_64-w64-mingw32-strings -el "$out" | grep -qx "$VERSION.$BUILD" || die "version resource missing ($VERSION.$BUILD)"
say "$out: $(du -h "$out" | cut -f1) ($(stat -c %s "$out") bytes)"
