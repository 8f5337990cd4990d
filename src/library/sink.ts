// What a tagging run hands its results to when it keeps a library: the
// results store (skip what is tagged, record what is new) and XMP sidecars.
// The CLI's tag command and API users drive it the same way:
//   const sink = await LibrarySink.open(engine, { db, xmp });
//   for await (const r of engine.tag(sink.filter(inputs))) { ...; await sink.add(r); }
//   const summary = await sink.finish();

import { lstatSync, statSync } from 'node:fs';
import type { Engine } from '../engine/engine.js';
import type { TagInput, TagResult } from '../engine/types.js';
import { hashFile, settingsKey } from './store/fingerprint.js';
import { ResultStore, type FileRecord, type PluginKey, type RecordInput } from './store/store.js';
import { sidecarPath, writeSidecar, type XmpOptions } from './xmp/sidecar.js';

export interface LibraryOptions {
  /** A results database: a path, an open store, or true for ~/.cache/imlage/results.db. */
  db?: string | true | ResultStore;
  /** Write or merge XMP sidecars (true: photo.jpg.xmp, hierarchy by plugin). */
  xmp?: boolean | XmpOptions;
  /** Tag again even what the database says is tagged. */
  force?: boolean;
  /** Tag again what was tagged before this time. */
  since?: Date;
  /** The run's settings that change results (mode; threshold, topK given to tag()): part of the key, over the engine's own (Engine.resultSettings). */
  settings?: Record<string, unknown>;
  /** Results recorded per transaction (default 64). */
  batch?: number;
  onWarning?: (message: string) => void;
}

export interface LibrarySummary {
  new: number;
  changed: number;
  unchanged: number;
  retracted: number;
  sidecarsWritten: number;
  sidecarsLeftAlone: number;
}

export function formatSummary(s: LibrarySummary): string {
  return `${s.new} new, ${s.changed} changed, ${s.unchanged} unchanged, ${s.retracted} retracted`;
}

interface Pending {
  file: FileRecord;
}

/**
 * The key a plugin's result is stored under: its name, version and the
 * settings it ran with (the engine's, then those given, then its model), so
 * `tag --db` and a queue worker key one image's result the same way.
 */
export function pluginKey(engine: Pick<Engine, 'resultSettings'>, p: { name: string; version: string; model?: unknown }, given: Record<string, unknown> = {}): PluginKey {
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { name: p.name, version: p.version, settings: settingsKey({ ...engine.resultSettings(p.name), ...set, model: p.model }) };
}

export class LibrarySink {
  private pending = new Map<string, Pending>();
  private queue: RecordInput[] = [];
  private counts: LibrarySummary = { new: 0, changed: 0, unchanged: 0, retracted: 0, sidecarsWritten: 0, sidecarsLeftAlone: 0 };
  private xmp?: XmpOptions;
  private warn: (m: string) => void;

  private constructor(
    readonly store: ResultStore | undefined,
    private readonly ownsStore: boolean,
    private readonly keys: PluginKey[],
    private readonly opts: LibraryOptions,
  ) {
    this.xmp = opts.xmp === true ? {} : opts.xmp || undefined;
    this.warn = opts.onWarning ?? (() => {});
  }

  static open(engine: Pick<Engine, 'plugins' | 'resultSettings'>, opts: LibraryOptions): LibrarySink {
    const store = opts.db instanceof ResultStore ? opts.db : opts.db ? ResultStore.open(opts.db === true ? undefined : opts.db) : undefined;
    const keys = engine.plugins.map((p) => pluginKey(engine, p, opts.settings));
    return new LibrarySink(store, store !== undefined && !(opts.db instanceof ResultStore), keys, opts);
  }

  /** Passes on the inputs that need tagging; those the database has are counted, skipped and told to `onSkip`. */
  async *filter(inputs: Iterable<TagInput> | AsyncIterable<TagInput>, onSkip?: () => void): AsyncGenerator<TagInput> {
    for await (const input of inputs) {
      if (typeof input !== 'string' || !this.store) {
        yield input;
        continue;
      }
      if (await this.check(input)) onSkip?.();
      else yield input;
    }
  }

  /** true when `path` is tagged already; else remembers what it is, for add(). */
  private async check(path: string): Promise<boolean> {
    const store = this.store!;
    let size: number;
    let mtimeMs: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) return false;
      size = st.size;
      mtimeMs = Math.trunc(st.mtimeMs);
    } catch {
      return false; // the engine reports what is wrong with it
    }
    const known = store.file(path);
    let hash: string;
    if (known && known.size === size && known.mtimeMs === mtimeMs) hash = known.hash;
    else {
      try {
        hash = await hashFile(path);
      } catch {
        return false;
      }
    }
    const file = { size, mtimeMs, hash };
    const tagged = !this.opts.force && this.keys.every((k) => {
      const t = store.taggedAt(hash, k);
      return t !== undefined && (!this.opts.since || t >= this.opts.since.getTime());
    });
    if (tagged && known?.hash === hash) {
      if (known.mtimeMs !== mtimeMs) store.link(path, file, this.keys);
      this.counts.unchanged++;
      await this.ensureSidecar(path);
      return true;
    }
    if (tagged) {
      // Content tagged under another name (a copy, a rename): its results become this path's.
      store.link(path, file, this.keys);
      this.counts[known ? 'changed' : 'new']++;
      await this.ensureSidecar(path);
      return true;
    }
    this.pending.set(path, { file });
    return false;
  }

  /** A skipped image still gets its sidecar when a run with --xmp finds none. */
  private async ensureSidecar(path: string): Promise<void> {
    if (!this.xmp) return;
    try {
      lstatSync(sidecarPath(path, this.xmp.naming));
      return;
    } catch {
      // missing: write it from the stored results
    }
    for (const img of this.store!.images({ path })) {
      const results = Object.fromEntries(Object.entries(img.plugins).filter(([, p]) => !p.error)
        .map(([name, p]) => [name, { tags: p.tags, ...(p.regions && { regions: p.regions }), model: p.model, version: p.version, inference_time_ms: 0 }]));
      await this.sidecar(path, { file: path, results });
    }
  }

  private async sidecar(path: string, r: TagResult): Promise<void> {
    const o = await writeSidecar(path, r, this.xmp);
    if (o.status === 'written') this.counts.sidecarsWritten++;
    if (o.status === 'left alone') this.counts.sidecarsLeftAlone++;
    if (o.warning) this.warn(o.warning);
  }

  /** Records one result (batched) and merges it into the image's sidecar. */
  async add(r: TagResult): Promise<void> {
    const path = r.file;
    if (this.xmp && !r.error && (this.pending.has(path) || !this.store)) await this.sidecar(path, r);
    const p = this.pending.get(path);
    if (!p || !this.store) return;
    this.pending.delete(path);
    this.record(r, p.file, this.keys);
  }

  /** Records a result tagged elsewhere (by a queue worker): the file as it was tagged, and the key of each plugin that ran. */
  record(r: TagResult, file: FileRecord, plugins: PluginKey[]): void {
    if (!this.store) return;
    this.counts[this.store.file(r.file) ? 'changed' : 'new']++;
    this.queue.push({ path: r.file, file, result: r, plugins });
    if (this.queue.length >= (this.opts.batch ?? 64)) this.flush();
  }

  private flush(): void {
    if (!this.store || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    for (const n of this.store.record(batch)) this.counts.retracted += n;
  }

  /** Records what is left and closes the store it opened. */
  async finish(): Promise<LibrarySummary> {
    try {
      this.flush();
    } finally {
      if (this.ownsStore) this.store!.close();
    }
    return { ...this.counts };
  }
}
