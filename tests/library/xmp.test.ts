// XMP sidecars read back by a real client (exiftool): keywords, imlage's own
// fields, user keywords kept through a merge, stale imlage tags retracted,
// foreign or broken sidecars left alone.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TagResult } from '../../src/engine/types.js';
import { sidecarPath, writeSidecar } from '../../src/library/xmp/sidecar.js';
import { photo } from '../helpers/paths.js';

function exif(file: string, ...tags: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('exiftool', ['-j', '-struct', ...tags, file], { encoding: 'utf8' }))[0];
}
const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function result(file: string, plugin: string, tags: [string, number, string?][], version = '1.0.0'): TagResult {
  return {
    file,
    results: { [plugin]: { tags: tags.map(([label, confidence, category]) => ({ label, confidence, ...(category ? { category: category as 'object' } : {}) })), model: `${plugin}-model`, version, inference_time_ms: 1 } },
  };
}

let dir: string;
let img: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-xmp-'));
  img = join(dir, 'apple.jpg');
  copyFileSync(photo('apple.jpg'), img);
});

describe('XMP sidecars', () => {
  it('writes keywords and imlage fields that exiftool reads back', async () => {
    const o = await writeSidecar(img, result(img, 'objects', [['dog', 0.91, 'object'], ['person', 0.55, 'object']]));
    expect(o).toMatchObject({ sidecar: `${img}.xmp`, status: 'written', added: 2, retracted: 0 });
    const x = exif(o.sidecar, '-XMP:all');
    expect(list(x.Subject).sort()).toEqual(['dog', 'person']);
    expect(list(x.TagsList).sort()).toEqual(['imlage/objects/dog', 'imlage/objects/person']);
    expect(list(x.HierarchicalSubject).sort()).toEqual(['imlage|objects|dog', 'imlage|objects|person']);
    const tags = x.Tags as Record<string, unknown>[];
    expect(tags.map((t) => [t.Plugin, t.Model, t.Version, t.Label, t.Confidence, t.Category])).toEqual([
      ['objects', 'objects-model', '1.0.0', 'dog', 0.91, 'object'],
      ['objects', 'objects-model', '1.0.0', 'person', 0.55, 'object'],
    ]);
    expect(String(tags[0]!.Date)).toMatch(/^\d{4}:\d\d:\d\d /);
  });

  it('carries a detector tag\'s count (how many faces) and reads it back on the next merge', async () => {
    const faces: TagResult = {
      file: img,
      results: { faces: { tags: [{ label: 'face', confidence: 0.9, category: 'face', count: 3 }, { label: 'group', confidence: 0.8, category: 'face', count: 3 }], model: 'faces-model', version: '1.0.0', inference_time_ms: 1 } },
    };
    const o = await writeSidecar(img, faces);
    expect(o.status).toBe('written');
    const tags = exif(o.sidecar, '-XMP:all').Tags as Record<string, unknown>[];
    expect(tags.map((t) => [t.Label, t.Count])).toEqual([['face', 3], ['group', 3]]);
    // the count read back equals the one written: nothing to change
    expect((await writeSidecar(img, faces)).status).toBe('unchanged');
  });

  it('keeps the keywords a user wrote with exiftool and retracts only its own stale tags', async () => {
    const side = `${img}.xmp`;
    execFileSync('exiftool', ['-q', '-o', side, '-XMP-dc:Subject=holiday', '-XMP-dc:Subject=dog', '-XMP-digiKam:TagsList=Places/Rome', '-XMP-dc:Title=Rome 2019', img]);
    await writeSidecar(img, result(img, 'objects', [['dog', 0.9], ['cat', 0.8]]));
    let x = exif(side, '-XMP:all');
    expect(list(x.Subject).sort()).toEqual(['cat', 'dog', 'holiday']);
    expect(list(x.TagsList)).toContain('Places/Rome');
    expect(x.Title).toBe('Rome 2019');
    // A new model version no longer finds dog or cat: imlage's cat goes, the user's dog and holiday stay.
    const o = await writeSidecar(img, result(img, 'objects', [['bicycle', 0.7]], '2.0.0'));
    expect(o).toMatchObject({ status: 'written', added: 1, retracted: 1 });
    x = exif(side, '-XMP:all');
    expect(list(x.Subject).sort()).toEqual(['bicycle', 'dog', 'holiday']);
    expect(list(x.TagsList).sort()).toEqual(['Places/Rome', 'imlage/objects/bicycle']);
    expect(x.Title).toBe('Rome 2019');
    expect((x.Tags as { Version: unknown }[]).map((t) => t.Version)).toEqual(['2.0.0']);
  });

  it('keeps the tags of plugins that did not run or failed, and groups by category when asked', async () => {
    await writeSidecar(img, result(img, 'nsfw', [['Neutral', 0.9, 'safety']]), { hierarchy: 'category' });
    const failed: TagResult = { file: img, results: { nsfw: { error: 'boom' }, objects: { tags: [{ label: 'apple', confidence: 0.8, category: 'object' }], model: 'm', version: '1', inference_time_ms: 1 } } };
    await writeSidecar(img, failed, { hierarchy: 'category' });
    const x = exif(`${img}.xmp`, '-XMP:all');
    expect(list(x.Subject).sort()).toEqual(['Neutral', 'apple']);
    expect(list(x.HierarchicalSubject).sort()).toEqual(['imlage|object|apple', 'imlage|safety|Neutral']);
  });

  it('names the sidecar photo.xmp with the base naming', async () => {
    const o = await writeSidecar(img, result(img, 'objects', [['dog', 0.9]]), { naming: 'base' });
    expect(o.sidecar).toBe(join(dir, 'apple.xmp'));
    expect(sidecarPath(img, 'base')).toBe(join(dir, 'apple.xmp'));
    expect(list(exif(o.sidecar, '-XMP:all').Subject)).toEqual(['dog']);
  });

  it('writes nothing when the tags are the same', async () => {
    await writeSidecar(img, result(img, 'objects', [['dog', 0.9]]));
    const before = readFileSync(`${img}.xmp`, 'utf8');
    expect((await writeSidecar(img, result(img, 'objects', [['dog', 0.9]]))).status).toBe('unchanged');
    expect(readFileSync(`${img}.xmp`, 'utf8')).toBe(before);
  });

  it('leaves a sidecar that is not XML, or XML that is not XMP, alone with a warning naming it', async () => {
    const side = `${img}.xmp`;
    for (const text of ['this is not <xml', '<html><body>hi</body></html>']) {
      writeFileSync(side, text);
      const o = await writeSidecar(img, result(img, 'objects', [['dog', 0.9]]));
      expect(o.status).toBe('left alone');
      expect(o.warning).toContain(side);
      expect(o.warning).toMatch(/not XM[LP]/);
      expect(readFileSync(side, 'utf8')).toBe(text);
    }
  });
});

describe('XMP regions (MWG)', () => {
  // home-exif6.jpg is stored 384x512 with EXIF orientation 6: 512x384 as displayed, which boxes are in.
  let turned: string;
  beforeEach(() => {
    turned = join(dir, 'home.jpg');
    copyFileSync(photo('home-exif6.jpg'), turned);
  });

  const detections = (version = '1.0.0', faceBox: [number, number, number, number] = [128, 96, 64, 48]): TagResult => ({
    file: turned,
    results: {
      faces: { tags: [{ label: 'face', confidence: 0.9, category: 'face', count: 1 }], regions: [{ label: 'face', confidence: 0.9, box: faceBox }], model: 'faces-model', version, inference_time_ms: 1 },
      objects: { tags: [{ label: 'chair', confidence: 0.7, category: 'object', count: 1 }], regions: [{ label: 'chair', confidence: 0.7, box: [0, 192, 256, 192] }], model: 'objects-model', version: '1.0.0', inference_time_ms: 1 },
    },
  });
  // -n: Type as written (exiftool prints a value outside MWG's four examples as "Unknown (Object)").
  const info = (file: string) => exif(file, '-n', '-RegionInfo').RegionInfo as { AppliedToDimensions: Record<string, unknown>; RegionList: Record<string, unknown>[] } | undefined;

  it('writes each box as a centre-based normalised area on the displayed size, a face as Type Face', async () => {
    const o = await writeSidecar(turned, detections());
    expect(o).toMatchObject({ status: 'written', regions: 2 });
    const r = info(o.sidecar)!;
    expect(r.AppliedToDimensions).toEqual({ W: 512, H: 384, Unit: 'pixel' });
    expect(r.RegionList).toEqual([
      { Type: 'Face', Name: 'face', Area: { X: 0.3125, Y: 0.3125, W: 0.125, H: 0.125, Unit: 'normalized' } },
      { Type: 'Object', Name: 'chair', Area: { X: 0.25, Y: 0.75, W: 0.5, H: 0.5, Unit: 'normalized' } },
    ]);
    // The same boxes again change nothing.
    expect((await writeSidecar(turned, detections())).status).toBe('unchanged');
  });

  it('writes one Face region where two plugins box the same face (faces, and emotion on its crops)', async () => {
    const r = detections();
    r.results.emotion = { tags: [{ label: 'happy', confidence: 0.95, category: 'face', count: 1 }], regions: [{ label: 'happy', confidence: 0.95, box: [128, 96, 64, 48] }], model: 'emotion-model', version: '1.0.0', inference_time_ms: 1 };
    const o = await writeSidecar(turned, r);
    expect(o).toMatchObject({ status: 'written', regions: 2 });
    expect(info(o.sidecar)!.RegionList.map((x) => x.Name)).toEqual(['face', 'chair']);
    expect(exif(o.sidecar, '-XMP-dc:Subject').Subject).toContain('happy');
    expect((await writeSidecar(turned, r)).status).toBe('unchanged');
  });

  it("keeps a user's face region exactly, and replaces only the regions imlage wrote", async () => {
    const side = `${turned}.xmp`;
    execFileSync('exiftool', ['-q', '-o', side, '-XMP-dc:Subject=family',
      '-RegionInfo={AppliedToDimensions={W=512,H=384,Unit=pixel},RegionList=[{Area={X=0.7,Y=0.4,W=0.1,H=0.15,Unit=normalized},Name=Alice,Type=Face}]}', turned]);
    const alice = info(side)!.RegionList[0];
    await writeSidecar(turned, detections());
    expect(info(side)!.RegionList.map((r) => r.Name)).toEqual(['Alice', 'face', 'chair']);
    // A new faces version moves its box; objects did not run (failed) and keeps its chair; Alice stays as she was.
    const next = detections('2.0.0', [256, 0, 128, 96]);
    next.results.objects = { error: 'boom' };
    expect((await writeSidecar(turned, next)).status).toBe('written');
    const after = info(side)!;
    expect(after.RegionList).toEqual([
      alice,
      { Type: 'Object', Name: 'chair', Area: { X: 0.25, Y: 0.75, W: 0.5, H: 0.5, Unit: 'normalized' } },
      { Type: 'Face', Name: 'face', Area: { X: 0.625, Y: 0.125, W: 0.25, H: 0.25, Unit: 'normalized' } },
    ]);
    expect(after.AppliedToDimensions).toEqual({ W: 512, H: 384, Unit: 'pixel' });
    expect(list(exif(side, '-XMP:all').Subject).sort()).toEqual(['chair', 'face', 'family']);
    // Faces finds nobody now: its region goes, Alice's stays.
    const none: TagResult = { file: turned, results: { faces: { tags: [], regions: [], model: 'faces-model', version: '2.0.0', inference_time_ms: 1 } } };
    await writeSidecar(turned, none);
    expect(info(side)!.RegionList.map((r) => r.Name)).toEqual(['Alice', 'chair']);
  });

  it('a region the user renamed is the user\'s from then on, and is not boxed again', async () => {
    await writeSidecar(turned, detections());
    const side = `${turned}.xmp`;
    execFileSync('exiftool', ['-q', '-overwrite_original', '-XMP-mwg-rs:RegionName=Bob', '-XMP-mwg-rs:RegionName=chair', side]);
    expect(info(side)!.RegionList.map((r) => r.Name)).toEqual(['Bob', 'chair']);
    // The same face found again: Bob's region already marks it, so no second box beside it.
    await writeSidecar(turned, detections('2.0.0'));
    expect(info(side)!.RegionList.map((r) => r.Name)).toEqual(['Bob', 'chair']);
    expect((await writeSidecar(turned, detections('2.0.0'))).status).toBe('unchanged');
    // A face elsewhere is boxed.
    await writeSidecar(turned, detections('3.0.0', [256, 0, 128, 96]));
    expect(info(side)!.RegionList.map((r) => r.Name)).toEqual(['Bob', 'face', 'chair']);
  });

  it("keeps a region written in attribute form (as Lightroom writes it) byte for byte", async () => {
    const side = `${turned}.xmp`;
    const theirs = '<rdf:li><rdf:Description mwg-rs:Name="Carol" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.8" stArea:y="0.3" stArea:w="0.1" stArea:h="0.12" stArea:unit="normalized"/></rdf:Description></rdf:li>';
    writeFileSync(side, `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
 <rdf:Description rdf:about="" xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#">
  <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions stDim:w="512" stDim:h="384" stDim:unit="pixel"/><mwg-rs:RegionList><rdf:Bag>${theirs}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
 </rdf:Description></rdf:RDF></x:xmpmeta>`);
    await writeSidecar(turned, detections());
    await writeSidecar(turned, detections('2.0.0', [256, 0, 128, 96]));
    expect(readFileSync(side, 'utf8')).toContain(theirs);
    expect(info(side)!.RegionList.map((r) => [r.Name, r.Type])).toEqual([['Carol', 'Face'], ['face', 'Face'], ['chair', 'Object']]);
    expect(info(side)!.AppliedToDimensions).toEqual({ W: 512, H: 384, Unit: 'pixel' });
  });

  it('normalises against the displayed size as the engine reads it: PNG, WebP and TIFF with EXIF orientation 6', async () => {
    // Stored 64x48, turned a quarter: 48x64 as displayed, so a box [0, 0, 24, 32] is the top-left quarter.
    const grey = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer();
    for (const ext of ['png', 'webp', 'tiff'] as const) {
      const file = join(dir, `turned.${ext}`);
      await sharp(grey).withMetadata({ orientation: 6 }).toFormat(ext).toFile(file);
      const o = await writeSidecar(file, { file, results: { faces: { tags: [{ label: 'face', confidence: 0.9, category: 'face' }], regions: [{ label: 'face', confidence: 0.9, box: [0, 0, 24, 32] }], model: 'm', version: '1', inference_time_ms: 1 } } });
      const r = info(o.sidecar)!;
      expect(r.AppliedToDimensions, ext).toEqual({ W: 48, H: 64, Unit: 'pixel' });
      expect(r.RegionList[0]!.Area, ext).toEqual({ X: 0.25, Y: 0.25, W: 0.5, H: 0.5, Unit: 'normalized' });
    }
  });

  it('writes the keywords and no regions, with a warning naming the file, when the size cannot be read', async () => {
    writeFileSync(turned, 'not a picture at all');
    const o = await writeSidecar(turned, detections());
    expect(o.status).toBe('written');
    expect(o.warning).toBe(`cannot read the size of ${turned} from its header: its regions are left out of ${turned}.xmp; the keywords are written`);
    expect(info(o.sidecar)).toBeUndefined();
    expect(list(exif(o.sidecar, '-XMP:all').Subject).sort()).toEqual(['chair', 'face']);
  });

  it('drops the whole region info when its last region was imlage\'s and goes', async () => {
    await writeSidecar(turned, detections());
    const empty: TagResult = { file: turned, results: Object.fromEntries(['faces', 'objects'].map((p) => [p, { tags: [], regions: [], model: 'm', version: '3', inference_time_ms: 1 }])) };
    await writeSidecar(turned, empty);
    expect(info(`${turned}.xmp`)).toBeUndefined();
    expect(readFileSync(`${turned}.xmp`, 'utf8')).not.toContain('Regions');
  });
});
