// The results store on real SQLite: keys, retraction counts, a database
// from a newer imlage, a file that is not SQLite, a lock held by another
// process, and two processes writing one database at once.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TagResult } from '../../src/engine/types.js';
import { ResultStore } from '../../src/library/store/store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/library/store/schema.js';
import { toCsvRows, toJsonLine } from '../../src/library/store/export.js';
import { root } from '../helpers/paths.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'imlage-store-'));
const key = { name: 'objects', version: '1.0.0', settings: '{}' };
const res = (file: string, labels: string[]): TagResult => ({
  file, results: { objects: { tags: labels.map((label, i) => ({ label, confidence: 0.9 - i / 10 })), model: 'm', version: '1.0.0', inference_time_ms: 1 } },
});

describe('ResultStore', () => {
  it('stores, finds by tag, and counts retracted tags when content changes', () => {
    const s = ResultStore.open(join(tmp(), 'r.db'));
    const file = { size: 10, mtimeMs: 1000, hash: 'h1' };
    expect(s.record([{ path: '/a.jpg', file, result: res('/a.jpg', ['dog', 'cat']), plugins: [key] }])).toEqual([0]);
    expect(s.file('/a.jpg')).toEqual(file);
    expect(s.taggedAt('h1', key)).toBeGreaterThan(0);
    expect(s.taggedAt('h1', { ...key, version: '2.0.0' })).toBeUndefined();
    expect(s.record([{ path: '/a.jpg', file: { ...file, hash: 'h2' }, result: res('/a.jpg', ['dog', 'bird']), plugins: [key] }])).toEqual([1]);
    expect([...s.images({ tag: 'cat' })]).toEqual([]);
    const [img] = [...s.images({ tag: 'bird' })];
    expect(img!.path).toBe('/a.jpg');
    expect(img!.plugins.objects!.tags.map((t) => t.label)).toEqual(['dog', 'bird']);
    // A formula in a label cannot run in a spreadsheet.
    s.record([{ path: '/b.jpg', file: { ...file, hash: 'h3' }, result: res('/b.jpg', ['=1+1']), plugins: [key] }]);
    expect(toCsvRows([...s.images({ path: '/b.jpg' })][0]!)).toContain(`"'=1+1"`);
    s.close();
  });

  it('keeps a detector tag\'s count (how many faces), and no count on other tags', () => {
    const s = ResultStore.open(join(tmp(), 'r.db'));
    const faces = { name: 'faces', version: '1.0.0', settings: '{}' };
    const result: TagResult = {
      file: '/c.jpg',
      results: { faces: { tags: [{ label: 'face', confidence: 0.9, category: 'face', count: 4 }, { label: 'group', confidence: 0.7, category: 'face', count: 4 }], model: 'm', version: '1.0.0', inference_time_ms: 1 } },
    };
    s.record([{ path: '/c.jpg', file: { size: 1, mtimeMs: 1, hash: 'hc' }, result, plugins: [faces] }]);
    s.record([{ path: '/d.jpg', file: { size: 1, mtimeMs: 1, hash: 'hd' }, result: res('/d.jpg', ['dog']), plugins: [key] }]);
    expect([...s.images({ path: '/c.jpg' })][0]!.plugins.faces!.tags).toEqual([
      { label: 'face', confidence: 0.9, category: 'face', count: 4 },
      { label: 'group', confidence: 0.7, category: 'face', count: 4 },
    ]);
    expect([...s.images({ path: '/d.jpg' })][0]!.plugins.objects!.tags).toEqual([{ label: 'dog', confidence: 0.9 }]);
    s.close();
  });

  it('keeps a detector\'s regions best first, exports them, and tells none found from not a detector', () => {
    const s = ResultStore.open(join(tmp(), 'r.db'));
    const faces = { name: 'faces', version: '1.0.0', settings: '{}' };
    const regions = [{ label: 'face', confidence: 0.9, box: [10, 20, 30, 40] as [number, number, number, number] }, { label: 'face', confidence: 0.6, box: [50, 5, 8, 9] as [number, number, number, number] }];
    const found = (file: string, rs: typeof regions): TagResult => ({
      file, results: { faces: { tags: rs.length ? [{ label: 'face', confidence: 0.9, category: 'face', count: rs.length }] : [], regions: rs, model: 'm', version: '1.0.0', inference_time_ms: 1 } },
    });
    s.record([{ path: '/f.jpg', file: { size: 1, mtimeMs: 1, hash: 'hf' }, result: found('/f.jpg', regions), plugins: [faces] }]);
    s.record([{ path: '/g.jpg', file: { size: 1, mtimeMs: 1, hash: 'hg' }, result: found('/g.jpg', []), plugins: [faces] }]);
    s.record([{ path: '/d.jpg', file: { size: 1, mtimeMs: 1, hash: 'hd' }, result: res('/d.jpg', ['dog']), plugins: [key] }]);
    const [f] = [...s.images({ path: '/f.jpg' })];
    expect(f!.plugins.faces!.regions).toEqual(regions);
    expect(JSON.parse(toJsonLine(f!)).results.faces.regions).toEqual(regions);
    expect(JSON.parse(toJsonLine([...s.images({ path: '/g.jpg' })][0]!)).results.faces.regions).toEqual([]);
    expect(JSON.parse(toJsonLine([...s.images({ path: '/d.jpg' })][0]!)).results.objects).not.toHaveProperty('regions');
    // CSV: one row per tag with its count; boxes stay in the JSON lines.
    expect(toCsvRows(f!)).toMatch(/^\/f\.jpg,hf,faces,1\.0\.0,m,face,0\.9,face,2,\d{4}-[^,]+,\n$/);
    expect(toCsvRows([...s.images({ path: '/d.jpg' })][0]!)).toMatch(/,dog,0\.9,,,\d{4}-[^,]+,\n$/);
    // Tagged again with fewer boxes: the old ones go.
    s.record([{ path: '/f.jpg', file: { size: 1, mtimeMs: 1, hash: 'hf' }, result: found('/f.jpg', regions.slice(1)), plugins: [faces] }]);
    expect([...s.images({ path: '/f.jpg' })][0]!.plugins.faces!.regions).toEqual(regions.slice(1));
    s.close();
  });

  for (const from of [1, 2]) {
    it(`opens a database of schema ${from}, keeps what it holds, and adds counts and regions`, () => {
      const file = join(tmp(), 'old.db');
      const db = new Database(file);
      for (const m of MIGRATIONS.slice(0, from)) db.exec(m);
      db.pragma(`user_version = ${from}`);
      db.close();
      const s = ResultStore.open(file);
      s.record([{ path: '/e.jpg', file: { size: 1, mtimeMs: 1, hash: 'he' }, result: res('/e.jpg', ['cat']), plugins: [key] }]);
      expect([...s.images({ path: '/e.jpg' })][0]!.plugins.objects!.tags).toEqual([{ label: 'cat', confidence: 0.9 }]);
      const faces = { name: 'faces', version: '1.0.0', settings: '{}' };
      const result: TagResult = { file: '/h.jpg', results: { faces: { tags: [{ label: 'face', confidence: 0.8, count: 1 }], regions: [{ label: 'face', confidence: 0.8, box: [1, 2, 3, 4] }], model: 'm', version: '1.0.0', inference_time_ms: 1 } } };
      s.record([{ path: '/h.jpg', file: { size: 1, mtimeMs: 1, hash: 'hh' }, result, plugins: [faces] }]);
      expect([...s.images({ path: '/h.jpg' })][0]!.plugins.faces).toMatchObject({ tags: [{ label: 'face', confidence: 0.8, count: 1 }], regions: [{ label: 'face', confidence: 0.8, box: [1, 2, 3, 4] }] });
      s.close();
      const after = new Database(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(3);
      after.close();
    });
  }

  it('a result recorded under schema 1 reads back after the upgrade, with no regions', () => {
    const file = join(tmp(), 'old.db');
    const db = new Database(file);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.exec(`INSERT INTO files VALUES ('/old.jpg', 1, 1, 'ho', NULL, 1);
      INSERT INTO results (id, hash, plugin, version, settings, model, error, tagged_at) VALUES (7, 'ho', 'objects', '1.0.0', '{}', 'm', NULL, 1);
      INSERT INTO tags VALUES (7, 'dog', 0.5, 'object');
      INSERT INTO current VALUES ('/old.jpg', 'objects', 7);`);
    db.close();
    const s = ResultStore.open(file);
    const [img] = [...s.images({ path: '/old.jpg' })];
    expect(img!.plugins.objects).toEqual({ model: 'm', version: '1.0.0', taggedAt: 1, tags: [{ label: 'dog', confidence: 0.5, category: 'object' }] });
    s.close();
  });

  it('refuses a file that is not SQLite, naming it and the fix', () => {
    const p = join(tmp(), 'photo.db');
    writeFileSync(p, 'this is not a database, it is a text file of some length '.repeat(40));
    expect(() => ResultStore.open(p)).toThrow(new RegExp(`${p} is not an imlage results database .*pass --db with another path`));
  });

  it('says there is no database to read, and how to make one', () => {
    const p = join(tmp(), 'none.db');
    expect(() => ResultStore.open(p, { readonly: true })).toThrow(`no results database at ${p}: run \`imlage tag --db ${p} PATH...\` first`);
  });

  it('refuses a database from a newer imlage instead of misreading it', () => {
    const p = join(tmp(), 'r.db');
    const db = new Database(p);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => ResultStore.open(p)).toThrow(/made by a newer imlage.*upgrade imlage/);
  });

  it('says the database is locked when another process holds it past the busy timeout', async () => {
    const p = join(tmp(), 'r.db');
    ResultStore.open(p).close();
    // Another process takes the write lock and keeps it.
    const holder = spawn(process.execPath, ['-e', `const D=require('better-sqlite3');const d=new D(${JSON.stringify(p)});d.exec('BEGIN IMMEDIATE');console.log('held');setTimeout(()=>{},60000)`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise((r) => holder.stdout.once('data', r));
      const s = ResultStore.open(p, { busyTimeoutMs: 200 });
      expect(() => s.record([{ path: '/a.jpg', file: { size: 1, mtimeMs: 1, hash: 'h' }, result: res('/a.jpg', ['dog']), plugins: [key] }]))
        .toThrow(new RegExp(`${p} is locked by another process.*wait for the other imlage to finish`));
      s.close();
    } finally {
      holder.kill();
    }
  });

  it('processes opening a new database at the same moment all get it', async () => {
    // Switching a new file to WAL takes an exclusive lock without SQLite's busy
    // handler; each process loads first, then all open at one agreed instant.
    for (let round = 0; round < 6; round++) {
      const p = join(tmp(), 'r.db');
      const at = Date.now() + 600;
      const code = `import { ResultStore } from './dist/library/store/store.js';
        while (Date.now() < ${at});
        ResultStore.open(${JSON.stringify(p)}).close();`;
      const open = () => new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: 'inherit' }).on('close', resolve);
      });
      expect(await Promise.all([open(), open(), open()])).toEqual([0, 0, 0]);
    }
  }, 30_000);

  it('two processes recording into one database lose nothing', async () => {
    const p = join(tmp(), 'r.db');
    const writer = (tagName: string) => new Promise<number | null>((resolve) => {
      const code = `import { ResultStore } from './dist/library/store/store.js';
        const s = ResultStore.open(${JSON.stringify(p)});
        for (let b = 0; b < 20; b++) s.record(Array.from({ length: 25 }, (_, i) => ({ path: '/${tagName}/' + (b * 25 + i), file: { size: 1, mtimeMs: 1, hash: '${tagName}' + (b * 25 + i) },
          result: { file: 'x', results: { objects: { tags: [{ label: '${tagName}', confidence: 0.5 }], model: 'm', version: '1', inference_time_ms: 0 } } },
          plugins: [{ name: 'objects', version: '1', settings: '{}' }] })));
        s.close();`;
      spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: 'inherit' }).on('close', resolve);
    });
    expect(await Promise.all([writer('one'), writer('two')])).toEqual([0, 0]);
    const s = ResultStore.open(p, { readonly: true });
    expect([...s.images({ tag: 'one' })].length).toBe(500);
    expect([...s.images({ tag: 'two' })].length).toBe(500);
    s.close();
    expect(execFileSync(process.execPath, ['-e', `const D=require('better-sqlite3');console.log(new D(${JSON.stringify(p)}).pragma('integrity_check',{simple:true}))`], { cwd: root, encoding: 'utf8' }).trim()).toBe('ok');
  });
});
