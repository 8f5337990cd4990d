// ~/.config/imlage/config.toml: user defaults for the engine and plugins.
// docs/configuration.md is the reference; every key is optional.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImlageError, errorMessage } from '../errors.js';
import { configDir, expandHome } from '../paths.js';
import { readTomlDocument } from '../util/toml-reader.js';
import type { ExecutionProvider, GraphOptimization } from '../native/types.js';
import { PREPROCESS_MODES, type PreprocessMode } from '../plugins/manifest.js';

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'tensorrt', 'coreml'];
const OPT_LEVELS: readonly GraphOptimization[] = ['disable', 'basic', 'extended', 'all'];

export interface PluginOverrides {
  enabled?: boolean;
  threshold?: number;
  topK?: number;
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
  const r = readTomlDocument(file, text, 'IMLAGE_ERR_CONFIG');
  r.onlyKeys(['engine', 'plugins']);
  // Keys come from the file: without a prototype, [plugins.__proto__] is a
  // key like any other instead of replacing the object's prototype.
  const cfg: Config = { file, pluginPaths: [], plugins: Object.create(null) as Config['plugins'] };

  const e = r.sub('engine');
  if (e) {
    e.onlyKeys(['mode', 'batch_size', 'providers', 'intra_op_threads', 'graph_optimization', 'ort_library', 'cache_dir']);
    if (e.has('mode')) cfg.mode = e.oneOf('mode', PREPROCESS_MODES);
    if (e.has('batch_size')) cfg.batchSize = e.number('batch_size', undefined, { min: 1, max: 1024, integer: true });
    if (e.has('providers')) {
      cfg.providers = e.strings('providers').map((p) => {
        if (!PROVIDERS.includes(p as ExecutionProvider)) e.fail('providers', `unknown provider "${p}" (known: ${PROVIDERS.join(', ')})`);
        return p as ExecutionProvider;
      });
    }
    if (e.has('intra_op_threads')) cfg.intraOpThreads = e.number('intra_op_threads', undefined, { min: 0, max: 1024, integer: true });
    if (e.has('graph_optimization')) cfg.graphOptimization = e.oneOf('graph_optimization', OPT_LEVELS);
    if (e.has('ort_library')) cfg.ortLibrary = expandHome(e.string('ort_library'));
    if (e.has('cache_dir')) cfg.cacheDir = expandHome(e.string('cache_dir'));
  }

  const p = r.sub('plugins');
  if (p) {
    if (p.has('enabled')) cfg.enabledPlugins = p.strings('enabled');
    cfg.pluginPaths = p.strings('paths', []).map(expandHome);
    for (const name of p.keys()) {
      if (name === 'enabled' || name === 'paths') continue;
      const t = p.sub(name)!;
      const o: PluginOverrides = { settings: Object.create(null) as PluginOverrides['settings'] };
      for (const k of t.keys()) {
        if (k === 'enabled') o.enabled = t.boolean('enabled');
        else if (k === 'threshold') o.threshold = t.number('threshold', undefined, { min: 0, max: 1 });
        else if (k === 'top_k') o.topK = t.number('top_k', undefined, { min: 0, integer: true });
        else o.settings[k] = t.value(k);
      }
      cfg.plugins[name] = o;
    }
  }
  return cfg;
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
