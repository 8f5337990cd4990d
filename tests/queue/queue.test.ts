// Scale-out on a real redis-server: worker processes (`imlage worker`), the
// producer and results API, and the faults: a worker SIGKILLed mid-run,
// SIGTERM while jobs are active, Redis restarted mid-run, a corrupt image.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { ResultStore } from '../../src/library/store/store.js';
import { enqueue, results, type ResultRecord } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { runCli } from '../helpers/run-cli.js';
import { counts, distinctImages, spawnWorker, stopWorker, until, type WorkerProcess } from './helpers.js';

let redis: TestRedis;
let images: string[];
/** For the fault tests: enough work that the fault lands mid-run on a fast machine too. */
let many: string[];
/** Hooks start processes and cut photos: vitest's 10 s default is too short on a loaded 2-core machine. */
const HOOK_MS = 120_000;

beforeAll(async () => {
  [redis, many] = await Promise.all([startRedis(), distinctImages(120)]);
  images = many.slice(0, 48);
}, HOOK_MS);

afterAll(async () => {
  await redis?.destroy();
}, HOOK_MS);

async function collect(queue: string, opts: { failed?: boolean } = {}): Promise<ResultRecord[]> {
  const got: ResultRecord[] = [];
  for await (const r of results(queue, { redis: redis.url, wait: true, ...opts })) got.push(r);
  return got;
}

/** Every id has exactly one completed result, for the image it was enqueued for. */
function expectOnePerImage(got: ResultRecord[], ids: string[], paths: string[]) {
  expect(got.map((r) => r.id).sort()).toEqual([...ids].sort());
  const byId = new Map(got.map((r) => [r.id, r]));
  ids.forEach((id, i) => {
    const r = byId.get(id)!;
    expect(r.state).toBe('completed');
    expect(r.result.file).toBe(paths[i]);
    const nsfw = r.result.results.nsfw;
    expect(nsfw && 'tags' in nsfw && nsfw.tags.length).toBeGreaterThan(0);
  });
}

describe('two workers on one queue', () => {
  const q = 'two';
  let workers: WorkerProcess[] = [];
  beforeAll(async () => {
    workers = await Promise.all([spawnWorker(redis.url, q, ['--metrics-port', '0']), spawnWorker(redis.url, q)]);
  }, HOOK_MS);
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 'SIGKILL')));
  }, HOOK_MS);

  it('tags every image; each result arrives once, read by the API and by `imlage results`', async () => {
    // Small chunks: the producer adds a chunk per round trip; ids come back in input order.
    const ids = await enqueue(images, { redis: redis.url, queue: q, chunkSize: 10 });
    expect(new Set(ids).size).toBe(images.length);
    expectOnePerImage(await collect(q), ids, images);

    const cli = await runCli(['results', '--redis', redis.url, '--queue', q]);
    expect(cli.code).toBe(0);
    const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string });
    expect(lines.map((l) => l.file).sort()).toEqual([...images].sort());
  });

  it('`imlage results --db` records every result in the library database, read back by `imlage db export`', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'imlage-queue-db-')), 'results.db');
    const cli = await runCli(['results', '--redis', redis.url, '--queue', q, '--db', db]);
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain(`library ${db}: ${images.length} new, 0 changed`);
    const exported = await runCli(['db', 'export', '--db', db]);
    expect(exported.code).toBe(0);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; sha256: string; results: Record<string, { tags: unknown[] }> });
    expect(rows.map((r) => r.file).sort()).toEqual([...images].sort());
    for (const r of rows) {
      expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.results.nsfw!.tags.length).toBeGreaterThan(0);
    }
    // Read again: the same results, recorded once more in place, not added.
    const again = await runCli(['results', '--redis', redis.url, '--queue', q, '--db', db]);
    expect(again.stderr).toContain(`library ${db}: 0 new, ${images.length} changed`);
    const store = ResultStore.open(db, { readonly: true });
    try {
      expect([...store.images()]).toHaveLength(images.length);
    } finally {
      store.close();
    }
    // The jobs named no mode; the workers ran fast. `tag --db` with the workers'
    // settings finds every result and tags nothing again.
    const tag = await runCli(['tag', ...images, '-p', 'nsfw', '--mode', 'fast', '--db', db]);
    expect(tag.code).toBe(0);
    expect(tag.stderr).toContain(`0 new, 0 changed, ${images.length} unchanged`);
  });

  it("serves /metrics under the server's names, with queue depth and job latency", async () => {
    const url = /metrics on (\S+)/.exec(workers[0]!.stderr())![1]!;
    const text = await (await fetch(url)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1]);
    expect(value(/^imlage_queue_jobs\{state="completed"\} (\d+)/m)).toBe(images.length);
    expect(value(/^imlage_queue_jobs\{state="waiting"\} (\d+)/m)).toBe(0);
    const done = value(/^imlage_images_total\{outcome="tagged"\} (\d+)/m);
    expect(done).toBeGreaterThan(0);
    expect(value(/^imlage_job_seconds_count (\d+)/m)).toBe(done);
    expect(text).toMatch(/^imlage_plugin_info\{plugin="nsfw",/m);
  });

  it('enqueuing the same images again (by API or CLI) makes no new job', async () => {
    const before = await counts(redis.url, q);
    const again = await enqueue(images.slice(0, 8), { redis: redis.url, queue: q });
    const first = await enqueue(images.slice(0, 8), { redis: redis.url, queue: q });
    expect(again).toEqual(first);
    const cli = await runCli(['enqueue', ...images.slice(0, 8), '--redis', redis.url, '--queue', q, '--ids']);
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim().split('\n')).toEqual(first);
    const after = await counts(redis.url, q);
    expect(after).toEqual(before);
  });

  it('a corrupt image is a failed job with its message, not retried; --failed lists it', async () => {
    const [id] = await enqueue([photo('bad/corrupt.jpg')], { redis: redis.url, queue: q });
    const failed = await collect(q, { failed: true });
    expect(failed.map((r) => r.id)).toEqual([id]);
    expect(failed[0]!.attempts).toBe(1);
    expect(failed[0]!.result.file).toBe(photo('bad/corrupt.jpg'));
    expect(failed[0]!.result.error).toMatch(/corrupt\.jpg/);

    const cli = await runCli(['results', '--redis', redis.url, '--queue', q, '--failed', '--format', 'json']);
    expect(cli.code).toBe(0);
    const listed = JSON.parse(cli.stdout) as { file: string; error: string }[];
    expect(listed).toEqual([{ file: photo('bad/corrupt.jpg'), results: {}, error: failed[0]!.result.error }]);
  });

  it("a job's plugins and options apply to it alone; a plugin the worker lacks fails that job", async () => {
    const few = images.slice(0, 4);
    const ids = await enqueue(few, { redis: redis.url, queue: q, topK: 1, threshold: 0 });
    const plain = await enqueue(few, { redis: redis.url, queue: q });
    expect(ids.filter((id) => plain.includes(id))).toEqual([]);
    const [missing] = await enqueue(few.slice(0, 1), { redis: redis.url, queue: q, plugins: ['objects'] });
    const byId = new Map((await collect(q)).map((r) => [r.id, r]));
    for (const id of ids) {
      const nsfw = byId.get(id)!.result.results.nsfw;
      expect(nsfw && 'tags' in nsfw && nsfw.tags.length).toBe(1);
    }
    // Each job's library key carries its own settings (a worker makes each key once and reuses it).
    const settings = (id: string) => JSON.parse(byId.get(id)!.keys!.nsfw!.settings) as Record<string, unknown>;
    for (const id of ids) expect(settings(id)).toMatchObject({ mode: 'fast', threshold: 0, topK: 1 });
    for (const id of plain) {
      expect(settings(id)).toMatchObject({ mode: 'fast' });
      expect(settings(id)).not.toHaveProperty('topK');
    }
    const m = byId.get(missing!)!;
    expect(m.state).toBe('failed');
    expect(m.attempts).toBe(1);
    expect(m.result.error).toMatch(/objects/);
  });

  it('inline bytes: the job carries the image; one over the limit is refused by name and not enqueued', async () => {
    const errors: string[] = [];
    const ids = await enqueue(images.slice(0, 2), { redis: redis.url, queue: 'inline', inline: true });
    const refused = await enqueue([photo('home.jpg')], { redis: redis.url, queue: 'inline', inline: true, maxInlineBytes: 1000, onError: (f, m) => errors.push(`${f}: ${m}`) });
    expect(refused).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/home\.jpg: \d+ bytes is over the inline limit of 1000/);
    const w = await spawnWorker(redis.url, 'inline');
    try {
      expectOnePerImage(await collect('inline'), ids, images.slice(0, 2));
    } finally {
      await stopWorker(w, 'SIGKILL');
    }
  });

  it('Redis restarted mid-run: workers pause, resume, and every image still has one result', async () => {
    const rq = 'restart';
    const more = await Promise.all([spawnWorker(redis.url, rq), spawnWorker(redis.url, rq)]);
    try {
      const ids = await enqueue(many, { redis: redis.url, queue: rq });
      await until(async () => (await counts(redis.url, rq)).completed! >= 4, 60_000, 'first results');
      expect((await counts(redis.url, rq)).completed).toBeLessThan(many.length);
      await redis.stop();
      // Down until every worker has seen it go, however slow the machine.
      await until(async () => more.every((w) => /Redis connection lost/.test(w.stderr())), 30_000, 'workers to see Redis gone');
      await redis.start();
      expectOnePerImage(await collect(rq), ids, many);
      expect((await counts(redis.url, rq)).failed).toBe(0);
      await until(async () => more.every((w) => /Redis is back/.test(w.stderr())), 30_000, 'workers to see Redis back');
    } finally {
      await Promise.all(more.map((w) => stopWorker(w, 'SIGKILL')));
    }
  });
});

it('a worker SIGKILLed mid-run: its jobs stall and another worker does them; each image has one result', async () => {
  const q = 'kill';
  const [a, b] = await Promise.all([spawnWorker(redis.url, q), spawnWorker(redis.url, q)]);
  const events = new QueueEvents(q, { connection: { url: redis.url } });
  let stalled = 0;
  events.on('stalled', () => stalled++);
  try {
    await events.waitUntilReady();
    const ids = await enqueue(many, { redis: redis.url, queue: q });
    await until(async () => (await counts(redis.url, q)).completed! >= 4, 60_000, 'first results');
    await stopWorker(a!, 'SIGKILL');
    expect((await counts(redis.url, q)).completed).toBeLessThan(many.length);
    expectOnePerImage(await collect(q), ids, many);
    expect(stalled).toBeGreaterThan(0);
    expect((await counts(redis.url, q)).failed).toBe(0);
  } finally {
    await events.close();
    await Promise.all([stopWorker(a!, 'SIGKILL'), stopWorker(b!, 'SIGKILL')]);
  }
});

it('SIGTERM: the worker finishes its active jobs and exits 0', async () => {
  const q = 'term';
  const w = await spawnWorker(redis.url, q);
  await enqueue(images, { redis: redis.url, queue: q });
  await until(async () => (await counts(redis.url, q)).active! > 0, 60_000, 'active jobs');
  expect(await stopWorker(w, 'SIGTERM')).toBe(0);
  const c = await counts(redis.url, q);
  expect(c.active).toBe(0);
  expect(c.failed).toBe(0);
  expect(c.completed! + c.waiting!).toBe(images.length);
  expect(c.completed).toBeGreaterThan(0);
});

it('--priority puts jobs in the prioritised set; out of range is a usage error', async () => {
  const ok = await runCli(['enqueue', ...images.slice(0, 3), '--redis', redis.url, '--queue', 'prio', '--priority', '1']);
  expect(ok.code).toBe(0);
  expect((await counts(redis.url, 'prio')).prioritized).toBe(3);
  const bad = await runCli(['enqueue', images[0]!, '--redis', redis.url, '--queue', 'prio', '--priority', '0']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(/--priority/);
});

it('Redis unreachable at start: a clear error naming the URL and the fix', async () => {
  const dead = 'redis://127.0.0.1:1';
  for (const args of [['enqueue', photo('home.jpg')], ['worker', '-p', 'nsfw'], ['results']]) {
    const r = await runCli([...args, '--redis', dead]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot reach Redis at ${dead}`);
    expect(r.stderr).toContain('redis-server');
  }
});
