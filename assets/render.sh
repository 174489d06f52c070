#!/bin/sh
# Rasterises the SVG sources in svg/ to png/NAME-SIZE.png. The PNGs are
# committed, so a build needs neither this script nor rsvg-convert
# (Debian: librsvg2-bin). Run it after editing an SVG.
set -eu
cd "$(dirname "$0")"
command -v rsvg-convert >/dev/null || { echo "render.sh: needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 1; }
mkdir -p png
for svg in svg/*.svg; do
  name=$(basename "$svg" .svg)
  for size in 16 22 32 48 64 128 256 512; do
    rsvg-convert -w "$size" -h "$size" "$svg" -o "png/$name-$size.png"
  done
done
