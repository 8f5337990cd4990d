// The results store: SQLite through better-sqlite3 (Node 20 has no
// node:sqlite). WAL and a busy timeout let two imlage processes share one
// database; each batch of results is one transaction, so a crash loses at
// most the batch in flight and never leaves half an image recorded.

import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Region, Tag, TagResult } from '../../engine/types.js';
import { isFailure } from '../../engine/types.js';
import { ImlageError } from '../../errors.js';
import { cacheDir } from '../../paths.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export function defaultDbPath(): string {
  return join(cacheDir(), 'results.db');
}

export interface FileRecord {
  size: number;
  mtimeMs: number;
  hash: string;
}

/** The plugin identity a result is stored under. */
export interface PluginKey {
  name: string;
  version: string;
  settings: string;
}

export interface StoredPlugin {
  model: string;
  version: string;
  taggedAt: number;
  error?: string;
  tags: Tag[];
  /** A detector's boxes, best first, as the result gave them. */
  regions?: Region[];
}

export interface StoredImage {
  path: string;
  hash: string;
  size: number;
  error?: string;
  plugins: Record<string, StoredPlugin>;
}

export interface RecordInput {
  path: string;
  file: FileRecord;
  result: TagResult;
  plugins: PluginKey[];
}

export interface OpenStoreOptions {
  /** How long a write waits for another process's transaction (default 5000 ms). */
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/** Turns SQLite's errors into messages that name the database and the fix. */
export function storeError(path: string, err: unknown): ImlageError {
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new ImlageError('IMLAGE_ERR_INPUT', `${path} is not an imlage results database (${msg}): move it away, or pass --db with another path`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ImlageError('IMLAGE_ERR_INPUT', `${path} is locked by another process (${msg}): wait for the other imlage to finish, or pass --db with another path`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new ImlageError('IMLAGE_ERR_INPUT', `cannot write the results database ${path} (${msg}): make it and its folder writable, or pass --db with another path`);
  }
  return new ImlageError('IMLAGE_ERR_INPUT', `results database ${path}: ${msg}`);
}

/**
 * better-sqlite3 is an optional peer dependency: it compiles SQLite from
 * source where no binary of its own fits (and its install script first tries
 * a download from outside npm), so it is not part of every install; only
 * --db and the results store need it. Loaded on first use.
 */
function sqlite(): typeof Database {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_INPUT', 'the results database needs the optional dependency better-sqlite3, which is not installed ' +
      `or did not build here (${(err as Error).message.split('\n')[0]}): run \`npm install better-sqlite3@12\` next to imlage ` +
      '(it builds from source with a C++ compiler and python3 where no binary of its own fits)', { cause: err });
  }
}

/**
 * Switches a database to WAL, waiting for other processes up to busyMs.
 * SQLite does not call the busy handler for this switch (it needs an
 * exclusive lock and answers SQLITE_BUSY at once), so two processes opening a
 * new database together would otherwise fail one of them; WAL is persistent,
 * so only the first open of a file ever waits here.
 */
function enterWal(db: Database.Database, busyMs: number): void {
  const deadline = Date.now() + busyMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      Atomics.wait(nap, 0, 0, wait);
    }
  }
}

export class ResultStore {
  private constructor(readonly path: string, private readonly db: Database.Database) {}

  static open(path: string = defaultDbPath(), options: OpenStoreOptions = {}): ResultStore {
    let db: Database.Database | undefined;
    if (options.readonly && !existsSync(path)) {
      throw new ImlageError('IMLAGE_ERR_INPUT', `no results database at ${path}: run \`imlage tag --db ${path} PATH...\` first, or pass --db with the right path`);
    }
    try {
      if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
      db = new (sqlite())(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      const busyMs = options.busyTimeoutMs ?? 5000;
      db.pragma(`busy_timeout = ${busyMs}`);
      if (!options.readonly) enterWal(db, busyMs);
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new ImlageError('IMLAGE_ERR_INPUT', `${path} has schema version ${version}, made by a newer imlage (this one reads up to ${SCHEMA_VERSION}): upgrade imlage, or pass --db with another path`);
      }
      if (version < SCHEMA_VERSION) {
        if (options.readonly) throw new ImlageError('IMLAGE_ERR_INPUT', `${path} has schema version ${version}: run \`imlage tag --db\` on it once to upgrade it`);
        db.transaction(() => {
          // Another process may have migrated it while this one waited for the lock.
          const now = db!.pragma('user_version', { simple: true }) as number;
          for (let v = now; v < SCHEMA_VERSION; v++) db!.exec(MIGRATIONS[v]!);
          db!.pragma(`user_version = ${SCHEMA_VERSION}`);
        }).immediate();
      }
      return new ResultStore(path, db);
    } catch (err) {
      db?.close();
      throw err instanceof ImlageError ? err : storeError(path, err);
    }
  }

  private stmt = new Map<string, Database.Statement>();
  private q(sql: string): Database.Statement {
    let s = this.stmt.get(sql);
    if (!s) this.stmt.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw err instanceof ImlageError ? err : storeError(this.path, err);
    }
  }

  file(path: string): FileRecord | undefined {
    return this.guard(() => {
      const r = this.q('SELECT size, mtime_ms AS mtimeMs, hash FROM files WHERE path = ?').get(path) as FileRecord | undefined;
      return r;
    });
  }

  /** When this content was last tagged by this plugin, version and settings without failing; undefined if never. */
  taggedAt(hash: string, key: PluginKey): number | undefined {
    return this.guard(() => {
      const r = this.q('SELECT tagged_at AS t FROM results WHERE hash = ? AND plugin = ? AND version = ? AND settings = ? AND error IS NULL')
        .get(hash, key.name, key.version, key.settings) as { t: number } | undefined;
      return r?.t;
    });
  }

  /** Makes a stored result current for a path whose content was already tagged (a copy or a touched file). */
  link(path: string, file: FileRecord, keys: PluginKey[]): void {
    this.guard(() => this.db.transaction(() => {
      this.upsertFile(path, file, null);
      for (const k of keys) {
        const r = this.q('SELECT id FROM results WHERE hash = ? AND plugin = ? AND version = ? AND settings = ?').get(file.hash, k.name, k.version, k.settings) as { id: number };
        this.q('INSERT INTO current (path, plugin, result_id) VALUES (?, ?, ?) ON CONFLICT (path, plugin) DO UPDATE SET result_id = excluded.result_id').run(path, k.name, r.id);
      }
    }).immediate());
  }

  private upsertFile(path: string, f: FileRecord, error: string | null): void {
    this.q(`INSERT INTO files (path, size, mtime_ms, hash, error, seen_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash,
            error = excluded.error, seen_at = excluded.seen_at`).run(path, f.size, Math.trunc(f.mtimeMs), f.hash, error, Date.now());
  }

  /** Records a batch in one transaction; returns how many tags each path lost against its previous results. */
  record(batch: RecordInput[]): number[] {
    return this.guard(() => this.db.transaction(() => batch.map((b) => this.recordOne(b))).immediate());
  }

  private recordOne({ path, file, result, plugins }: RecordInput): number {
    this.upsertFile(path, file, result.error ?? null);
    if (result.error) return 0;
    const now = Date.now();
    let retracted = 0;
    for (const key of plugins) {
      const res = result.results[key.name];
      if (!res) continue;
      const before = this.q('SELECT t.label FROM current c JOIN tags t ON t.result_id = c.result_id WHERE c.path = ? AND c.plugin = ?')
        .all(path, key.name) as { label: string }[];
      const old = this.q('SELECT id FROM results WHERE hash = ? AND plugin = ? AND version = ? AND settings = ?').get(file.hash, key.name, key.version, key.settings) as { id: number } | undefined;
      const regionCount = isFailure(res) ? null : res.regions?.length ?? null;
      if (old) {
        this.q('DELETE FROM tags WHERE result_id = ?').run(old.id);
        this.q('DELETE FROM regions WHERE result_id = ?').run(old.id);
        this.q('UPDATE results SET model = ?, error = ?, tagged_at = ?, region_count = ? WHERE id = ?').run(isFailure(res) ? '' : res.model, isFailure(res) ? res.error : null, now, regionCount, old.id);
      } else {
        this.q('INSERT INTO results (hash, plugin, version, settings, model, error, tagged_at, region_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(file.hash, key.name, key.version, key.settings, isFailure(res) ? '' : res.model, isFailure(res) ? res.error : null, now, regionCount);
      }
      const id = old?.id ?? (this.q('SELECT last_insert_rowid() AS id').get() as { id: number }).id;
      // A failed plugin keeps the path's previous tags current: a failure retracts nothing.
      if (isFailure(res)) {
        if (before.length === 0) this.setCurrent(path, key.name, id);
        continue;
      }
      const ins = this.q('INSERT INTO tags (result_id, label, confidence, category, count) VALUES (?, ?, ?, ?, ?)');
      for (const t of res.tags) ins.run(id, t.label, t.confidence, t.category ?? null, t.count ?? null);
      const box = this.q('INSERT INTO regions (result_id, label, confidence, x, y, w, h) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const r of res.regions ?? []) box.run(id, r.label, r.confidence, ...r.box);
      const now2 = new Set(res.tags.map((t) => t.label));
      retracted += before.filter((b) => !now2.has(b.label)).length;
      this.setCurrent(path, key.name, id);
    }
    return retracted;
  }

  private setCurrent(path: string, plugin: string, id: number): void {
    this.q('INSERT INTO current (path, plugin, result_id) VALUES (?, ?, ?) ON CONFLICT (path, plugin) DO UPDATE SET result_id = excluded.result_id').run(path, plugin, id);
  }

  /** The current results of every path (or those with this tag / plugin), in path order. */
  *images(filter: { tag?: string; plugin?: string; path?: string } = {}): Generator<StoredImage> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.path !== undefined) {
      where.push('f.path = ?');
      args.push(filter.path);
    }
    if (filter.tag !== undefined) {
      where.push('f.path IN (SELECT c2.path FROM current c2 JOIN tags t2 ON t2.result_id = c2.result_id WHERE t2.label = ?' + (filter.plugin ? ' AND c2.plugin = ?' : '') + ')');
      args.push(filter.tag);
      if (filter.plugin) args.push(filter.plugin);
    } else if (filter.plugin) {
      where.push('f.path IN (SELECT path FROM current WHERE plugin = ?)');
      args.push(filter.plugin);
    }
    const rows = this.guard(() => this.q(`SELECT f.path, f.hash, f.size, f.error AS fileError, c.plugin, r.id AS resultId, r.model, r.version, r.tagged_at AS taggedAt,
        r.error, r.region_count AS regionCount, t.label, t.confidence, t.category, t.count
      FROM files f LEFT JOIN current c ON c.path = f.path LEFT JOIN results r ON r.id = c.result_id LEFT JOIN tags t ON t.result_id = r.id
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY f.path, c.plugin, t.confidence DESC`).iterate(...args)) as IterableIterator<Row>;
    let cur: StoredImage | undefined;
    for (const r of rows) {
      if (!cur || cur.path !== r.path) {
        if (cur) yield cur;
        cur = { path: r.path, hash: r.hash, size: r.size, plugins: {}, ...(r.fileError ? { error: r.fileError } : {}) };
      }
      if (r.plugin === null) continue;
      let p = cur.plugins[r.plugin];
      if (!p) {
        p = cur.plugins[r.plugin] = { model: r.model ?? '', version: r.version ?? '', taggedAt: r.taggedAt ?? 0, tags: [], ...(r.error ? { error: r.error } : {}) };
        if (r.regionCount !== null) p.regions = this.regions(r.resultId!);
      }
      if (r.label !== null) p.tags.push({ label: r.label, confidence: r.confidence!, ...(r.category ? { category: r.category as Tag['category'] } : {}), ...(r.count !== null ? { count: r.count } : {}) });
    }
    if (cur) yield cur;
  }

  private regions(resultId: number): Region[] {
    const rows = this.guard(() => this.q('SELECT label, confidence, x, y, w, h FROM regions WHERE result_id = ? ORDER BY rowid').all(resultId)) as
      { label: string; confidence: number; x: number; y: number; w: number; h: number }[];
    return rows.map((b) => ({ label: b.label, confidence: b.confidence, box: [b.x, b.y, b.w, b.h] }));
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  path: string;
  hash: string;
  size: number;
  fileError: string | null;
  plugin: string | null;
  resultId: number | null;
  regionCount: number | null;
  model: string | null;
  version: string | null;
  taggedAt: number | null;
  error: string | null;
  label: string | null;
  confidence: number | null;
  category: string | null;
  count: number | null;
}
