// `imlage hardware`: what the machine has, what ONNX Runtime can use on it,
// and the plan the engine derives from that (planRun in engine/threads.ts),
// cached in ~/.cache/imlage/hardware.json so that reading it is instant.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errorMessage } from '../errors.js';
import { cacheDir } from '../paths.js';
import { planRun, type ThreadBudget } from '../engine/threads.js';
import { probeProviders, type OrtFacts } from './providers.js';
import { isKnown, readSystem, type Known, type SystemFacts } from './system.js';

export const HARDWARE_FORMAT = 1;

export interface HardwareReport {
  format: typeof HARDWARE_FORMAT;
  /** ISO time of detection. */
  detectedAt: string;
  system: SystemFacts;
  onnxRuntime: Known<OrtFacts>;
  plan: { provider: string; batchSize: number; threads: ThreadBudget };
}

export function hardwareCacheFile(root: string = cacheDir()): string {
  return join(root, 'hardware.json');
}

export async function detectHardware(o: { ortLibrary?: string; cacheDir?: string } = {}): Promise<HardwareReport> {
  const system = await readSystem();
  let onnxRuntime: Known<OrtFacts>;
  try {
    onnxRuntime = await probeProviders({ ortLibrary: o.ortLibrary, cacheDir: o.cacheDir ?? cacheDir() });
  } catch (err) {
    onnxRuntime = { unknown: `ONNX Runtime could not be loaded: ${errorMessage(err)}` };
  }
  const provider = isKnown(onnxRuntime) ? (onnxRuntime.providers.find((p) => p.usable)?.name ?? 'cpu') : 'cpu';
  const cores = isKnown(system.cpu) ? system.cpu.cores : 1;
  const availableMiB = isKnown(system.memory) ? system.memory.availableMiB : undefined;
  const { batchSize, threads } = planRun({ provider, availableMiB, cores });
  return { format: HARDWARE_FORMAT, detectedAt: new Date().toISOString(), system, onnxRuntime, plan: { provider, batchSize, threads } };
}

function readCache(file: string): HardwareReport | undefined {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as HardwareReport;
    if (r.format !== HARDWARE_FORMAT || r.system?.platform !== process.platform || r.system?.arch !== process.arch) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** The cached report, or a fresh one (then cached) when there is none or `refresh`. */
export async function hardwareReport(o: { refresh?: boolean; ortLibrary?: string; cacheDir?: string } = {}): Promise<{ report: HardwareReport; cached: boolean; file: string; cacheError?: string }> {
  const file = hardwareCacheFile(o.cacheDir);
  const old = o.refresh ? undefined : readCache(file);
  if (old) return { report: old, cached: true, file };
  const report = await detectHardware(o);
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(report, null, 2) + '\n');
    renameSync(tmp, file);
    return { report, cached: false, file };
  } catch (err) {
    return { report, cached: false, file, cacheError: errorMessage(err) };
  }
}
