// `imlage plugins setup NAME`: makes one plugin ready. Its model files are
// found in their npm package (the exact `npm install` line when it is
// missing), their sha256 checked against the one recorded at the last setup,
// the model converted to ONNX (cached) and the plugin loaded once.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { loadConfig } from '../config/config.js';
import { Engine } from '../engine/engine.js';
import { ImlageError } from '../errors.js';
import { builtinPluginsDir, cacheDir, configDir, findPackageDir } from '../paths.js';
import { discoverPlugins } from '../plugins/discover.js';
import type { PluginManifest } from '../plugins/manifest.js';
import { resolveModelFiles } from '../plugins/model-source.js';
import { makeLogger, verbosityOf } from './log.js';
import { makeProgress } from './progress.js';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The files a plugin's models are made from, absolute. */
export function modelFilesOf(m: PluginManifest): string[] {
  if (m.kind === 'onnx') {
    const r = resolveModelFiles(m);
    return [r.modelFile, ...r.weightFiles];
  }
  return m.models.flatMap((spec) => {
    let base = m.dir;
    if (spec.package) {
      const dir = findPackageDir(spec.package, m.dir);
      if (!dir) throw new ImlageError('IMLAGE_ERR_MODEL_SOURCE', `${m.file}: model "${spec.id}" comes from npm package "${spec.package}", which is not installed; install it with \`npm install ${spec.package}\` next to imlage`);
      base = dir;
    }
    return spec.files.map((f) => {
      const p = isAbsolute(f) ? f : resolve(base, f);
      if (!existsSync(p)) throw new ImlageError('IMLAGE_ERR_MODEL_SOURCE', `${m.file}: model "${spec.id}": file not found: ${p}`);
      return p;
    });
  });
}

export async function setupCommand(name: string, opts: { config?: string; quiet?: boolean; verbose?: boolean }): Promise<number> {
  const log = makeLogger(verbosityOf(opts));
  const config = loadConfig(opts.config);
  const { plugins } = discoverPlugins([builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths]);
  const m = plugins.find((p) => p.name === name);
  if (!m) throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `unknown plugin "${name}"; available: ${plugins.map((p) => p.name).join(', ')}`);

  const files = modelFilesOf(m);
  const steps = files.length + 1;
  const progress = makeProgress(steps, opts.quiet ? 'none' : isatty(2) ? 'bar' : 'lines', 'steps');
  const recordFile = join(config.cacheDir ?? cacheDir(), 'setup', `${m.name}.json`);
  let record: Record<string, string> = {};
  try {
    record = (JSON.parse(readFileSync(recordFile, 'utf8')) as { sha256: Record<string, string> }).sha256;
  } catch {
    // first setup: nothing recorded yet
  }
  const sums: Record<string, string> = {};
  for (const f of files) {
    sums[f] = sha256(f);
    if (record[f] && record[f] !== sums[f]) {
      progress.clear();
      log.warn(`${f} changed since the last setup (sha256 ${record[f]!.slice(0, 12)}… now ${sums[f]!.slice(0, 12)}…): the package was updated or the file was modified`);
    }
    progress.tick(false);
  }
  // Converts (once, cached) and loads: the same path `imlage tag` takes.
  const engine = await Engine.create({ plugins: [m.name], config: opts.config, onLog: (msg) => {
    progress.clear();
    log.engine(msg);
  } });
  let ready: string;
  try {
    const p = engine.plugins[0]!;
    ready = `${p.name} ${p.version} is ready (${p.model}) on ${p.provider}`;
  } finally {
    await engine.close();
  }
  progress.tick(false);
  progress.done();
  mkdirSync(join(recordFile, '..'), { recursive: true });
  writeFileSync(recordFile, JSON.stringify({ plugin: m.name, version: m.version, setupAt: new Date().toISOString(), sha256: sums }, null, 2) + '\n');
  for (const f of files) log.info(`sha256 ${sums[f]}  ${f}`);
  log.info(ready);
  if (!(config.plugins[m.name]?.enabled ?? m.defaultEnabled)) log.info(`${m.name} is not enabled by default: imlage plugins enable ${m.name}, or --plugin ${m.name}`);
  return 0;
}
