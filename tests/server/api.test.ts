// The real server on loopback, real HTTP, real models and photos: each
// route, the result contract, auth, limits and the OpenAPI document.
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type ImageTiming, type PluginSuccess, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';
import { TOKEN, auth, bytes, multipart, postImage, sample, start, type Running } from './helpers.js';

let engine: Engine;
let main: Running;
let open: Running;
let root: string;

beforeAll(async () => {
  // root/ holds photos and a symlink inside; outside/ holds a real photo a request must never reach.
  const dir = mkdtempSync(join(tmpdir(), 'imlage-serve-'));
  root = join(dir, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  copyFileSync(photo('messi5.jpg'), join(root, 'messi5.jpg'));
  copyFileSync(photo('fruits.jpg'), join(root, 'sub', 'fruits.jpg'));
  copyFileSync(photo('baboon.jpg'), join(dir, 'outside', 'secret.jpg'));
  symlinkSync(join(root, 'messi5.jpg'), join(root, 'alias.jpg'));
  symlinkSync(join(dir, 'outside', 'secret.jpg'), join(root, 'escape.jpg'));
  symlinkSync(join(dir, 'outside'), join(root, 'outdir'));
  main = await start({ plugins: ['nsfw', 'objects'] }, { token: TOKEN, root });
  engine = main.engine;
  open = await start({}, { maxBodyBytes: 100_000, maxPixels: 250_000 }, engine);
}, 60000);

afterAll(async () => {
  await open?.server.close();
  await main?.server.close();
  await engine?.close();
});

const json = (url: string, body: unknown, headers = auth()) =>
  fetch(`${url}/v1/tag`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

describe('POST /v1/tag', () => {
  it('tags a raw image body with the same result as the engine in-process', async () => {
    const res = await postImage(main.url, 'messi5.jpg', '?name=messi5.jpg');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    const { results } = (await res.json()) as { results: TagResult[] };
    const direct = await engine.tagOne({ name: 'messi5.jpg', data: bytes('messi5.jpg') });
    expect(results).toHaveLength(1);
    const strip = (r: TagResult) => Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, 'tags' in v ? v.tags : v]));
    expect(results[0]!.file).toBe('messi5.jpg');
    expect(strip(results[0]!)).toEqual(strip(direct));
    expect((results[0]!.results.objects as { tags: { label: string }[] }).tags.map((t) => t.label)).toContain('person');
    // The reply's schema keeps the boxes: the same as the engine's own.
    expect((results[0]!.results.objects as PluginSuccess).regions).toEqual((direct.results.objects as PluginSuccess).regions);
    expect((results[0]!.results.objects as PluginSuccess).regions!.length).toBeGreaterThan(0);
  });

  it('tags every image of a multipart body, in order; only the plugins asked for run', async () => {
    const timings: ImageTiming[] = [];
    const off = engine.onTiming((t) => timings.push(t));
    const res = await fetch(`${main.url}/v1/tag?plugins=nsfw&limit=2&threshold=0.01`, { method: 'POST', body: multipart(['messi5.jpg', 'fruits.jpg', 'baboon.jpg']), headers: auth() });
    off();
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: TagResult[] };
    expect(results.map((r) => r.file)).toEqual(['messi5.jpg', 'fruits.jpg', 'baboon.jpg']);
    for (const r of results) {
      expect(Object.keys(r.results)).toEqual(['nsfw']);
      const tags = (r.results.nsfw as { tags: { confidence: number }[] }).tags;
      expect(tags.length).toBeLessThanOrEqual(2);
      for (const t of tags) expect(t.confidence).toBeGreaterThanOrEqual(0.01);
    }
    // objects never ran on them: no decode size, no batch for it.
    expect(timings.map((t) => Object.keys(t.plugins))).toEqual([['nsfw'], ['nsfw'], ['nsfw']]);
  });

  it('threshold and limit replace the plugins\' own, lower as well as higher', async () => {
    const strip = (r: TagResult) => Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, 'tags' in v ? v.tags : v]));
    const plain = ((await (await postImage(main.url, 'messi5.jpg')).json()) as { results: TagResult[] }).results[0]!;
    const res = await postImage(main.url, 'messi5.jpg', '?plugins=objects&threshold=0.05&limit=50');
    expect(res.status).toBe(200);
    const r = ((await res.json()) as { results: TagResult[] }).results[0]!;
    const loose = (r.results.objects as { tags: { confidence: number }[] }).tags;
    // objects' own: threshold 0.45 (per-label ones from 0.15), top_k 10.
    expect(loose.length).toBeGreaterThan((plain.results.objects as { tags: unknown[] }).tags.length);
    for (const t of loose) expect(t.confidence).toBeGreaterThanOrEqual(0.05);
    expect(strip(r)).toEqual(strip(await engine.tagOne(bytes('messi5.jpg'), { plugins: ['objects'], threshold: 0.05, topK: 50 })));
    // JSON bodies carry the same options.
    const viaJson = await json(main.url, { files: ['messi5.jpg'], plugins: ['objects'], threshold: 0.05, limit: 3 });
    expect((((await viaJson.json()) as { results: TagResult[] }).results[0]!.results.objects as { tags: unknown[] }).tags).toEqual(loose.slice(0, 3));
  });

  it('mode applies per request: exact on a fast server answers as the engine does in exact mode', async () => {
    const strip = (r: TagResult) => Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, 'tags' in v ? v.tags : v]));
    const [exact, fast] = await Promise.all([postImage(main.url, 'baboon.jpg', '?mode=exact'), postImage(main.url, 'baboon.jpg')]);
    expect(exact.status).toBe(200);
    const e = ((await exact.json()) as { results: TagResult[] }).results[0]!;
    const f = ((await fast.json()) as { results: TagResult[] }).results[0]!;
    expect(strip(e)).toEqual(strip(await engine.tagOne(bytes('baboon.jpg'), { mode: 'exact' })));
    expect(strip(f)).toEqual(strip(await engine.tagOne(bytes('baboon.jpg'))));
    expect(strip(e)).not.toEqual(strip(f));
  });

  it('reads JSON-named files under the root only: traversal, absolute paths and escaping symlinks fail unopened', async () => {
    const res = await json(main.url, { files: ['messi5.jpg', 'sub/fruits.jpg', 'alias.jpg', '../outside/secret.jpg', 'escape.jpg', 'outdir/secret.jpg', '/etc/hostname', 'sub/../../outside/secret.jpg', 'missing.jpg'] });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: TagResult[] };
    const byFile = Object.fromEntries(results.map((r) => [r.file, r]));
    for (const ok of ['messi5.jpg', 'sub/fruits.jpg', 'alias.jpg']) expect(byFile[ok]!.error, ok).toBeUndefined();
    expect(byFile['../outside/secret.jpg']!.error).toMatch(/outside the server's root/);
    expect(byFile['sub/../../outside/secret.jpg']!.error).toMatch(/outside the server's root/);
    expect(byFile['escape.jpg']!.error).toMatch(/symlink leads outside/);
    expect(byFile['outdir/secret.jpg']!.error).toMatch(/symlink leads outside/);
    expect(byFile['/etc/hostname']!.error).toMatch(/absolute paths are refused/);
    expect(byFile['missing.jpg']!.error).toMatch(/no such file/);
    for (const bad of ['../outside/secret.jpg', 'escape.jpg', 'outdir/secret.jpg']) expect(byFile[bad]!.results).toEqual({});
  });

  it('answers 422 with the reason when no image could be tagged, 400 for bad options, 415 for other bodies', async () => {
    const notImage = await fetch(`${main.url}/v1/tag`, { method: 'POST', body: 'hello', headers: { 'content-type': 'image/png', ...auth() } });
    expect(notImage.status).toBe(422);
    expect(((await notImage.json()) as { results: TagResult[] }).results[0]!.error).toMatch(/cannot decode/);
    const mode = await postImage(main.url, 'messi5.jpg', '?mode=quick');
    expect(mode.status).toBe(400);
    expect(await mode.json()).toMatchObject({ code: 'IMLAGE_ERR_INVALID_ARG', error: expect.stringMatching(/mode must be equal to one of the allowed values/) });
    const plugin = await postImage(main.url, 'messi5.jpg', '?plugins=colors');
    expect(plugin.status).toBe(400);
    const unknownKey = await json(main.url, { files: ['messi5.jpg'], bogus: 1 });
    expect(unknownKey.status).toBe(400);
    expect(((await unknownKey.json()) as { error: string }).error).toMatch(/additional properties/);
    const text = await fetch(`${main.url}/v1/tag`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain', ...auth() } });
    expect(text.status).toBe(415);
    const many = await json(main.url, { files: Array.from({ length: 65 }, () => 'messi5.jpg') });
    expect(many.status).toBe(413);
    expect(((await many.json()) as { error: string }).error).toMatch(/more than 64 images.*max_images/);
    const noRoot = await json(open.url, { files: ['messi5.jpg'] }, {});
    expect(noRoot.status).toBe(400);
    expect(((await noRoot.json()) as { error: string }).error).toMatch(/no root folder.*--root/);
  });

  it('refuses bodies over the limit (413) and images over the pixel limit (that image only)', async () => {
    const big = await postImage(open.url, 'baboon.jpg', '', {}); // 180 kB > 100 kB
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: string }).error).toMatch(/over the server's limit of 100000 bytes/);
    const parts = await fetch(`${open.url}/v1/tag`, { method: 'POST', body: multipart(['messi5.jpg', 'fruits.jpg']) });
    expect(parts.status).toBe(413);
    const px = await fetch(`${open.url}/v1/tag`, { method: 'POST', body: multipart(['messi5.jpg']) });
    expect(px.status).toBe(200);
    const huge = await fetch(`${open.url}/v1/tag`, { method: 'POST', body: multipart(['apple.jpg']) }); // 512x512 > 250000
    expect(huge.status).toBe(422);
    expect(((await huge.json()) as { results: TagResult[] }).results[0]!.error).toMatch(/512x512 is 262144 pixels, over the server's limit of 250000/);
  });

  it('answers 504 when the deadline passes and no stack trace ever reaches the client', async () => {
    const res = await postImage(main.url, 'messi5.jpg', '?timeout=1');
    expect(res.status).toBe(504);
    const body = await res.text();
    expect(body).toMatch(/deadline of 1 ms/);
    const broken = await fetch(`${main.url}/v1/tag`, { method: 'POST', body: '{"files": [', headers: { 'content-type': 'application/json', ...auth() } });
    expect(broken.status).toBe(400);
    for (const b of [body, await broken.text()]) expect(b).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
  });
});

describe('auth', () => {
  it('needs the bearer token on everything but health, and compares it exactly', async () => {
    for (const path of ['/v1/plugins', '/metrics', '/openapi.json', '/v2/models/nsfw']) {
      const none = await fetch(main.url + path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(main.url + path, { headers: auth(TOKEN.slice(0, -1) + 'X') })).status, path).toBe(401);
      expect((await fetch(main.url + path, { headers: auth(TOKEN + 'X') })).status, path).toBe(401);
      expect((await fetch(main.url + path, { headers: auth() })).status, path).toBe(200);
    }
    expect((await postImage(main.url, 'messi5.jpg', '', {})).status).toBe(401);
    for (const path of ['/healthz', '/readyz', '/v2/health/live', '/v2/health/ready', '/v2/models/nsfw/ready']) {
      expect((await fetch(main.url + path)).status, path).toBe(200);
    }
  });

  it('refuses plugin management on a server without a token', async () => {
    const res = await fetch(`${open.url}/v1/plugins/nsfw/reload`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/--token or IMLAGE_TOKEN/);
  });
});

describe('plugins, health, KServe v2', () => {
  it('lists plugins and describes one with the provider it runs on', async () => {
    const list = (await (await fetch(`${main.url}/v1/plugins`, { headers: auth() })).json()) as { plugins: { name: string; state: string; serving: boolean }[] };
    const nsfw = list.plugins.find((p) => p.name === 'nsfw')!;
    expect(nsfw).toMatchObject({ state: 'active', serving: true });
    expect(list.plugins.find((p) => p.name === 'colors')).toMatchObject({ serving: false });
    const one = (await (await fetch(`${main.url}/v1/plugins/objects`, { headers: auth() })).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ name: 'objects', kind: 'onnx', state: 'active', provider: 'cpu' });
    expect(one.model).toMatch(/nanodet/);
    expect((one.manifest as { file: string }).file).toMatch(/plugin\.toml$/);
    expect((await fetch(`${main.url}/v1/plugins/nope`, { headers: auth() })).status).toBe(404);
  });

  it('answers KServe v2 health and model metadata', async () => {
    expect(await (await fetch(`${main.url}/v2/health/live`)).json()).toEqual({ live: true });
    expect(await (await fetch(`${main.url}/v2/health/ready`)).json()).toMatchObject({ ready: true });
    const meta = (await (await fetch(`${main.url}/v2/models/nsfw`, { headers: auth() })).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'nsfw', versions: ['1.0.0'], platform: 'onnxruntime_onnx' });
    expect(await (await fetch(`${main.url}/v2/models/objects/ready`)).json()).toMatchObject({ name: 'objects', ready: true });
    expect((await fetch(`${main.url}/v2/models/colors/ready`)).status).toBe(404);
  });

  it('unload makes the server not ready and fails that plugin\'s results only; load brings both back', async () => {
    const post = (a: string) => fetch(`${main.url}/v1/plugins/objects/${a}`, { method: 'POST', headers: auth() });
    expect((await post('unload')).status).toBe(200);
    const r = await fetch(`${main.url}/readyz`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { reasons: string[] }).reasons.join()).toMatch(/plugin "objects" is unloaded/);
    expect((await fetch(`${main.url}/v2/health/ready`)).status).toBe(400);
    const partial = await postImage(main.url, 'messi5.jpg');
    expect(partial.status).toBe(200);
    const got = ((await partial.json()) as { results: TagResult[] }).results[0]!;
    expect(got.results.nsfw).toHaveProperty('tags');
    expect(got.results.objects).toMatchObject({ error: expect.stringMatching(/^plugin "objects" is not loaded/) });
    // Only the unloaded plugin asked for: nothing can be tagged here.
    const none = await postImage(main.url, 'messi5.jpg', '?plugins=objects');
    expect(none.status).toBe(503);
    expect(await none.json()).toMatchObject({ code: 'IMLAGE_ERR_NOT_READY' });
    expect(((await (await post('load')).json()) as { state: string }).state).toBe('active');
    expect((await fetch(`${main.url}/readyz`)).status).toBe(200);
    expect((await postImage(main.url, 'messi5.jpg')).status).toBe(200);
  });

  it('a reload through the API loses no request', async () => {
    const names = ['messi5.jpg', 'fruits.jpg', 'baboon.jpg', 'apple.jpg', 'home.jpg', 'aero1.jpg'];
    const flood = Array.from({ length: 24 }, (_, i) => postImage(main.url, names[i % names.length]!));
    const reload = fetch(`${main.url}/v1/plugins/nsfw/reload`, { method: 'POST', headers: auth() });
    const more = Array.from({ length: 12 }, (_, i) => postImage(main.url, names[i % names.length]!));
    expect((await reload).status).toBe(200);
    const all = await Promise.all([...flood, ...more]);
    for (const res of all) {
      expect(res.status).toBe(200);
      const r = ((await res.json()) as { results: TagResult[] }).results[0]!;
      expect(r.error).toBeUndefined();
      expect(r.results.nsfw).toHaveProperty('tags');
    }
  });
});

describe('/metrics and /openapi.json', () => {
  it('scrapes in the Prometheus text format with conventional names', async () => {
    const res = await fetch(`${main.url}/metrics`, { headers: auth() });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'imlage_http_requests_total', { route: '/v1/tag', status_code: '200' })).toBeGreaterThan(0);
    expect(sample(text, 'imlage_images_total', { outcome: 'tagged' })).toBeGreaterThan(0);
    expect(sample(text, 'imlage_plugin_images_total', { plugin: 'nsfw', outcome: 'tagged' })).toBeGreaterThan(0);
    expect(sample(text, 'imlage_plugin_info', { plugin: 'objects', provider: 'cpu' })).toBe(1);
    expect(sample(text, 'imlage_decode_seconds_count')).toBeGreaterThan(0);
    for (const stage of ['queue', 'preprocess', 'inference', 'postprocess']) {
      expect(sample(text, 'imlage_stage_seconds_count', { plugin: 'nsfw', stage })).toBeGreaterThan(0);
    }
    // Histograms with buckets, filled per image from the engine's timing events.
    expect(text).toMatch(/^# TYPE imlage_decode_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE imlage_batch_size histogram$/m);
    expect(sample(text, 'imlage_decode_seconds_bucket', { le: '+Inf' })).toBe(sample(text, 'imlage_decode_seconds_count'));
    const batches = sample(text, 'imlage_batch_size_count', { plugin: 'objects' })!;
    expect(batches).toBeGreaterThan(0);
    expect(sample(text, 'imlage_batch_size_bucket', { plugin: 'objects', le: '128' })).toBe(batches);
    expect(sample(text, 'imlage_batch_size_sum', { plugin: 'objects' })).toBeGreaterThanOrEqual(batches);
    expect(sample(text, 'imlage_queue_wait_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'imlage_rejected_requests_total', { reason: 'deadline' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const [, name, type] = m;
      expect(name).toMatch(/^[a-z_:][a-z0-9_:]*$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (/seconds|bytes/.test(name!)) expect(name).toMatch(/_(seconds|bytes)(_total)?$/);
    }
  });

  it('serves an OpenAPI document that validates, and a docs page', async () => {
    const doc = await (await fetch(`${main.url}/openapi.json`, { headers: auth() })).json();
    const result = await validate(doc as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    const paths = Object.keys((doc as { paths: object }).paths);
    for (const p of ['/v1/tag', '/v1/plugins', '/v1/plugins/{name}', '/v1/plugins/{name}/reload', '/healthz', '/readyz', '/metrics', '/v2/health/ready', '/v2/models/{name}', '/v2/models/{name}/ready']) {
      expect(paths).toContain(p);
    }
    const tag = (doc as { paths: Record<string, { post: { requestBody: { content: object } } }> }).paths['/v1/tag']!.post;
    expect(Object.keys(tag.requestBody.content).sort()).toEqual(['application/json', 'image/*', 'multipart/form-data']);
    const page = await fetch(`${main.url}/docs/`, { headers: auth() });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });
});
