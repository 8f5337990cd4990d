// ~/.config/imlage/config.toml: user defaults for the engine and plugins.
// docs/configuration.md is the reference; every key is optional.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImlageError, errorMessage } from '../errors.js';
import { configDir, expandHome } from '../paths.js';
import { readTomlDocument } from '../util/toml-reader.js';
import { lineOf, splitKey } from './toml-layout.js';
import type { ExecutionProvider, GraphOptimization } from '../native/types.js';
import { PREPROCESS_MODES, type PreprocessMode } from '../plugins/manifest.js';
import { TIMEOUT_MS_RANGE } from '../plugins/manifest-native.js';

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
  const cfg: Config = { file, pluginPaths: [], plugins: {} };
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
  check(() => r.onlyKeys(['engine', 'plugins']));

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

  const p = check(() => r.sub('plugins'));
  if (p) {
    check(() => p.has('enabled') && (cfg.enabledPlugins = p.strings('enabled')));
    check(() => (cfg.pluginPaths = p.strings('paths', []).map(expandHome)));
    for (const name of p.keys()) {
      if (name === 'enabled' || name === 'paths') continue;
      const t = check(() => p.sub(name));
      if (!t) continue;
      const o: PluginOverrides = { settings: {} };
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
