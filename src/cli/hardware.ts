// `imlage hardware [--refresh] [--json]`: the machine, what ONNX Runtime can
// use on it, and the batch size and thread plan the engine derives from it.

import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { hardwareReport, type HardwareReport } from '../hardware/report.js';
import { isKnown } from '../hardware/system.js';
import { cacheDir } from '../paths.js';

function text(r: HardwareReport, cached: boolean, file: string): string {
  const s = r.system;
  const lines = [`detected ${r.detectedAt}${cached ? ` (cached in ${file}; --refresh to detect again)` : ` (saved to ${file})`}`];
  lines.push(`cpu:      ${isKnown(s.cpu) ? `${s.cpu.model}, ${s.cpu.cores} cores${s.cpu.physicalCores ? ` (${s.cpu.physicalCores} physical)` : ''}` : `unknown (${s.cpu.unknown})`}`);
  lines.push(`memory:   ${isKnown(s.memory) ? `${(s.memory.totalMiB / 1024).toFixed(1)} GiB, ${(s.memory.availableMiB / 1024).toFixed(1)} GiB available` : `unknown (${s.memory.unknown})`}`);
  if (!isKnown(s.gpus)) lines.push(`gpus:     unknown (${s.gpus.unknown})`);
  else if (s.gpus.length === 0) lines.push('gpus:     none found');
  else {
    for (const g of s.gpus) {
      lines.push(`gpu:      ${g.vendor} ${g.model}${g.vramMiB ? `, ${g.vramMiB} MiB VRAM` : ''}${g.driver ? `, driver ${g.driver}` : ''}${g.api ? ` (${g.api === 'cuda' ? 'NVIDIA/CUDA' : 'Apple/Metal'})` : ''}`);
    }
  }
  const o = r.onnxRuntime;
  if (!isKnown(o)) lines.push(`onnx runtime: unknown (${o.unknown})`);
  else {
    lines.push(`onnx runtime: ${o.version} (${o.library}; ${o.choice})`);
    for (const p of o.providers) lines.push(`  ${p.name.padEnd(9)} ${p.usable ? 'usable' : `not usable: ${p.reason}`}`);
  }
  const t = r.plan.threads;
  lines.push(`plan:     models on ${r.plan.provider}, batch size ${r.plan.batchSize}; ${t.decoders} decoders x ${t.vipsThreads} libvips thread(s), ONNX Runtime ${t.ortThreads} threads per model`);
  return lines.join('\n') + '\n';
}

export function registerHardware(program: Command): void {
  program
    .command('hardware')
    .description('CPU, memory, GPUs and the ONNX Runtime providers that work here, with the batch size and threads the engine uses')
    .option('--refresh', 'detect again instead of reading ~/.cache/imlage/hardware.json')
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'read this config.toml (for ort_library and cache_dir)')
    .action(async (opts: { refresh?: boolean; json?: boolean; config?: string }) => {
      const config = loadConfig(opts.config);
      const { report, cached, file, cacheError } = await hardwareReport({ refresh: opts.refresh, ortLibrary: config.ortLibrary, cacheDir: cacheDir() });
      if (cacheError) process.stderr.write(`imlage: warning: cannot save ${file}: ${cacheError}\n`);
      process.stdout.write(opts.json ? JSON.stringify({ ...report, cached, file }, null, 2) + '\n' : text(report, cached, file));
    });
}
