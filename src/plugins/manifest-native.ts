// kind = "native": a shared library implementing the SMI ABI
// (native/include/imlage/smi.h), one file per platform-arch.

import type { TomlReader } from '../util/toml-reader.js';
import type { ManifestBase } from './manifest.js';

export interface NativeModelSpec {
  id: string;
  /** Paths relative to the manifest, or to `package` when set (or absolute). */
  files: string[];
  /** npm package holding the files (resolved with findPackageDir from the manifest's folder). */
  package?: string;
  /** Handed to register_model as JSON. */
  config: Record<string, unknown>;
}

export interface NativeManifest extends ManifestBase {
  kind: 'native';
  /** platform-arch (e.g. "linux-x64") → library path relative to the manifest. */
  library: Record<string, string>;
  /** The size the host decodes to before calling the plugin; 0x0 = full size. */
  input: { width: number; height: number };
  models: NativeModelSpec[];
  /** A call into an isolated plugin that takes longer fails and restarts it (config.toml may override it). */
  timeoutMs: number;
  /** Defaults for which tags are reported; users override them per plugin. */
  output: { threshold: number; topK: number };
}

export const NATIVE_KEYS = ['library', 'input', 'models', 'timeout_ms', 'output'];
/** timeout_ms, in the manifest or config.toml: 1 ms to one hour per call; 30 s by default. */
export const TIMEOUT_MS_RANGE = { min: 1, max: 3_600_000, integer: true } as const;
export const DEFAULT_TIMEOUT_MS = 30_000;
const PLATFORM_RE = /^(linux|darwin|win32|freebsd)-(x64|arm64|arm|ia32|riscv64|ppc64|s390x)$/;

export function parseNativeParts(r: TomlReader): Pick<NativeManifest, 'library' | 'input' | 'models' | 'timeoutMs' | 'output'> {
  const lib = r.sub('library', true)!;
  const library: Record<string, string> = {};
  for (const k of lib.keys()) {
    if (!PLATFORM_RE.test(k)) lib.fail(k, 'expected a platform-arch key such as "linux-x64" or "darwin-arm64"');
    library[k] = lib.string(k);
  }
  if (Object.keys(library).length === 0) r.fail('library', 'must name a library for at least one platform-arch');

  const i = r.sub('input');
  i?.onlyKeys(['width', 'height']);
  const size = { min: 0, max: 16384, integer: true };
  const input = { width: i ? i.number('width', 0, size) : 0, height: i ? i.number('height', 0, size) : 0 };
  if ((input.width === 0) !== (input.height === 0)) r.fail('input', 'width and height must both be 0 (full size) or both be set');

  const models: NativeModelSpec[] = r.tables('models').map((m) => {
    m.onlyKeys(['id', 'files', 'package', 'config']);
    const id = m.string('id');
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) m.fail('id', `"${id}" is not a valid model id (letters, digits, '.', '_', '-')`);
    return { id, files: m.strings('files', []), package: m.string('package', undefined, true), config: m.raw('config') ?? {} };
  });
  if (models.length === 0) r.fail('models', 'list at least one [[models]] entry');
  const o = r.sub('output');
  o?.onlyKeys(['threshold', 'top_k']);
  const output = { threshold: o ? o.number('threshold', 0, { min: 0, max: 1 }) : 0, topK: o ? o.number('top_k', 0, { min: 0, integer: true }) : 0 };
  return { library, input, models, output, timeoutMs: r.number('timeout_ms', DEFAULT_TIMEOUT_MS, TIMEOUT_MS_RANGE) };
}
