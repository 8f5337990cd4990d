// `imlage hardware` on this machine, with systeminformation and the real
// ONNX Runtime: the shape of the report, its cache, and the plan the engine
// derives the same way. Only a GPU that is not here is given as data.
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planRun, recommendBatchSize } from '../../src/engine/threads.js';
import { gpuFacts } from '../../src/hardware/system.js';
import { photo } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

describe('imlage hardware', () => {
  it('reports CPU, memory, GPUs, ONNX Runtime providers and the plan, and caches it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'imlage-hw-'));
    const r = await runCli(['hardware', '--json', '--config', '/dev/null'], { IMLAGE_CACHE_DIR: cache });
    expect(r.code, r.stderr).toBe(0);
    const hw = JSON.parse(r.stdout);
    expect(hw.cached).toBe(false);
    expect(Date.now() - Date.parse(hw.detectedAt)).toBeLessThan(60_000);
    expect(hw.system.cpu.cores).toBe(availableParallelism());
    expect(hw.system.cpu.model).toEqual(expect.any(String));
    expect(Math.abs(hw.system.memory.totalMiB - totalmem() / 2 ** 20)).toBeLessThan(64);
    expect(hw.system.memory.availableMiB).toBeGreaterThan(0);
    expect(hw.system.memory.availableMiB).toBeLessThanOrEqual(hw.system.memory.totalMiB);
    expect(Array.isArray(hw.system.gpus)).toBe(true);
    expect(hw.onnxRuntime.version).toMatch(/^1\.\d+\.\d+$/);
    const byName = Object.fromEntries(hw.onnxRuntime.providers.map((p: any) => [p.name, p]));
    expect(byName.cpu).toEqual({ name: 'cpu', usable: true });
    for (const p of hw.onnxRuntime.providers) if (!p.usable) expect(p.reason, p.name).toEqual(expect.any(String));
    // The plan is the engine's own derivation from these facts.
    const usable = hw.onnxRuntime.providers.find((p: any) => p.usable).name;
    const plan = planRun({ provider: usable, availableMiB: hw.system.memory.availableMiB, cores: hw.system.cpu.cores });
    expect(hw.plan.provider).toBe(usable);
    expect(hw.plan.batchSize).toBe(plan.batchSize);
    // uvThreads follows UV_THREADPOOL_SIZE, which the CLI sets for itself.
    expect({ ...hw.plan.threads, uvThreads: 0 }).toEqual({ ...plan.threads, uvThreads: 0 });
    // Cached with its timestamp: the second run reads it; --refresh detects again.
    expect(JSON.parse(readFileSync(join(cache, 'hardware.json'), 'utf8')).detectedAt).toBe(hw.detectedAt);
    const again = JSON.parse((await runCli(['hardware', '--json', '--config', '/dev/null'], { IMLAGE_CACHE_DIR: cache })).stdout);
    expect(again).toMatchObject({ cached: true, detectedAt: hw.detectedAt });
    const fresh = JSON.parse((await runCli(['hardware', '--json', '--refresh', '--config', '/dev/null'], { IMLAGE_CACHE_DIR: cache })).stdout);
    expect(fresh.cached).toBe(false);
    expect(fresh.detectedAt > hw.detectedAt).toBe(true);
    const text = await runCli(['hardware', '--config', '/dev/null'], { IMLAGE_CACHE_DIR: cache });
    expect(text.stdout).toMatch(/^cpu: +.+, \d+ cores/m);
    expect(text.stdout).toMatch(/^plan: +models on \w+, batch size \d+; \d+ decoders/m);
  });

  it('without the GPU package, cuda is unusable with the missing library and the install line', async () => {
    const r = await runCli(['hardware', '--json', '--refresh', '--config', '/dev/null'], { IMLAGE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'imlage-hw-')) });
    const cuda = JSON.parse(r.stdout).onnxRuntime.providers.find((p: any) => p.name === 'cuda');
    if (cuda.usable) return; // a machine with a working CUDA build: nothing to explain
    expect(cuda.reason).toMatch(/libonnxruntime_providers_cuda\.so .*npm install com\.github\.asus4\.onnxruntime com\.github\.asus4\.onnxruntime\.linux-x64-gpu|not compiled into/);
  });

  it('what cannot be detected is "unknown" with the reason, and the plan falls back to the CPU', async () => {
    const r = await runCli(['hardware', '--json', '--config', '/dev/null'], {
      IMLAGE_CACHE_DIR: mkdtempSync(join(tmpdir(), 'imlage-hw-')),
      IMLAGE_ORT_LIBRARY: '/nonexistent/libonnxruntime.so.1',
    });
    expect(r.code, r.stderr).toBe(0);
    const hw = JSON.parse(r.stdout);
    expect(hw.onnxRuntime.unknown).toMatch(/ONNX Runtime could not be loaded: .*\/nonexistent\/libonnxruntime\.so\.1/);
    expect(hw.plan.provider).toBe('cpu');
    expect(hw.system.cpu.cores).toBe(availableParallelism());
  });

  it('a GPU that is not here: NVIDIA maps to CUDA, Apple to Metal, and the batch grows on a GPU', () => {
    expect(gpuFacts([
      { vendor: 'NVIDIA Corporation', model: 'NVIDIA H200', vram: 143771, driverVersion: '570.86.15' },
      { vendor: 'Apple', model: 'Apple M2 Pro', vram: 0, driverVersion: '' },
      { vendor: '', model: '', vram: null as unknown as number, driverVersion: '' },
    ])).toEqual([
      { vendor: 'NVIDIA Corporation', model: 'NVIDIA H200', vramMiB: 143771, driver: '570.86.15', api: 'cuda' },
      { vendor: 'Apple', model: 'Apple M2 Pro', vramMiB: undefined, driver: undefined, api: 'metal' },
      { vendor: 'unknown', model: 'unknown', vramMiB: undefined, driver: undefined, api: undefined },
    ]);
    expect(recommendBatchSize({ provider: 'cuda', availableMiB: 100_000 })).toBeGreaterThan(recommendBatchSize({ provider: 'cpu', availableMiB: 100_000 }));
    expect(recommendBatchSize({ provider: 'cpu', availableMiB: 512 })).toBeLessThan(recommendBatchSize({ provider: 'cpu' }));
  });
});

describe('--provider cuda where CUDA cannot run', () => {
  it('one warning naming the missing library and the fix; no raw ONNX Runtime errors', async () => {
    const r = await runCli(['tag', photo('baboon.jpg'), '--provider', 'cuda', '--plugin', 'nsfw', '--plugin', 'objects', '-f', 'jsonl', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => /warning/.test(l));
    if (/cuda on cuda|nsfw on cuda/.test(r.stderr)) return; // CUDA works here
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cuda cannot be used: .*(libonnxruntime_providers_cuda\.so.*npm install com\.github\.asus4\.onnxruntime com\.github\.asus4\.onnxruntime\.linux-x64-gpu|not compiled)/);
    expect(r.stderr).not.toMatch(/\[E:onnxruntime|ONNXRuntimeError/);
    expect(r.stderr).toMatch(/nsfw on cpu, objects on cpu/);
  });
});
