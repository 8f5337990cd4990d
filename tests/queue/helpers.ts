import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { Queue } from 'bullmq';
import { cli, photos } from '../helpers/paths.js';

export interface WorkerProcess {
  child: ChildProcess;
  stderr: () => string;
}

/** `imlage worker` as its own process, resolved once it takes jobs. Short locks: a killed worker's jobs come back in ~2 s. */
export async function spawnWorker(url: string, queue: string, extra: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [cli, 'worker', '--redis', url, '--queue', queue, '-p', 'nsfw', '--mode', 'fast', '--batch-size', '8',
    '--lock-duration', '2000', '--stalled-interval', '1000', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('worker on queue')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${err}`)));
  });
  child.removeAllListeners('exit');
  return { child, stderr: () => err };
}

export async function stopWorker(w: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return w.child.exitCode;
  w.child.kill(signal);
  const [code] = await once(w.child, 'exit');
  return code as number | null;
}

/** `n` distinct JPEGs cut from the fixture photos (each a different size, so each its own content and job). */
export async function distinctImages(n: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-queue-'));
  const sources = readdirSync(photos).filter((f) => f.endsWith('.jpg')).map((f) => join(photos, f));
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
    await sharp(sources[i % sources.length]!).resize(96 + i, undefined).jpeg({ quality: 80 }).toFile(p);
    out.push(p);
  }
  return out;
}

export async function counts(url: string, queue: string) {
  const q = new Queue(queue, { connection: { url } });
  try {
    return await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  } finally {
    await q.close();
  }
}

export async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
