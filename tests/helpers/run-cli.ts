import { spawn } from 'node:child_process';
import { cli } from './paths.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start until the first stdout byte and until exit. */
  firstOutputMs?: number;
  exitMs: number;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstOutputMs: number | undefined;
    child.stdout.on('data', (d) => {
      firstOutputMs ??= Date.now() - t0;
      stdout += d;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, firstOutputMs, exitMs: Date.now() - t0 }));
  });
}
