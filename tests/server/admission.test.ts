// Admission control under real load: a bounded queue answers 429 with
// Retry-After, a deadline or a client that goes away cancels the images
// still queued (they never reach the engine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, postImage, sample, start, until, type Running } from './helpers.js';

let s: Running;
let deep: Running;

beforeAll(async () => {
  // One image in the engine at a time and two waiting: a small flood overflows it.
  s = await start({ plugins: ['objects'], batchSize: 1 }, { maxConcurrent: 1, maxQueue: 2 });
  // One at a time with room to wait: a request's later images sit in the queue.
  deep = await start({}, { maxConcurrent: 1, maxQueue: 64 }, s.engine);
}, 60000);

afterAll(async () => {
  await deep?.server.close();
  await s?.server.close();
  await s?.engine.close();
});

const SIXTEEN = Array.from({ length: 16 }, (_, i) => ['messi5.jpg', 'fruits.jpg', 'baboon.jpg', 'apple.jpg'][i % 4]!);
const deepMetrics = () => fetch(`${deep.url}/metrics`).then((r) => r.text());
const deepIdle = () => until('the engine to be idle', async () => {
  const m = await deepMetrics();
  return sample(m, 'imlage_images_in_engine') === 0 && sample(m, 'imlage_images_queued') === 0 ? m : undefined;
});

const metrics = async () => (await fetch(`${s.url}/metrics`)).text();
const tagged = async () => sample(await metrics(), 'imlage_image_seconds_count') ?? 0;
const idle = () => until('the engine to be idle', async () => {
  const m = await metrics();
  return sample(m, 'imlage_images_in_engine') === 0 && sample(m, 'imlage_images_queued') === 0 ? true : undefined;
});

describe('admission control', () => {
  it('answers 429 with Retry-After when the queue is full; every request gets an answer', async () => {
    const names = ['messi5.jpg', 'fruits.jpg', 'baboon.jpg', 'apple.jpg'];
    const all = await Promise.all(Array.from({ length: 32 }, (_, i) => postImage(s.url, names[i % 4]!, '', {})));
    const codes = all.map((r) => r.status);
    expect(codes.filter((c) => c !== 200 && c !== 429)).toEqual([]);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(3);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(1);
    for (const r of all.filter((x) => x.status === 429)) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await r.json()) as { error: string }).error).toMatch(/queue of images is full/);
    }
    expect(sample(await metrics(), 'imlage_rejected_requests_total', { reason: 'queue_full' })).toBe(codes.filter((c) => c === 429).length);
    // A request bigger than the whole queue is refused at once, before any of it runs.
    await idle();
    const before = await tagged();
    const big = await fetch(`${s.url}/v1/tag`, { method: 'POST', body: multipart(['messi5.jpg', 'fruits.jpg', 'baboon.jpg', 'apple.jpg']) });
    expect(big.status).toBe(429);
    expect(await tagged()).toBe(before);
  });

  it('a deadline answers 504 and cancels the images still queued', async () => {
    const before = sample(await deepIdle(), 'imlage_image_seconds_count') ?? 0;
    // 1 ms: the deadline passes while the first image is in the engine and 15 wait.
    const res = await fetch(`${deep.url}/v1/tag?timeout=1`, { method: 'POST', body: multipart(SIXTEEN) });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: string }).error).toMatch(/deadline of 1 ms.*queued images were cancelled/);
    const text = await deepIdle();
    // The image already in the engine finished; the queued ones never reached it.
    expect((sample(text, 'imlage_image_seconds_count') ?? 0) - before).toBeLessThanOrEqual(1);
    expect(sample(text, 'imlage_rejected_requests_total', { reason: 'deadline' })).toBe(1);
  });

  it('a client that disconnects cancels its queued images', async () => {
    const before = sample(await deepIdle(), 'imlage_image_seconds_count') ?? 0;
    const ac = new AbortController();
    const req = fetch(`${deep.url}/v1/tag`, { method: 'POST', body: multipart(SIXTEEN), signal: ac.signal });
    await until('the images to be queued', async () => ((sample(await deepMetrics(), 'imlage_images_queued') ?? 0) > 0 ? true : undefined));
    ac.abort();
    await expect(req).rejects.toThrow();
    await until('the cancellation to be counted', async () => (sample(await deepMetrics(), 'imlage_rejected_requests_total', { reason: 'disconnect' }) === 1 ? true : undefined));
    const text = await deepIdle();
    expect((sample(text, 'imlage_image_seconds_count') ?? 0) - before).toBeLessThan(16);
  });
});
