// Each failing file gets its own message, and a clear one. libvips keeps one
// error buffer for the whole process, so with several decoders a message can
// land on another file; the engine reads it where nothing else can write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { Engine, type TagInput, type TagResult } from '../../src/index.js';
import { png, truncatedFiles } from './hostile-files.js';

let engine: Engine;
beforeAll(async () => {
  engine = await Engine.create({ config: false, plugins: ['nsfw'], threads: { decoders: 4 } });
});
afterAll(() => engine?.close());

async function tagAll(inputs: TagInput[]): Promise<TagResult[]> {
  const out: TagResult[] = [];
  for await (const r of engine.tag(inputs)) out.push(r);
  return out;
}

// What each libvips loader writes in its messages (case matters: "WebP" in
// imlage's own words is not the loader's "webp").
const LOADER: Record<string, RegExp> = { jpg: /VipsJpeg/, png: /vipspng|libpng/, gif: /gifload/, webp: /webp/ };

describe('error attribution', () => {
  it('100 truncated files of four formats decoded 4 at a time: every message is its own format\'s', { timeout: 60_000 }, async () => {
    const cut = await truncatedFiles();
    const exts = Object.keys(cut) as (keyof typeof cut)[];
    const inputs = Array.from({ length: 100 }, (_, i) => {
      const ext = exts[i % 4]!;
      // A different cut per file, so no two files are the same bytes.
      const data = cut[ext].subarray(0, cut[ext].length - (i >> 2));
      return { name: `f${i}.${ext}`, data };
    });
    const out = await tagAll(inputs);
    for (const r of out) {
      const ext = r.file.split('.').pop()!;
      const prefix = `cannot decode ${r.file}: `;
      expect(r.error?.startsWith(prefix), `${r.file}: ${r.error}`).toBe(true);
      const detail = r.error!.slice(prefix.length);
      expect(detail, r.file).toMatch(LOADER[ext]!);
      for (const [other, re] of Object.entries(LOADER)) if (other !== ext) expect(detail, r.file).not.toMatch(re);
      expect(detail, r.file).not.toMatch(/Unknown error|Warning treated as error/);
    }
  });
});

describe('messages', () => {
  it('an empty buffer says so, under its name', async () => {
    const [r] = await tagAll([Buffer.alloc(0)]);
    expect(r!.error).toMatch(/^cannot decode <buffer \d+>: the input is empty \(0 bytes\)$/);
  });

  it('a PNG cut inside its header names the format and what is wrong', async () => {
    const [r] = await tagAll([{ name: 'head.png', data: png(64, 64).subarray(0, 40) }]);
    expect(r!.error).toMatch(/^cannot decode head\.png: the PNG header is corrupt or cut short\b/);
  });

  it('a TIFF cut before its directory says so instead of "unsupported image format"', async () => {
    const tiff = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).tiff({ compression: 'none' }).toBuffer();
    const [r] = await tagAll([{ name: 'cut.tiff', data: tiff.subarray(0, tiff.length >> 1) }]);
    expect(r!.error).toMatch(/^cannot decode cut\.tiff: the TIFF is cut short: its image directory \(at byte \d+\) lies past the end of the file \(\d+ bytes\)$/);
  });

  it('a JPEG-compressed TIFF cut in half fails instead of being tagged', async () => {
    const tiff = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).tiff({ compression: 'jpeg' }).toBuffer();
    const [r] = await tagAll([{ name: 'cut-jpeg.tiff', data: tiff.subarray(0, tiff.length >> 1) }]);
    expect(r!.error).toMatch(/^cannot decode cut-jpeg\.tiff: the TIFF data ends early \(.*read error\) \(TIFF, 64×64\)$/);
  });

  it('a WebP with damaged data: the message carries its size, so a memory cause can be told apart', async () => {
    const webp = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).webp({ lossless: true }).toBuffer();
    const damaged = Buffer.from(webp);
    damaged.fill(0xa5, 30);
    const [r] = await tagAll([{ name: 'damaged.webp', data: damaged }]);
    expect(r!.error).toMatch(/^cannot decode damaged\.webp: .*\(WebP, 300×200\)$/);
  });

  it('text, PDF and HTML named as images are refused as not images, saying what they look like', async () => {
    const out = await tagAll([
      { name: 'notes.jpg', data: Buffer.from('just some notes\n') },
      { name: 'doc.png', data: Buffer.from('%PDF-1.7\n...') },
      { name: 'page.webp', data: Buffer.from('<!DOCTYPE html><html><body>hi</body></html>') },
    ]);
    expect(out[0]!.error).toMatch(/^cannot decode notes\.jpg: not an image imlage reads \(JPEG, PNG, WebP, GIF, TIFF, AVIF\/HEIF\): it looks like text$/);
    expect(out[1]!.error).toMatch(/: not an image imlage reads .*: it looks like a PDF document$/);
    expect(out[2]!.error).toMatch(/: not an image imlage reads .*: it looks like an HTML page$/);
  });
});
