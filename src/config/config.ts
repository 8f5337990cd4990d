// ~/.config/imlage/config.toml: user defaults for the engine and plugins.
// docs/configuration.md is the reference; every key is optional.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImlageError, errorMessage } from '../errors.js';
import { configDir, expandHome } from '../paths.js';
import { readTomlDocument } from '../util/toml-reader.js';
import { lineOf, splitKey } from './toml-layout.js';
import type { ExecutionProvider, GraphOptimization } from '../binding/types.js';
import { PREPROCESS_MODES, type PreprocessMode } from '../plugins/manifest.js';
import { TIMEOUT_MS_RANGE } from '../plugins/manifest-native.js';
import type { LimitSettings } from '../engine/limits.js';
import type { ServerOptions } from '../server/options.js';

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'tensorrt', 'coreml'];
const OPT_LEVELS: readonly GraphOptimization[] = ['disable', 'basic', 'extended', 'all'];

export interface PluginOverrides {
  enabled?: boolean;
  threshold?: number;
  topK?: number;
  /** Per call into an isolated native plugin: overrides the manifest's timeout_ms. */
  timeoutMs?: number;
  /** The plugin's own settings, checked against its manifest's [config] when it loads. */
  settings: Record<string, unknown>;
}

export interface Config {
  /** The file that was read, if any. */
  file?: string;
  mode?: PreprocessMode;
  batchSize?: number;
  providers?: ExecutionProvider[];
  intraOpThreads?: number;
  graphOptimization?: GraphOptimization;
  ortLibrary?: string;
  cacheDir?: string;
  /** Plugin names used when none are asked for; default: every plugin found. */
  enabledPlugins?: string[];
  pluginPaths: string[];
  plugins: Record<string, PluginOverrides>;
  /** [decode]: limits on what one input file may cost (src/engine/limits.ts). */
  decode?: LimitSettings;
  /** [serve]: defaults for `imlage serve` (its flags win). */
  serve?: Omit<ServerOptions, 'logStream'>;
}

export function defaultConfigFile(): string {
  return join(configDir(), 'config.toml');
}

export function parseConfig(file: string, text: string): Config {
  const { config, errors } = parseConfigCollecting(file, text);
  if (errors.length) throw new ImlageError('IMLAGE_ERR_CONFIG', errors.join('\n'));
  return config;
}

/** The config and every error in it (each with its line); a TOML syntax error still throws. */
export function parseConfigCollecting(file: string, text: string): { config: Config; errors: string[] } {
  const r = readTomlDocument(file, text, 'IMLAGE_ERR_CONFIG');
  // Keys come from the file: without a prototype, [plugins.__proto__] is a
  // key like any other instead of replacing the object's prototype.
  const cfg: Config = { file, pluginPaths: [], plugins: Object.create(null) as Config['plugins'] };
  // Every mistake in the file at once: each key is checked on its own.
  const errors: string[] = [];
  const check = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ImlageError)) throw err;
      errors.push(err.message);
      return undefined;
    }
  };
  check(() => r.onlyKeys(['engine', 'plugins', 'decode', 'serve']));

  const e = check(() => r.sub('engine'));
  if (e) {
    check(() => e.onlyKeys(['mode', 'batch_size', 'providers', 'intra_op_threads', 'graph_optimization', 'ort_library', 'cache_dir']));
    check(() => e.has('mode') && (cfg.mode = e.oneOf('mode', PREPROCESS_MODES)));
    check(() => e.has('batch_size') && (cfg.batchSize = e.number('batch_size', undefined, { min: 1, max: 1024, integer: true })));
    check(() => {
      if (!e.has('providers')) return;
      cfg.providers = e.strings('providers').map((p) => {
        if (!PROVIDERS.includes(p as ExecutionProvider)) e.fail('providers', `unknown provider "${p}" (known: ${PROVIDERS.join(', ')})`);
        return p as ExecutionProvider;
      });
    });
    check(() => e.has('intra_op_threads') && (cfg.intraOpThreads = e.number('intra_op_threads', undefined, { min: 0, max: 1024, integer: true })));
    check(() => e.has('graph_optimization') && (cfg.graphOptimization = e.oneOf('graph_optimization', OPT_LEVELS)));
    check(() => e.has('ort_library') && (cfg.ortLibrary = expandHome(e.string('ort_library'))));
    check(() => e.has('cache_dir') && (cfg.cacheDir = expandHome(e.string('cache_dir'))));
  }

  const d = check(() => r.sub('decode'));
  if (d) {
    check(() => d.onlyKeys(['max_pixels', 'max_file_mib', 'max_jpeg_scans', 'timeout_s', 'max_decoded_mib']));
    const limits: LimitSettings = {};
    check(() => d.has('max_pixels') && (limits.maxPixels = d.number('max_pixels', undefined, { min: 1, integer: true })));
    check(() => d.has('max_file_mib') && (limits.maxFileMiB = d.number('max_file_mib', undefined, { min: 0.001 })));
    check(() => d.has('max_jpeg_scans') && (limits.maxJpegScans = d.number('max_jpeg_scans', undefined, { min: 1, max: 1_000_000, integer: true })));
    check(() => d.has('timeout_s') && (limits.decodeTimeoutSeconds = d.number('timeout_s', undefined, { min: 1, max: 3600, integer: true })));
    check(() => d.has('max_decoded_mib') && (limits.maxDecodedMiB = d.number('max_decoded_mib', undefined, { min: 1 })));
    cfg.decode = limits;
  }

  const p = check(() => r.sub('plugins'));
  if (p) {
    check(() => p.has('enabled') && (cfg.enabledPlugins = p.strings('enabled')));
    check(() => (cfg.pluginPaths = p.strings('paths', []).map(expandHome)));
    for (const name of p.keys()) {
      if (name === 'enabled' || name === 'paths') continue;
      const t = check(() => p.sub(name));
      if (!t) continue;
      const o: PluginOverrides = { settings: Object.create(null) as PluginOverrides['settings'] };
      for (const k of t.keys()) {
        if (k === 'enabled') check(() => (o.enabled = t.boolean('enabled')));
        else if (k === 'threshold') check(() => (o.threshold = t.number('threshold', undefined, { min: 0, max: 1 })));
        else if (k === 'top_k') check(() => (o.topK = t.number('top_k', undefined, { min: 0, integer: true })));
        else if (k === 'timeout_ms') check(() => (o.timeoutMs = t.number('timeout_ms', undefined, TIMEOUT_MS_RANGE)));
        else o.settings[k] = t.value(k);
      }
      cfg.plugins[name] = o;
    }
  }
  const sv = check(() => r.sub('serve'));
  if (sv) {
    check(() => sv.onlyKeys(['host', 'port', 'token', 'root', 'max_body_mib', 'max_images', 'max_pixels', 'max_concurrent', 'max_queue', 'timeout_ms', 'drain_ms', 'log_level']));
    const int = (k: string, min: number, max: number) => sv.number(k, undefined, { min, max, integer: true });
    const s: NonNullable<Config['serve']> = (cfg.serve = {});
    check(() => sv.has('host') && (s.host = sv.string('host')));
    check(() => sv.has('port') && (s.port = int('port', 0, 65535)));
    check(() => sv.has('token') && (s.token = sv.string('token')));
    check(() => sv.has('root') && (s.root = expandHome(sv.string('root'))));
    check(() => sv.has('max_body_mib') && (s.maxBodyBytes = int('max_body_mib', 1, 2047) * 1024 * 1024));
    check(() => sv.has('max_images') && (s.maxImages = int('max_images', 1, 10_000)));
    check(() => sv.has('max_pixels') && (s.maxPixels = int('max_pixels', 1, 2 ** 31)));
    check(() => sv.has('max_concurrent') && (s.maxConcurrent = int('max_concurrent', 1, 100_000)));
    check(() => sv.has('max_queue') && (s.maxQueue = int('max_queue', 0, 1_000_000)));
    check(() => sv.has('timeout_ms') && (s.timeoutMs = int('timeout_ms', 1, 600_000)));
    check(() => sv.has('drain_ms') && (s.drainMs = int('drain_ms', 0, 600_000)));
    check(() => sv.has('log_level') && (s.logLevel = sv.oneOf('log_level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)));
  }
  return { config: cfg, errors: withLines(text, errors) };
}

/** Adds the line of the key each message names: "<file>: key 'engine.mode': ... (line 3)". */
export function withLines(text: string, messages: string[]): string[] {
  return messages.map((m) => {
    const key = /key '([^']+)'/.exec(m)?.[1];
    let line: number | undefined;
    try {
      line = key ? lineOf(text, splitKey(key)) : undefined;
    } catch {
      line = undefined;
    }
    return line ? `${m} (line ${line})` : m;
  });
}

/**
 * Reads the config file. `file` undefined: the default location, where a
 * missing file is fine; an explicit file must exist. `false`: no config.
 */
export function loadConfig(file?: string | false): Config {
  if (file === false) return { pluginPaths: [], plugins: {} };
  const path = file ?? process.env.IMLAGE_CONFIG ?? defaultConfigFile();
  if (!existsSync(path)) {
    if (file !== undefined || process.env.IMLAGE_CONFIG) {
      throw new ImlageError('IMLAGE_ERR_CONFIG', `${path}: config file not found`);
    }
    return { pluginPaths: [], plugins: {} };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_CONFIG', `${path}: cannot read the config file: ${errorMessage(err)}`);
  }
  return parseConfig(path, text);
}
