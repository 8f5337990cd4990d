// --provider cuda (or [engine] providers) on a machine where that provider
// cannot run: found out once, before the models load, and said in one
// warning with the reason and the fix; the models then run on the CPU
// without ONNX Runtime printing its own load error for each of them.

import { loadConfig } from '../config/config.js';
import { ACCELERATORS, probeProviders, type Accelerator } from '../hardware/providers.js';
import type { ExecutionProvider } from '../binding/types.js';
import { cacheDir } from '../paths.js';
import type { Logger } from './log.js';

export async function usableProviders(asked: ExecutionProvider[] | undefined, configFile: string | undefined, log: Logger): Promise<ExecutionProvider[] | undefined> {
  const config = loadConfig(configFile);
  const wanted = asked ?? config.providers;
  const accelerators = (wanted ?? []).filter((p): p is Accelerator => (ACCELERATORS as readonly string[]).includes(p));
  if (!wanted || accelerators.length === 0) return asked;
  const facts = await probeProviders({ wanted: accelerators, ortLibrary: config.ortLibrary, cacheDir: config.cacheDir ?? cacheDir() });
  const bad = new Map(facts.providers.filter((p) => !p.usable).map((p) => [p.name, p.reason]));
  for (const [name, reason] of bad) log.warn(`${name} cannot be used: ${reason}; running on the CPU instead`);
  const left = wanted.filter((p) => !bad.has(p as Accelerator));
  return left.length ? left : ['cpu'];
}
