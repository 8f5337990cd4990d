// What the machine has, through systeminformation: CPU, memory, GPUs. Each
// part that cannot be read is "unknown" with the reason, never an error.

import { availableParallelism, cpus, freemem, totalmem } from 'node:os';
import si from 'systeminformation';
import { errorMessage } from '../errors.js';

export type Known<T> = T | { unknown: string };

export interface CpuFacts {
  model: string;
  /** Logical cores this process may use. */
  cores: number;
  physicalCores?: number;
}

export interface MemoryFacts {
  totalMiB: number;
  availableMiB: number;
}

export interface GpuFacts {
  vendor: string;
  model: string;
  vramMiB?: number;
  driver?: string;
  /** What runs models on it: 'cuda' (NVIDIA), 'metal' (Apple), or undefined. */
  api?: 'cuda' | 'metal';
}

export interface SystemFacts {
  platform: string;
  arch: string;
  cpu: Known<CpuFacts>;
  memory: Known<MemoryFacts>;
  gpus: Known<GpuFacts[]>;
}

export function isKnown<T>(v: Known<T>): v is T {
  return !(typeof v === 'object' && v !== null && 'unknown' in v);
}

async function known<T>(what: string, read: () => Promise<T>): Promise<Known<T>> {
  try {
    return await read();
  } catch (err) {
    return { unknown: `${what}: ${errorMessage(err)}` };
  }
}

const MiB = 1024 * 1024;

function gpuApi(vendor: string, model: string): GpuFacts['api'] {
  const v = `${vendor} ${model}`.toLowerCase();
  if (v.includes('nvidia')) return 'cuda';
  if (v.includes('apple')) return 'metal';
  return undefined;
}

/** systeminformation's graphics controllers as the facts imlage keeps. */
export function gpuFacts(controllers: Pick<si.Systeminformation.GraphicsControllerData, 'vendor' | 'model' | 'vram' | 'driverVersion'>[]): GpuFacts[] {
  return controllers.map((c) => ({
    vendor: c.vendor || 'unknown',
    model: c.model || 'unknown',
    vramMiB: c.vram || undefined,
    driver: c.driverVersion || undefined,
    api: gpuApi(c.vendor, c.model),
  }));
}

export async function readSystem(): Promise<SystemFacts> {
  const [cpu, memory, gpus] = await Promise.all([
    known('systeminformation.cpu()', async (): Promise<CpuFacts> => {
      const c = await si.cpu();
      const model = [c.manufacturer, c.brand].filter(Boolean).join(' ') || cpus()[0]?.model || 'unknown';
      return { model, cores: availableParallelism(), physicalCores: c.physicalCores || undefined };
    }),
    known('systeminformation.mem()', async (): Promise<MemoryFacts> => {
      const m = await si.mem();
      if (!m.total) return { totalMiB: Math.round(totalmem() / MiB), availableMiB: Math.round(freemem() / MiB) };
      return { totalMiB: Math.round(m.total / MiB), availableMiB: Math.round((m.available || freemem()) / MiB) };
    }),
    known('systeminformation.graphics()', async () => gpuFacts((await si.graphics()).controllers)),
  ]);
  return { platform: process.platform, arch: process.arch, cpu, memory, gpus };
}
