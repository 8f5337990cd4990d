import { spawn, spawnSync } from 'node:child_process';
import { cli } from './paths.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from start until the first stdout byte and until exit. */
  firstOutputMs?: number;
  exitMs: number;
}

/** uid/gid 65534 (nobody): a child that file permissions apply to, even when the tests run as root. */
export const NOBODY = 65534;

/**
 * Whether `runCli(…, { unprivileged: true })` can start the CLI as nobody: not
 * root, or root with setpriv and a checkout that nobody may read (a clone
 * under a private home folder is not).
 */
export function canRunUnprivileged(): boolean {
  if (process.getuid?.() !== 0) return true;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', process.execPath, cli, '--help'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Runs the CLI. `unprivileged`: as nobody (through util-linux setpriv when the
 * tests run as root), so that a folder's permissions hold for it.
 */
export function runCli(args: string[], env: Record<string, string> = {}, opts: { unprivileged?: boolean } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const asNobody = opts.unprivileged && process.getuid?.() === 0;
    const argv = [process.execPath, cli, ...args];
    if (asNobody) argv.unshift('setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--');
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
