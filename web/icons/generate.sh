#!/usr/bin/env bash
# Renders the PNG icons of the web app manifest and the home-screen icon of
# iOS into web/static from two drawings: ../static/icon.svg (the favicon, on a
# transparent background) and icon-full.svg (the same hexagon at 80 % on an
# opaque square, so that it survives a launcher's round or squircle mask and
# iOS, which fills transparency with black). The PNGs are committed; run this
# again after changing either drawing:
#
#   go generate ./web   (or: bash web/icons/generate.sh)
#
# Needs rsvg-convert and pngquant (Debian: apt-get install librsvg2-bin pngquant).
set -euo pipefail
cd "$(dirname "$0")"
out=../static

render() { # source size name
	rsvg-convert --width "$2" --height "$2" --output "$out/$3" "$1"
	pngquant --force --strip --speed 1 --quality 80-100 --output "$out/$3" -- "$out/$3"
}

render ../static/icon.svg 192 icon-192.png
render ../static/icon.svg 512 icon-512.png
render icon-full.svg 512 icon-maskable-512.png
render icon-full.svg 180 apple-touch-icon.png
