// The tag command's library flags (--db, --xmp, --xmp-naming, --xmp-hierarchy,
// --force, --since) and the sink they open; kept apart so the tag command
// needs only a few lines to keep a library.

import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Engine } from '../engine/engine.js';
import { ImlageError } from '../errors.js';
import { LibrarySink, formatSummary } from '../library/sink.js';
import type { SidecarNaming } from '../library/xmp/sidecar.js';
import type { Hierarchy } from '../library/xmp/keywords.js';

export interface LibraryFlags {
  db?: string | true;
  xmp?: boolean;
  xmpNaming?: SidecarNaming;
  xmpHierarchy?: Hierarchy;
  force?: boolean;
  since?: Date;
  mode?: string;
}

function date(v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`expected a date such as 2026-12-01 or 2026-12-01T10:00:00Z, got "${v}"`);
  return d;
}

export function addLibraryOptions(cmd: Command): Command {
  return cmd
    .option('--db [file]', 'keep results in this SQLite database (default ~/.cache/imlage/results.db) and skip images tagged already')
    .option('--force', 'with --db: tag again what the database has')
    .option('--since <date>', 'with --db: tag again what was tagged before this date', date)
    .option('--xmp', 'write or merge an XMP sidecar per image (dc:subject, digiKam:TagsList, lr:hierarchicalSubject)')
    .addOption(new Option('--xmp-naming <style>', 'ext: photo.jpg.xmp (digiKam, darktable); base: photo.xmp (Lightroom)').choices(['ext', 'base']).default('ext'))
    .addOption(new Option('--xmp-hierarchy <by>', 'hierarchical keywords as imlage/<plugin>/<tag> or imlage/<category>/<tag>').choices(['plugin', 'category']).default('plugin'));
}

export function libraryFlags(opts: LibraryFlags): boolean {
  if ((opts.force || opts.since) && !opts.db) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', '--force and --since need --db');
  return Boolean(opts.db || opts.xmp);
}

/** Opens the sink; when that fails (a bad --db), closes the engine before the error goes on. */
export async function openLibrarySink(engine: Engine, opts: LibraryFlags, say: (m: string) => void) {
  let sink: LibrarySink;
  try {
    sink = openSink(engine, opts, say);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return {
    filter: sink.filter.bind(sink),
    add: sink.add.bind(sink),
    finish: async () => {
      const s = await sink.finish();
      const parts = [];
      if (sink.store) parts.push(`library ${sink.store.path}: ${formatSummary(s)}`);
      if (opts.xmp) parts.push(`${s.sidecarsWritten} sidecars written${s.sidecarsLeftAlone ? `, ${s.sidecarsLeftAlone} left alone` : ''}`);
      return parts.join('; ');
    },
  };
}

function openSink(engine: Engine, opts: LibraryFlags, say: (m: string) => void): LibrarySink {
  return LibrarySink.open(engine, {
    db: opts.db,
    xmp: opts.xmp ? { naming: opts.xmpNaming, hierarchy: opts.xmpHierarchy } : false,
    force: opts.force,
    since: opts.since,
    settings: { mode: engine.mode }, // threshold and limit: the engine's, from the flags or config.toml
    onWarning: (m) => say(`warning: ${m}`),
  });
}
