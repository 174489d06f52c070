#!/usr/bin/env bash
# Builds dist/archy-desktop-VERSION-linux-ARCH.tar.xz (called by `make package-linux`,
# which exports the cgo flags that link Tor and sets VERSION COMMIT ARCH TAGS
# APP_ID FYNE STARTUP_WM_CLASS). See docs/PACKAGING.md for the layout.
#
# 1. the stripped release binary (Tor linked in), checked with `file` and --version
# 2. Fyne's packaging tool (fyne package -os linux) makes the desktop entry
#    from FyneApp.toml; we keep its entry, add TryExec/Terminal and the real
#    window class, and drop its Makefile and single pixmaps icon
# 3. hicolor icons from assets/, the AppStream metainfo with releases from
#    CHANGELOG.md, install.sh/uninstall.sh
# 4. desktop-file-validate and appstreamcli validate, then a reproducible tar.xz
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${VERSION:?}" "${COMMIT:?}" "${FYNE:?}"
ARCH=${ARCH:-amd64}
TAGS=${TAGS:-embedtor}
APP_ID=${APP_ID:-org.archipelago.desktop}
STARTUP_WM_CLASS=${STARTUP_WM_CLASS:-Archy}

name=archy-desktop-$VERSION-linux-$ARCH
build=dist/build/linux-$ARCH
stage=$build/$name
out=dist/$name.tar.xz
say() { echo ">> $*"; }
die() { echo "package-linux: $*" >&2; exit 1; }

# --- inputs ---------------------------------------------------------------
icon=$(sed -n 's/^ *Icon *= *"\(.*\)"/\1/p' FyneApp.toml)
[ -n "$icon" ] || die "FyneApp.toml has no [Details] Icon line"
[ -f "$icon" ] || die "the app icon $icon (FyneApp.toml [Details] Icon) is missing.
  The UI's icons live in assets/ (assets/png/app-icon-SIZE.png, rendered from assets/svg/app-icon.svg
  by assets/render.sh); add them or point Icon at the 512 px PNG."
case "$icon" in *-512.png) ;; *) die "FyneApp.toml's Icon should be the 512 px PNG (…-512.png), got $icon" ;; esac
icon_base=${icon%-512.png}                       # assets/png/app-icon
svg=$(dirname "$(dirname "$icon")")/svg/$(basename "$icon_base").svg   # assets/svg/app-icon.svg
grep -q "^## \[$VERSION\] - " CHANGELOG.md ||
  die "CHANGELOG.md has no '## [$VERSION] - YYYY-MM-DD' entry (FyneApp.toml's Version); add one before packaging"
for tool in desktop-file-validate appstreamcli xz file convert; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/apt-deps.sh package)"
done

rm -rf "$build" && mkdir -p "$stage"

# --- 1. the release binary --------------------------------------------------
say "go build (tags $TAGS, stripped) → $build/archy-desktop"
go build -tags "$TAGS" -trimpath \
  -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
  -o "$build/archy-desktop" ./cmd/archy-desktop
file -b "$build/archy-desktop" | grep -q ", stripped" || die "the binary is not stripped: $(file -b "$build/archy-desktop")"
v=$("$build/archy-desktop" --version)
echo "$v" | sed 's/^/   /'
echo "$v" | grep -q "^Archy Desktop $VERSION (commit $COMMIT)" || die "--version does not say $VERSION / $COMMIT"
if [[ " $TAGS " == *" embedtor "* ]]; then
  echo "$v" | grep -q "^Tor .*(embedded)" || die "--version reports no embedded Tor"
fi

# --- 2. Fyne's packaging tool -------------------------------------------------
say "fyne package -os linux ($("$FYNE" version 2>/dev/null | head -1))"
fyne_work=$(mktemp -d "${TMPDIR:-/tmp}/archy-fyne.XXXXXX")
trap 'rm -rf "$fyne_work"' EXIT
# Fyne's tool rewrites FyneApp.toml after packaging (Build++, comments
# dropped), so it gets a copy: a source folder with FyneApp.toml and a stub
# main package (it insists on finding Go code), the icon given absolute.
mkdir "$fyne_work/src"
cp FyneApp.toml "$fyne_work/src/"
printf 'package main\n\nfunc main() {}\n' > "$fyne_work/src/main.go"
(cd "$fyne_work" && "$FYNE" package -os linux --release --src "$fyne_work/src" \
  --icon "$OLDPWD/$icon" --exe "$OLDPWD/$build/archy-desktop" >/dev/null)
fyne_tar=$(find "$fyne_work" -maxdepth 1 -name '*.tar.xz' | head -1)
[ -n "$fyne_tar" ] || die "fyne package made no archive"
mkdir "$fyne_work/x" && tar -xJf "$fyne_tar" -C "$fyne_work/x"
fyne_desktop=$(find "$fyne_work/x" -path "*/share/applications/$APP_ID.desktop" | head -1)
fyne_bin=$(find "$fyne_work/x" -path "*/bin/archy-desktop" | head -1)
[ -f "$fyne_desktop" ] || die "fyne package made no $APP_ID.desktop"
cmp -s "$fyne_bin" "$build/archy-desktop" || die "fyne package changed the binary"

install -Dm0755 "$build/archy-desktop" "$stage/bin/archy-desktop"

# The desktop entry: Fyne's, plus TryExec and Terminal, and StartupWMClass set
# to the class the window really gets (GLFW uses the first window title).
desktop=$stage/share/applications/$APP_ID.desktop
mkdir -p "$(dirname "$desktop")"
sed -e '/^$/d' \
    -e "s/^StartupWMClass=.*/StartupWMClass=$STARTUP_WM_CLASS/" \
    -e '/^Exec=/a TryExec=archy-desktop' \
    -e '/^Exec=/a Terminal=false' \
    "$fyne_desktop" > "$desktop"
grep -q '^StartupWMClass=' "$desktop" || echo "StartupWMClass=$STARTUP_WM_CLASS" >> "$desktop"
grep -qx 'Exec=archy-desktop' "$desktop" || die "unexpected Exec line: $(grep '^Exec=' "$desktop")"
grep -qx "Icon=$APP_ID" "$desktop" || die "unexpected Icon line: $(grep '^Icon=' "$desktop")"

# --- 3. icons, metainfo, docs, scripts -----------------------------------------
say "hicolor icons from $icon_base-*.png"
n=0
for size in 16 22 24 32 48 64 96 128 256 512; do
  src=$icon_base-$size.png
  [ -f "$src" ] || continue
  dims=$(convert "$src" -format '%wx%h' info:)
  [ "$dims" = "${size}x${size}" ] || die "$src is $dims, not ${size}x${size}"
  install -Dm0644 "$src" "$stage/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
  n=$((n + 1))
done
[ "$n" -ge 4 ] || die "only $n icon sizes found next to $icon"
if [ -f "$svg" ]; then
  install -Dm0644 "$svg" "$stage/share/icons/hicolor/scalable/apps/$APP_ID.svg"
fi

metainfo=$stage/share/metainfo/$APP_ID.metainfo.xml
mkdir -p "$(dirname "$metainfo")"
awk -f packaging/linux/releases.awk CHANGELOG.md > "$fyne_work/releases.xml"
sed -e "/@RELEASES@/{r $fyne_work/releases.xml" -e 'd}' \
  "packaging/linux/$APP_ID.metainfo.xml.in" > "$metainfo"
grep -q "<release version=\"$VERSION\"" "$metainfo" || die "the metainfo has no release $VERSION"

install -Dm0644 CHANGELOG.md "$stage/share/doc/archy-desktop/CHANGELOG.md"
install -Dm0644 README.md "$stage/share/doc/archy-desktop/README.md"
install -m0755 packaging/linux/install.sh packaging/linux/uninstall.sh "$stage/"
sed -e "s/@VERSION@/$VERSION/g" packaging/linux/README.txt.in > "$stage/README.txt"

# --- 4. validate and pack ------------------------------------------------------
say "desktop-file-validate, appstreamcli validate"
desktop-file-validate "$desktop" || die "desktop-file-validate failed"
appstreamcli validate --no-net --pedantic "$metainfo" || die "appstreamcli validate failed"

epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
find "$stage" -exec touch -h -d "@$epoch" {} +
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -C "$build" -cf - "$name" | xz -6 -T2 > "$out.tmp"
mv "$out.tmp" "$out"
say "$out: $(du -h "$out" | cut -f1) (binary $(du -h "$build/archy-desktop" | cut -f1), $(stat -c %s "$build/archy-desktop") bytes: $(file -b "$build/archy-desktop" | sed 's/, BuildID[^,]*//'))"
