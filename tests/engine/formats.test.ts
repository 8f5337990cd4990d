// Every container sharp reads goes through the engine: the same photo as
// JPEG, PNG, WebP, GIF, TIFF and AVIF gets the same top nsfw class, and
// close scores (lossy re-encodes move pixels a little). The variants real
// files come in (progressive, 16-bit, interlaced, grey, CMYK, lossless,
// BigTIFF, rotated by EXIF) pass the format and header checks unharmed.
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagInput } from '../../src/index.js';
import { photo, photos } from '../helpers/paths.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ config: false, plugins: ['nsfw'] });
});
afterAll(() => engine?.close());

async function tops(inputs: TagInput[]): Promise<{ file: string; label: string; confidence: number }[]> {
  const out = [];
  for await (const r of engine.tag(inputs)) {
    expect(r.error, r.file).toBeUndefined();
    const n = r.results.nsfw!;
    if (isFailure(n)) throw new Error(`${r.file}: ${n.error}`);
    out.push({ file: r.file, ...n.tags[0]! });
  }
  return out;
}

function alike(all: { file: string; label: string; confidence: number }[], tolerance: number): void {
  for (const t of all) {
    expect(t.label, t.file).toBe(all[0]!.label);
    expect(Math.abs(t.confidence - all[0]!.confidence), t.file).toBeLessThan(tolerance);
  }
}

describe('image formats', () => {
  it('JPEG, GIF, TIFF and AVIF of one photo are all tagged alike', async () => {
    const files = [photo('squirrel_cls.jpg'), ...['squirrel.gif', 'squirrel.tiff', 'squirrel.avif'].map((f) => join(photos, 'formats', f))];
    // GIF quantises to 256 colours: the score moves, but not much.
    alike(await tops(files), 0.15);
  });

  it('the variants real files come in are read and tagged alike', async () => {
    const src = photo('squirrel_cls.jpg');
    const img = () => sharp(src);
    const variants: Record<string, Promise<Buffer>> = {
      'progressive.jpg': img().jpeg({ quality: 92, progressive: true }).toBuffer(),
      'cmyk.jpg': img().toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer(),
      'rotated-exif6.jpg': img().rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer(),
      'rgb.png': img().png().toBuffer(),
      'interlaced-16bit.png': img().toColourspace('rgb16').png({ progressive: true }).toBuffer(),
      'alpha.png': img().ensureAlpha(1).png().toBuffer(),
      'lossless.webp': img().webp({ lossless: true }).toBuffer(),
      'lossy.webp': img().webp({ quality: 90 }).toBuffer(),
      'big.tiff': img().tiff({ bigtiff: true, compression: 'deflate' }).toBuffer(),
      'tiled.tiff': img().tiff({ tile: true, tileWidth: 64, tileHeight: 64, compression: 'lzw' }).toBuffer(),
    };
    const inputs = await Promise.all(Object.entries(variants).map(async ([name, data]) => ({ name, data: await data })));
    alike(await tops([src, ...inputs]), 0.1);
  });
});
