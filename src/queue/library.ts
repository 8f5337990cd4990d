// Queue results into the photo-library database: each finished job is
// recorded through the library sink, keyed as `imlage tag --db` keys its
// own results (content hash x plugin version x settings), so a later
// `tag --db` skips what the queue tagged and `db export` / `report --db`
// see it.

import { statSync } from 'node:fs';
import { isFailure } from '../engine/types.js';
import { LibrarySink, type LibrarySummary } from '../library/sink.js';
import { settingsKey } from '../library/store/fingerprint.js';
import type { ResultStore } from '../library/store/store.js';
import type { ResultRecord } from './results.js';

export interface QueueLibrary {
  readonly path: string;
  add(r: ResultRecord): void;
  finish(): Promise<LibrarySummary>;
}

/** Opens the results database (a path, an open store, or true for the default one). */
export function openQueueLibrary(db: string | true | ResultStore): QueueLibrary {
  // No engine here: each record carries its own keys (below).
  const sink = LibrarySink.open({ plugins: [], resultSettings: () => ({}) }, { db });
  return {
    path: sink.store!.path,
    add(r) {
      // Keyed as the worker ran each plugin; a result from an older worker, by the job's own options.
      const { threshold, topK, mode } = r.settings;
      const plugins = Object.entries(r.result.results).flatMap(([name, res]) => isFailure(res) ? []
        : [r.keys?.[name] ?? { name, version: res.version, settings: settingsKey({ threshold, topK, mode, model: res.model }) }]);
      // The file as the reader sees it; one it cannot see (inline bytes, another machine's storage)
      // gets size 0, so a later `tag --db` hashes it before trusting the record.
      let size = 0;
      let mtimeMs = 0;
      try {
        const st = statSync(r.result.file);
        if (st.isFile()) {
          size = st.size;
          mtimeMs = Math.trunc(st.mtimeMs);
        }
      } catch {
        // not on this machine's storage
      }
      sink.record(r.result, { size, mtimeMs, hash: r.sha256 }, plugins);
    },
    finish: () => sink.finish(),
  };
}
