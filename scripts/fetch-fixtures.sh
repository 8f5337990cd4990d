#!/usr/bin/env bash
# Real photographs for the tests, taken from Debian's opencv-doc package
# (its example images), plus a PNG and a WebP re-encoded from those photos
# and the broken files the robustness tests need. Idempotent; needs apt-get.
#
#   bash scripts/fetch-fixtures.sh [OUT]   (default: tests/fixtures/photos)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
OUT="${1:-$here/tests/fixtures/photos}"
CACHE="${IMLAGE_FIXTURE_CACHE:-$here/tests/fixtures/.cache}"
PHOTOS=(baboon.jpg messi5.jpg fruits.jpg squirrel_cls.jpg building.jpg home.jpg
        butterfly.jpg starry_night.jpg aero1.jpg apple.jpg)
PNGS=(rubberwhale1.png smarties.png chicky_512.png)
# Printed text, for the OCR plugin.
TEXT=(imageTextN.png licenseplate_motion.jpg)
# Bump when the set changes, so existing fixture folders are rebuilt.
FIXTURE_SET=3

if [ "$(cat "$OUT/.complete" 2>/dev/null)" = "$FIXTURE_SET" ]; then exit 0; fi
mkdir -p "$CACHE" "$OUT"
src="$CACHE/x/usr/share/doc/opencv-doc/examples/data"
if [ ! -d "$src" ]; then
  cd "$CACHE"
  if ! ls opencv-doc_*.deb >/dev/null 2>&1; then
    # Use the system's package lists; when they are missing, keep a private copy under the cache.
    if ! apt-get download opencv-doc >/dev/null 2>&1; then
      mkdir -p "$CACHE/lists/partial"
      apt-get -oDir::State::Lists="$CACHE/lists" update >/dev/null
      apt-get -oDir::State::Lists="$CACHE/lists" download opencv-doc >/dev/null
    fi
  fi
  rm -rf x; dpkg -x opencv-doc_*.deb x
fi
for f in "${PHOTOS[@]}" "${PNGS[@]}"; do cp "$src/$f" "$OUT/$f"; done
mkdir -p "$OUT/text"
for f in "${TEXT[@]}"; do cp "$src/$f" "$OUT/text/$f"; done
cd "$here"
node --input-type=module - "$OUT" <<'JS'
import sharp from 'sharp';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
const out = process.argv[2];
// Other containers of the same real photos.
await sharp(join(out, 'fruits.jpg')).webp({ quality: 90 }).toFile(join(out, 'fruits.webp'));
await sharp(join(out, 'butterfly.jpg')).png().toFile(join(out, 'butterfly.png'));
// The other containers sharp reads: GIF, TIFF and AVIF (under formats/, so the
// folder-level tests keep their fixed set).
(await import('node:fs')).mkdirSync(join(out, 'formats'), { recursive: true });
await sharp(join(out, 'squirrel_cls.jpg')).gif().toFile(join(out, 'formats', 'squirrel.gif'));
await sharp(join(out, 'squirrel_cls.jpg')).tiff({ compression: 'lzw' }).toFile(join(out, 'formats', 'squirrel.tiff'));
await sharp(join(out, 'squirrel_cls.jpg')).avif({ quality: 70 }).toFile(join(out, 'formats', 'squirrel.avif'));
// A photo with EXIF orientation 6 (stored sideways, shown upright).
await sharp(join(out, 'home.jpg')).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(join(out, 'home-exif6.jpg'));
// Broken inputs for the robustness tests, under bad/.
const bad = join(out, 'bad');
(await import('node:fs')).mkdirSync(bad, { recursive: true });
const jpg = readFileSync(join(out, 'baboon.jpg'));
writeFileSync(join(bad, 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 3)));
const corrupt = Buffer.from(jpg); corrupt.fill(0x5a, 200, 4000); corrupt.fill(0, 5000);
writeFileSync(join(bad, 'corrupt.jpg'), corrupt.subarray(0, 6000));
writeFileSync(join(bad, 'empty.jpg'), Buffer.alloc(0));
writeFileSync(join(bad, 'notes.txt.jpg'), 'this is a text file with an image extension\n');
JS
echo "$FIXTURE_SET" > "$OUT/.complete"
echo "fixtures ready in $OUT"
