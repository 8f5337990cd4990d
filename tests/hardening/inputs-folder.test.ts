// A whole folder of hostile files through the real CLI, in both modes: the
// batch finishes, every file gets its own clear error (the photos among them
// are tagged), the process never holds more than 1 GiB, and a canary file
// that the SVGs refer to is never read.
import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import {
  avifDeclaring, fileSystemTraps, jpegCutWithEnd, jpegWithoutScanData, manyScansJpeg, png, svgImage, svgXInclude,
  tinyGif, tinyTiff, tinyWebp, truncatedFiles,
} from './hostile-files.js';

let dir: string;
let canary: string;
const LATIN1_NAME = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6a, 0x70, 0x67]); // "café.jpg" in Latin-1

/** File name -> what its error must say; null: a picture that must be tagged. */
const EXPECT: Record<string, RegExp | null> = {
  'apple.jpg': null,
  'messi5.jpg': null,
  'caf\\xe9.jpg': null,
  'large-valid.png': null,
  'fifo.jpg': /cannot read .*: it is a FIFO \(named pipe\), not a regular file/,
  'link-to-fifo.jpg': /cannot read .*: it is a symlink to a FIFO/,
  'loop-a.jpg': /cannot read .*: it is a symlink loop/,
  'loop-b.jpg': /cannot read .*: it is a symlink loop/,
  'linked-folder.jpg': /cannot read .*: it is a symlink to a folder/,
  'dangling.jpg': /cannot read .*: it is a symlink to a missing file/,
  'huge-sparse.jpg': /cannot read .*: the file is 300 MiB, more than the 256 MiB limit/,
  'declares-16383.webp': /cannot decode .*: the WebP is 16383×16383 \(268 megapixels\), more than the 100-megapixel limit/,
  'declares-16383.gif': /the GIF is 16383×16383/,
  'declares-30000.png': /the PNG is 30000×30000/,
  'declares-60000.tiff': /the TIFF is 60000×60000/,
  'declares-30000.avif': /the AVIF\/HEIF is 30000×30000/,
  'interlaced-16bit.png': /a 9000×9000 PNG needs about \d+ MiB to decode, more than maxDecodedMiB \(512\)/,
  'progressive-16000.jpg': /the JPEG has 11000 scans, more than the limit of 100/,
  'header-only.jpg': /the JPEG has no image data after its header/,
  // fast mode decodes JPEGs and PNGs with the addon's own decoders (src/engine/native-decode.ts), exact mode with libvips.
  'cut-with-end.jpg': /the JPEG data ends early \((?:VipsJpeg|libjpeg): Corrupt JPEG data: premature end of data segment\)/,
  'cut.jpg': /VipsJpeg: premature end of JPEG image|the JPEG data ends early \(libjpeg: Premature end of JPEG file\)/,
  'cut.png': /vipspng: libpng read error|the PNG data ends early \(imlage png: truncated: chunk IDAT needs \d+ bytes\)/,
  'cut.gif': /gifload_buffer: Unexpected end of GIF source data/,
  'cut.webp': /the WebP header is corrupt or cut short \(webp: unable to parse image\)/,
  'empty.jpg': /the input is empty \(0 bytes\)/,
  'notes.jpg': /not an image imlage reads .*: it looks like text/,
  'svg-named.png': /it is an SVG drawing; imlage does not render SVG/,
  'svg-relative.webp': /it is an SVG drawing/,
  'svg-xinclude.gif': /it is an SVG drawing/,
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-hostile-'));
  const put = (name: string, data: Buffer | string) => writeFileSync(join(dir, name), data);
  fileSystemTraps(dir);
  copyFileSync(photo('apple.jpg'), join(dir, 'apple.jpg'));
  copyFileSync(photo('messi5.jpg'), join(dir, 'messi5.jpg'));
  writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), LATIN1_NAME]), readFileSync(photo('baboon.jpg')));
  put('large-valid.png', png(8000, 6000));
  const fd = openSync(join(dir, 'huge-sparse.jpg'), 'w');
  writeSync(fd, readFileSync(photo('apple.jpg')));
  ftruncateSync(fd, 300 * 1024 * 1024);
  closeSync(fd);
  put('declares-16383.webp', tinyWebp(16383, 16383));
  put('declares-16383.gif', tinyGif(16383, 16383));
  put('declares-30000.png', png(30000, 30000, { rows: 4 }));
  put('declares-60000.tiff', tinyTiff(60000, 60000));
  put('declares-30000.avif', await avifDeclaring(30000, 30000));
  put('interlaced-16bit.png', png(9000, 9000, { rows: 1, colorType: 6, depth: 16, interlace: true }));
  put('progressive-16000.jpg', manyScansJpeg(16000, 16000, 11000));
  const jpeg = readFileSync(photo('fruits.jpg'));
  put('header-only.jpg', jpegWithoutScanData(jpeg));
  put('cut-with-end.jpg', jpegCutWithEnd(jpeg));
  const cut = await truncatedFiles();
  for (const [ext, data] of Object.entries(cut)) put(`cut.${ext}`, data);
  put('empty.jpg', '');
  put('notes.jpg', 'password: hunter2\n');
  canary = join(dir, 'canary.dat'); // not an image extension: only an SVG could reach it
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toFile(canary);
  // Named as images: a .svg file is not even tried (not an image extension).
  put('svg-named.png', svgImage(`file://${canary}`));
  put('svg-relative.webp', svgImage('canary.dat'));
  put('svg-xinclude.gif', svgXInclude(canary));
  put('drawing.svg', svgImage(`file://${canary}`));
  utimesSync(canary, new Date(2001, 0, 1), statSync(canary).mtime);
}, 60_000);

describe.each(['exact', 'fast'])('imlage tag on a folder of hostile files, %s mode', (mode) => {
  it('finishes, gives each file its own clear error, tags the photos, stays under 1 GiB and opens nothing else', { timeout: 120_000 }, async () => {
    const rssFile = join(dir, '..', `rss-${process.pid}-${mode}`);
    const r = await runCli(['tag', dir, '--mode', mode, '--config', '/dev/null'], {
      NODE_OPTIONS: `--import ${join(import.meta.dirname, 'report-rss.mjs')}`,
      IMLAGE_TEST_RSS_FILE: rssFile,
    });
    // 1: some images failed (the hostile ones), the batch finished.
    expect(r.code, r.stderr).toBe(1);
    const results = JSON.parse(r.stdout) as { file: string; error?: string; results: Record<string, { tags?: unknown[]; error?: string }> }[];
    const byName = new Map(results.map((x) => [x.file.slice(dir.length + 1), x]));
    expect([...byName.keys()].sort()).toEqual(Object.keys(EXPECT).sort());
    for (const [name, re] of Object.entries(EXPECT)) {
      const x = byName.get(name)!;
      if (re === null) {
        expect(x.error, name).toBeUndefined();
        expect((x.results.nsfw?.tags as { label: string }[]).map((t) => t.label), name).toContain('Neutral');
        expect(x.results.objects, name).toHaveProperty('tags');
      } else {
        expect(x.error, name).toMatch(re);
        // Its own name, escaped as in `file`, is in its message.
        expect(x.error, name).toContain(x.file);
        expect(x.results, name).toEqual({});
      }
    }
    const failures = Object.values(EXPECT).filter((re) => re !== null).length;
    // canary.dat, drawing.svg: not image extensions.
    expect(r.stderr).toMatch(new RegExp(`${results.length} images: ${results.length - failures} tagged, ${failures} failed, 2 non-image files skipped`));
    const peakMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
    expect(peakMiB, `peak RSS ${peakMiB.toFixed(0)} MiB`).toBeLessThan(1024);
    expect(statSync(canary).atime.getFullYear(), 'the canary was read').toBe(2001);
  });
});

describe('imlage tag: names and --max-pixels', () => {
  it('a name with control characters is shown escaped on stderr; --max-pixels refuses larger pictures', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imlage-names-'));
    writeFileSync(join(d, 'evil\x1b[2J\n.jpg'), 'not a picture');
    copyFileSync(photo('apple.jpg'), join(d, 'apple.jpg'));
    const r = await runCli(['tag', d, '--plugin', 'nsfw', '--max-pixels', '1000', '--format', 'jsonl', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`failed: ${d}/evil\\x1b[2J\\x0a.jpg: cannot decode ${d}/evil\\x1b[2J\\x0a.jpg: not an image`);
    expect(r.stderr).not.toContain('\x1b');
    expect(r.stderr).toMatch(/failed: .*apple\.jpg: cannot decode .*: the JPEG is \d+×\d+ \(0\.\d+ megapixels\), more than the 0\.001-megapixel limit; raise maxPixels \(config \[decode\] max_pixels, --max-pixels\)/);
    // stdout is JSON lines: the raw name is in `file`, escaped by JSON.
    const files = r.stdout.trim().split('\n').map((l) => JSON.parse(l).file);
    expect(files).toContain(join(d, 'evil\x1b[2J\n.jpg'));
  });
});
