// `imlage serve` as users run it (the built CLI, config.toml's [serve],
// IMLAGE_TOKEN): the curl example answers with tags, and SIGTERM
// with requests in flight answers all of them, then exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { TagResult } from '../../src/index.js';
import { cli } from '../helpers/paths.js';
import { TOKEN, auth, postImage, until } from './helpers.js';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

interface LogLine { msg: string; reqId?: string; level: number }

function serve(): Promise<{ child: ChildProcess; url: string; logs: LogLine[]; exited: Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'imlage-serve-cli-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[serve]\nport = 0\nmax_queue = 64\ndrain_ms = 20000\n');
  const child = spawn(process.execPath, [cli, 'serve', '--config', config, '--plugin', 'objects', '--mode', 'fast'], {
    env: { ...process.env, IMLAGE_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const logs: LogLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const l = JSON.parse(line) as LogLine;
      logs.push(l);
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(l.msg);
      if (m) resolve({ child, url: m[1]!, logs, exited });
    });
    void exited.then((code) => reject(new Error(`imlage serve exited with ${code}: ${stderr}`)));
  });
}

describe('imlage serve', () => {
  it('answers the curl example, logs JSON with the request id, and drains on SIGTERM', async () => {
    const { child, url, logs, exited } = await serve();
    // The example: curl --data-binary @photo.jpg -H 'content-type: image/jpeg' localhost:8080/v1/tag
    const first = await postImage(url, 'messi5.jpg', '', { ...auth(), 'x-request-id': 'curl-example-1' });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-request-id')).toBe('curl-example-1');
    const r = ((await first.json()) as { results: TagResult[] }).results[0]!;
    expect((r.results.objects as { tags: { label: string }[] }).tags.map((t) => t.label)).toContain('person');
    await until('the request\'s log line', async () => (logs.some((l) => l.reqId === 'curl-example-1' && l.msg === 'request completed') ? true : undefined), 5000);
    expect((await postImage(url, 'messi5.jpg', '', {})).status).toBe(401);

    // Requests in flight when SIGTERM comes are all answered.
    const names = ['messi5.jpg', 'fruits.jpg', 'baboon.jpg', 'apple.jpg', 'home.jpg', 'aero1.jpg', 'building.jpg', 'butterfly.jpg'];
    const before = logs.filter((l) => l.msg === 'incoming request').length;
    const inFlight = names.map((n) => postImage(url, n));
    // SIGTERM once the server has taken every request (a request that arrives later is refused with 503, as it should be).
    await until('every request to arrive', async () => (logs.filter((l) => l.msg === 'incoming request').length >= before + names.length ? true : undefined), 30_000);
    child.kill('SIGTERM');
    const answered = await Promise.all(inFlight);
    expect(answered.map((a) => a.status)).toEqual(names.map(() => 200));
    for (const a of answered) expect(((await a.json()) as { results: TagResult[] }).results[0]!.error).toBeUndefined();
    expect(await exited).toBe(0);
    expect(logs.map((l) => l.msg)).toContain('stopped');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
