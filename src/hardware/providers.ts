// Which ONNX Runtime execution providers really work here. A provider can be
// compiled into the library and still be unusable (its own library or the
// CUDA runtime missing), so each one is tried on a one-node model; one whose
// library is not there at all is not tried, because ONNX Runtime would print
// its raw load error for every session.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GraphBuilder } from '../convert/onnx-builder.js';
import { errorMessage } from '../errors.js';
import { loadAddon } from '../binding/binding.js';
import { GPU_PACKAGE, BASE_PACKAGE, chooseOrtLibrary } from '../binding/ort-library.js';
import type { ExecutionProvider } from '../binding/types.js';

export const ACCELERATORS = ['cuda', 'tensorrt', 'coreml'] as const;
export type Accelerator = (typeof ACCELERATORS)[number];

export interface ProviderStatus {
  name: Accelerator | 'cpu';
  usable: boolean;
  /** Why not, and how to fix it. */
  reason?: string;
}

export interface OrtFacts {
  version: string;
  library: string;
  /** Why this library (as configured, GPU package, CPU build). */
  choice: string;
  providers: ProviderStatus[];
}

const INSTALL_GPU = `npm install ${BASE_PACKAGE} ${GPU_PACKAGE}`;

function providerLibrary(name: Accelerator): string | undefined {
  if (name === 'coreml') return undefined; // built into libonnxruntime on macOS
  const ext = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
  return `libonnxruntime_providers_${name}.${ext}`;
}

function tinyModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.addInput('x', [1, 4]);
  const y = g.op('Relu', [x], {}, 'relu', 'y');
  g.addOutput(y, [1, 4]);
  return g.toBytes('probe', 'probe');
}

/** Why a provider cannot be used before trying it, or undefined when it is worth a try. */
function precheck(name: Accelerator, library: string, compiled: string[]): string | undefined {
  if (!compiled.includes(name)) return `not compiled into ${library}`;
  const lib = providerLibrary(name);
  if (lib && !existsSync(join(dirname(library), lib))) {
    const fix = process.platform === 'linux' && process.arch === 'x64' ? `; install the GPU build: ${INSTALL_GPU}` : '';
    return `${lib} is not next to ${library}${fix}`;
  }
  return undefined;
}

/**
 * Loads the ONNX Runtime the engine would load for `wanted` (default: every
 * accelerator) and tries each provider. ort_library/cacheDir as in config.
 */
export async function probeProviders(o: { wanted?: Accelerator[]; ortLibrary?: string; cacheDir: string }): Promise<OrtFacts> {
  const wanted = o.wanted ?? [...ACCELERATORS];
  const choice = chooseOrtLibrary({ explicit: o.ortLibrary, providers: wanted as ExecutionProvider[], cacheDir: o.cacheDir });
  const ort = loadAddon().loadOrt(choice.path);
  const model = tinyModel();
  const providers: ProviderStatus[] = [];
  for (const name of wanted) {
    const why = precheck(name, ort.libraryPath, ort.providers);
    if (why) {
      providers.push({ name, usable: false, reason: why });
      continue;
    }
    try {
      const s = await loadAddon().createSession(model, { providers: [name], intraOpThreads: 1 });
      const usable = s.provider === name;
      providers.push({ name, usable, reason: usable ? undefined : s.warnings.join('; ') || 'ONNX Runtime chose the CPU' });
      await s.close();
    } catch (err) {
      providers.push({ name, usable: false, reason: errorMessage(err) });
    }
  }
  providers.push({ name: 'cpu', usable: true });
  return { version: ort.version, library: ort.libraryPath, choice: choice.reason, providers };
}
