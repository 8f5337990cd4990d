// What the engine opens: only regular files it was given, read by imlage
// itself (libvips gets bytes, never a path). File-system traps fail at once
// with what they are; a name that is not UTF-8 still reaches its photo; an
// SVG is refused so the files it refers to are never opened.
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, expandInputs, isFailure, type TagInput, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { fileSystemTraps, svgImage, svgXInclude, wordsPng } from './hostile-files.js';

let engine: Engine;
let dir: string;
let traps: Record<string, string>;

async function tagAll(inputs: Iterable<TagInput> | AsyncIterable<TagInput>, e = engine): Promise<TagResult[]> {
  const out: TagResult[] = [];
  for await (const r of e.tag(inputs)) out.push(r);
  return out;
}

beforeAll(async () => {
  engine = await Engine.create({ config: false, plugins: ['nsfw'] });
  dir = mkdtempSync(join(tmpdir(), 'imlage-traps-'));
  traps = fileSystemTraps(dir);
  copyFileSync(photo('apple.jpg'), join(dir, 'apple.jpg'));
});
afterAll(() => engine?.close());

const EXPECTED: Record<string, RegExp> = {
  fifo: /cannot read .*fifo\.jpg: it is a FIFO \(named pipe\), not a regular file/,
  linkToFifo: /cannot read .*link-to-fifo\.jpg: it is a symlink to a FIFO \(named pipe\), not to a regular file/,
  loop: /cannot read .*loop-a\.jpg: it is a symlink loop/,
  linkedFolder: /cannot read .*linked-folder\.jpg: it is a symlink to a folder; .*give the folder itself/,
  dangling: /cannot read .*dangling\.jpg: it is a symlink to a missing file \(nowhere\.jpg\)/,
};

describe('file-system traps', () => {
  it('in a folder: each fails at once with what it is, and the photo beside them is tagged', { timeout: 30_000 }, async () => {
    const out = await tagAll(expandInputs([dir]));
    const byName = new Map(out.map((r) => [r.file.split('/').pop()!, r]));
    for (const [k, re] of Object.entries(EXPECTED)) {
      const name = traps[k]!.split('/').pop()!;
      expect(byName.get(name)?.error, name).toMatch(re);
    }
    // loop-b.jpg is the other half of the loop.
    expect(byName.get('loop-b.jpg')?.error).toMatch(/symlink loop/);
    expect(byName.get('apple.jpg')?.error).toBeUndefined();
    expect(out).toHaveLength(Object.keys(EXPECTED).length + 2);
  });

  it('given by name: the same messages', { timeout: 30_000 }, async () => {
    const out = await tagAll(Object.values(traps));
    Object.values(EXPECTED).forEach((re, i) => expect(out[i]!.error).toMatch(re));
  });

  it('a folder given as a file, and a missing file, say so', async () => {
    const [folder, missing] = await tagAll([{ path: join(dir, 'folder') }, join(dir, 'missing.jpg')]);
    expect(folder!.error).toMatch(/cannot read .*folder: it is a folder, not an image file/);
    expect(missing!.error).toMatch(/cannot read .*missing\.jpg: no such file/);
  });
});

describe('names that are not UTF-8', () => {
  it('a photo named with Latin-1 bytes is found in its folder, tagged, and shown escaped', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imlage-names-'));
    const name = Buffer.concat([Buffer.from(`${d}/caf`), Buffer.from([0xe9]), Buffer.from('.jpg')]);
    writeFileSync(name, readFileSync(photo('apple.jpg')));
    const found = [];
    for await (const p of expandInputs([d])) found.push(p);
    expect(found).toEqual([{ path: name }]);
    const [r] = await tagAll(found);
    expect(r!.error).toBeUndefined();
    expect(r!.file).toBe(`${d}/caf\\xe9.jpg`);
    expect(isFailure(r!.results.nsfw!)).toBe(false);
  });
});

describe('file size', () => {
  it('a file larger than maxFileMiB is refused from its size, before any of it is read', async () => {
    const big = join(dir, 'huge-sparse.jpg');
    const fd = openSync(big, 'w');
    writeSync(fd, readFileSync(photo('apple.jpg')));
    ftruncateSync(fd, 300 * 1024 * 1024); // sparse: no disk used
    closeSync(fd);
    const [r] = await tagAll([big]);
    expect(r!.error).toMatch(/cannot read .*huge-sparse\.jpg: the file is 300 MiB, more than the 256 MiB limit \(maxFileMiB/);
    const small = await Engine.create({ config: false, plugins: ['nsfw'], maxFileMiB: 0.01 });
    try {
      const [s] = await tagAll([photo('apple.jpg')], small);
      expect(s!.error).toMatch(/more than the 0\.01 MiB limit/);
    } finally {
      await small.close();
    }
  });
});

/** Writes each named text into `dir`; returns the paths in order. */
function writeFiles(dir: string, files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

/** Far in the past, before the files' mtime: any read (relatime) moves it. */
function backdateAccess(files: string[]): void {
  for (const f of files) utimesSync(f, new Date(2001, 0, 1), statSync(f).mtime);
}

// A canary file is referred to by each SVG: if librsvg rendered any of them,
// its colour (or, with the text plugin, its words) would come back as a tag,
// and its access time would move.
describe('SVG', () => {
  let colors: Engine;
  let canary: string;
  let control: string;
  let svgs: string[];
  beforeAll(async () => {
    colors = await Engine.create({ config: false, plugins: ['colors'] });
    const d = mkdtempSync(join(tmpdir(), 'imlage-svg-'));
    canary = join(d, 'canary.png');
    await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toFile(canary);
    writeFileSync(join(d, 'sprite.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><rect id="r" width="64" height="64" fill="#ff0000"/></svg>');
    writeFileSync(join(d, 'style.css'), 'rect { fill: #ff0000 }');
    const files: Record<string, string> = {
      'absolute.svg': svgImage(`file://${canary}`),
      'relative.svg': svgImage('canary.png'),
      'named-as.png': svgImage(`file://${canary}`),
      'use.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><use href="file://${join(d, 'sprite.svg')}#r"/></svg>`,
      'stylesheet.svg': `<?xml version="1.0"?>\n<?xml-stylesheet href="style.css" type="text/css"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="white"/></svg>`,
    };
    svgs = writeFiles(d, files);
    control = join(d, 'control.png');
    copyFileSync(canary, control);
    backdateAccess([canary, control, join(d, 'sprite.svg'), join(d, 'style.css')]);
  });
  afterAll(() => colors?.close());

  it('a copy of the canary is red to the colors plugin, and reading it moved its access time', async () => {
    const [r] = await tagAll([control], colors);
    const c = r!.results.colors!;
    if (isFailure(c)) throw new Error(c.error);
    expect(c.tags.map((t) => t.label)).toContain('red');
    expect(statSync(control).atime.getFullYear()).toBeGreaterThan(2001);
  });

  it('every SVG, also one named .png, is refused with a clear message; nothing it refers to is opened', async () => {
    const out = await tagAll(svgs, colors);
    for (const r of out) {
      expect(r.error, r.file).toMatch(/cannot decode .*: it is an SVG drawing; imlage does not render SVG/);
      expect(r.results).toEqual({});
    }
    const d = join(canary, '..');
    for (const f of [canary, join(d, 'sprite.svg'), join(d, 'style.css')]) {
      expect(statSync(f).atime.getFullYear(), `${f} was read`).toBe(2001);
    }
  });

  it('an SVG as a Buffer is refused too', async () => {
    const [r] = await tagAll([Buffer.from(svgXInclude('/etc/hostname'))], colors);
    expect(r!.error).toMatch(/cannot decode <buffer \d+>: it is an SVG drawing/);
  });

  // The same traps read by OCR: a picture of words and a text file, each
  // referred to by SVGs (absolute, relative, one named .png, XInclude).
  describe('with the text plugin', () => {
    let text: Engine;
    let words: string;
    let wordsTxt: string;
    let wordSvgs: string[];
    beforeAll(async () => {
      text = await Engine.create({ config: false, plugins: ['text'] });
      const d = mkdtempSync(join(tmpdir(), 'imlage-svg-ocr-'));
      words = join(d, 'canary.png');
      writeFileSync(words, await wordsPng('CANARY WORDS'));
      wordsTxt = join(d, 'canary.txt');
      writeFileSync(wordsTxt, 'CANARY WORDS\n');
      const files: Record<string, string> = {
        'absolute.svg': svgImage(`file://${words}`, 640),
        'x.png': svgImage(`file://${words}`, 640),
        'relative.svg': svgImage('canary.png', 640),
        'xinclude.svg': svgXInclude(wordsTxt),
        'xinclude-relative.png': svgXInclude(wordsTxt).replace(`file://${wordsTxt}`, 'canary.txt'),
      };
      wordSvgs = writeFiles(d, files);
    }, 60_000);
    afterAll(() => text?.close());

    it('the text plugin reads the canary words from canary.png tagged directly', { timeout: 60_000 }, async () => {
      const [r] = await tagAll([words], text);
      const t = r!.results.text!;
      if (isFailure(t)) throw new Error(t.error);
      expect(t.tags.map((x) => x.label).join(' ')).toMatch(/CANARY/);
    });

    it('the traps are live: librsvg given each SVG by path (sharp, outside the engine) draws the canary words', { timeout: 60_000 }, async () => {
      for (const f of wordSvgs) {
        const [r] = await tagAll([await sharp(f).png().toBuffer()], text);
        const t = r!.results.text!;
        if (isFailure(t)) throw new Error(t.error);
        expect(t.tags.map((x) => x.label).join(' '), f).toMatch(/CANARY/);
      }
    });

    it('each SVG fails with the SVG message, no result holds the canary words, and neither canary is opened', { timeout: 60_000 }, async () => {
      backdateAccess([words, wordsTxt]);
      const out = await tagAll(wordSvgs, text);
      expect(out.map((r) => r.file)).toEqual(wordSvgs);
      for (const r of out) {
        expect(r.error, r.file).toMatch(/cannot decode .*: it is an SVG drawing; imlage does not render SVG/);
        expect(r.results).toEqual({});
      }
      expect(JSON.stringify(out)).not.toMatch(/CANARY|WORDS/i);
      for (const f of [words, wordsTxt]) expect(statSync(f).atime.getFullYear(), `${f} was read`).toBe(2001);
    });
  });
});
