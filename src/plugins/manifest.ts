// plugin.toml: what a plugin is and how to run it. The common keys live
// here; each kind adds its own (manifest-onnx.ts, manifest-native.ts).
// docs/plugin-manifest.md is the reference.

import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ImlageError, errorMessage } from '../errors.js';
import { readTomlDocument } from '../util/toml-reader.js';
import { parseConfigSchema, type SettingSpec } from './config-schema.js';
import { NATIVE_KEYS, parseNativeParts, type NativeManifest } from './manifest-native.js';
import { ONNX_KEYS, parseOnnxParts, type OnnxManifest } from './manifest-onnx.js';

export type { OnnxManifest, ModelSource, InputSpec, PreprocessSpecs, OutputSpec, ModelFormat, FastKernel } from './manifest-onnx.js';
export type { NativeManifest, NativeModelSpec } from './manifest-native.js';

export const PREPROCESS_MODES = ['exact', 'fast'] as const;
export type PreprocessMode = (typeof PREPROCESS_MODES)[number];
export const ISOLATION_MODES = ['in-process', 'process'] as const;
export type Isolation = (typeof ISOLATION_MODES)[number];

export interface HardwareHints {
  gpu: 'none' | 'optional' | 'recommended' | 'required';
  minRamMb: number;
  minVramMb: number;
}

export interface ManifestBase {
  /** Absolute path of the plugin.toml. */
  file: string;
  dir: string;
  name: string;
  version: string;
  description: string;
  author?: string;
  license?: string;
  /** What the plugin does, for search: e.g. "nsfw", "objects", "colors", "ocr". */
  capabilities: string[];
  /** 'process': run in a child process, so a crash or hang fails only its own results. */
  isolation: Isolation;
  /** false: runs only when asked for by name or enabled in config.toml. */
  defaultEnabled: boolean;
  hardware: HardwareHints;
  /** Typed settings users may set under [plugins.<name>] in config.toml. */
  settings: SettingSpec[];
}

export type PluginManifest = OnnxManifest | NativeManifest;

const NAME_RE = /^[a-z][a-z0-9_-]{0,63}$/;
const COMMON_KEYS = ['name', 'version', 'kind', 'description', 'author', 'license', 'capabilities', 'default_enabled', 'isolation', 'hardware', 'config'];

export function parseManifest(file: string, text: string): PluginManifest {
  const r = readTomlDocument(file, text, 'IMLAGE_ERR_MANIFEST');
  const name = r.string('name');
  if (!NAME_RE.test(name)) r.fail('name', `"${name}" is not a valid plugin name (lowercase letters, digits, '-' and '_', starting with a letter)`);
  const kind = r.oneOf('kind', ['onnx', 'native'] as const);
  r.onlyKeys([...COMMON_KEYS, ...(kind === 'onnx' ? ONNX_KEYS : NATIVE_KEYS)]);

  const h = r.sub('hardware');
  h?.onlyKeys(['gpu', 'min_ram_mb', 'min_vram_mb']);
  const mb = { min: 0, integer: true };
  const base: ManifestBase = {
    file,
    dir: dirname(file),
    name,
    version: r.string('version'),
    description: r.string('description', ''),
    author: r.string('author', undefined, true),
    license: r.string('license', undefined, true),
    capabilities: r.strings('capabilities', []),
    isolation: r.oneOf('isolation', ISOLATION_MODES, 'in-process'),
    defaultEnabled: r.boolean('default_enabled', true),
    hardware: {
      gpu: h ? h.oneOf('gpu', ['none', 'optional', 'recommended', 'required'] as const, 'none') : 'none',
      minRamMb: h ? h.number('min_ram_mb', 0, mb) : 0,
      minVramMb: h ? h.number('min_vram_mb', 0, mb) : 0,
    },
    settings: parseConfigSchema(r.sub('config')),
  };
  if (kind === 'onnx') {
    if (base.isolation !== 'in-process') r.fail('isolation', 'onnx plugins run in the engine itself; only native plugins can be isolated');
    return { ...base, kind, ...parseOnnxParts(r) };
  }
  return { ...base, kind, ...parseNativeParts(r) };
}

export function readManifest(file: string): PluginManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_MANIFEST', `${file}: cannot read the plugin manifest: ${errorMessage(err)}`);
  }
  return parseManifest(file, text);
}
