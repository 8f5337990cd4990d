// Which ONNX Runtime library to load. One per process, so the choice is made
// before the first session: an explicit path wins; asking for CUDA/TensorRT
// with the GPU provider package installed assembles that build; otherwise
// the CPU build inside onnxruntime-node.

import { existsSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageDir } from '../paths.js';
import { defaultOrtLibrary } from './binding.js';
import type { ExecutionProvider } from './types.js';

export const GPU_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu';
export const BASE_PACKAGE = 'com.github.asus4.onnxruntime';

export interface OrtChoice {
  path: string;
  /** Why this library, for the log. */
  reason: string;
}

function link(target: string, at: string): void {
  try {
    if (readlinkSync(at) === target) return;
    unlinkSync(at);
  } catch {
    // absent: create it
  }
  symlinkSync(target, at);
}

/**
 * ONNX Runtime loads provider libraries from the folder of libonnxruntime
 * itself, and the GPU providers ship in a package of their own: put links to
 * both into one folder under the cache.
 */
function assembleGpuBuild(cacheDir: string): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const gpu = findPackageDir(GPU_PACKAGE);
  const base = findPackageDir(BASE_PACKAGE);
  if (!gpu || !base) return undefined;
  const gpuLib = join(gpu, 'Plugins', 'Linux', 'x64');
  const baseLib = join(base, 'Plugins', 'Linux', 'x64');
  if (!existsSync(join(baseLib, 'libonnxruntime.so')) || !existsSync(join(gpuLib, 'libonnxruntime_providers_cuda.so'))) return undefined;
  const dir = join(cacheDir, 'ort-gpu');
  mkdirSync(dir, { recursive: true });
  link(join(baseLib, 'libonnxruntime.so'), join(dir, 'libonnxruntime.so'));
  for (const f of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_tensorrt.so']) {
    if (existsSync(join(gpuLib, f))) link(join(gpuLib, f), join(dir, f));
  }
  return join(dir, 'libonnxruntime.so');
}

export function chooseOrtLibrary(o: { explicit?: string; providers: ExecutionProvider[]; cacheDir: string }): OrtChoice {
  if (o.explicit) return { path: o.explicit, reason: 'as configured' };
  if (process.env.IMLAGE_ORT_LIBRARY) return { path: defaultOrtLibrary(), reason: 'IMLAGE_ORT_LIBRARY' };
  if (o.providers.some((p) => p === 'cuda' || p === 'tensorrt')) {
    const gpu = assembleGpuBuild(o.cacheDir);
    if (gpu) return { path: gpu, reason: `GPU providers from ${GPU_PACKAGE}` };
  }
  return { path: defaultOrtLibrary(), reason: 'CPU build from onnxruntime-node' };
}
