// POST /v1/tag: one raw image, a multipart body of images, or JSON naming
// files under the server's root folder. Each image is admitted (bounded
// queue), tagged by the shared engine (concurrent requests batch together
// there, each with the request's options: plugins, threshold, limit, mode)
// and answered in the CLI's result contract.

import { setMaxListeners } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TagOptions } from '../../engine/engine.js';
import { isFailure, type TagResult } from '../../engine/types.js';
import { ImlageError, errorMessage } from '../../errors.js';
import { QueueFullError } from '../admission.js';
import { readUnderRoot } from '../files.js';
import type { RejectReason } from '../metrics.js';
import { checkPixels } from '../pixels.js';
import { sendError } from '../reply.js';
import { tagJsonBodySchema, tagQuerySchema } from '../schemas.js';
import type { ServerContext } from '../server.js';

export interface Cancellable {
  cancel(reason: RejectReason): void;
}

interface TagQuery {
  plugins?: string;
  name?: string;
  threshold?: number;
  limit?: number;
  mode?: 'exact' | 'fast';
  timeout?: number;
}

interface TagBody extends Omit<TagQuery, 'plugins' | 'name'> {
  files: string[];
  plugins?: string[];
}

/** One image of a request: bytes to tag, or why it cannot be. */
type Item = { name: string; data: Uint8Array } | { name: string; error: string };

class Cancelled extends Error {
  constructor(readonly reason: RejectReason) {
    super(reason);
  }
}

function essence(ct: string | undefined): string {
  return (ct ?? '').split(';')[0]!.trim().toLowerCase();
}

async function readInputs(ctx: ServerContext, req: FastifyRequest, ct: string, q: TagQuery): Promise<Item[]> {
  const o = ctx.options;
  if (ct === 'application/json') {
    const body = req.body as TagBody;
    if (!ctx.root) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', "this server has no root folder, so requests cannot name files: start it with --root DIR (or [serve] root), or send the image bytes (raw body or multipart)");
    }
    if (body.files.length > o.maxImages) throw Object.assign(new Error('too many'), { code: 'FST_FILES_LIMIT' });
    return Promise.all(body.files.map(async (name): Promise<Item> => {
      try {
        return { name, data: await readUnderRoot(ctx.root!, name, o.maxBodyBytes) };
      } catch (err) {
        return { name, error: errorMessage(err) };
      }
    }));
  }
  if (ct === 'multipart/form-data') {
    const items: Item[] = [];
    let total = 0;
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      const data = await part.toBuffer();
      total += data.byteLength;
      if (total > o.maxBodyBytes) throw Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      items.push({ name: part.filename || `<part ${items.length}>`, data });
    }
    if (items.length === 0) throw new ImlageError('IMLAGE_ERR_INPUT', 'the multipart body holds no file parts: send each image as a file field (curl -F image=@photo.jpg)');
    return items;
  }
  const data = req.body as Buffer | undefined;
  if (!data || data.byteLength === 0) throw new ImlageError('IMLAGE_ERR_INPUT', 'the request body is empty: send the image bytes (curl --data-binary @photo.jpg -H "content-type: image/jpeg")');
  return [{ name: q.name ?? '<body>', data }];
}

export function registerTag(app: FastifyInstance, ctx: ServerContext): void {
  const { engine, admission, metrics, options: o } = ctx;
  const serving = new Set(ctx.readiness.serving);

  /** One admitted image through the engine; the queued part is cancellable. */
  async function tagAdmitted(item: { name: string; data: Uint8Array }, opts: TagOptions, signal: AbortSignal): Promise<TagResult> {
    const queued = performance.now();
    await admission.acquire(signal);
    const t0 = performance.now();
    metrics.waited((t0 - queued) / 1000);
    try {
      const r = await engine.tagOne({ name: item.name, data: item.data }, opts);
      metrics.answered(r, (performance.now() - t0) / 1000);
      return r;
    } finally {
      admission.release(performance.now() - t0);
    }
  }

  app.post('/v1/tag', {
    schema: {
      summary: 'Tag images',
      description: 'One image as the raw body (content-type image/*), a multipart/form-data body with one or more image files, ' +
        "or JSON naming files under the server's root folder. Options in the query string (or, for JSON, in the body). " +
        'Answers one result per image, in order, in the CLI\'s result contract; 422 when no image could be tagged.',
      querystring: tagQuerySchema,
      body: { content: { 'application/json': { schema: tagJsonBodySchema } } },
      response: {
        200: { $ref: 'TagResponse#' },
        422: { $ref: 'TagResponse#' },
        '4xx': { $ref: 'Error#' },
        '5xx': { $ref: 'Error#' },
      },
    },
  }, async (req: FastifyRequest, reply: FastifyReply) => {
    const ct = essence(req.headers['content-type']);
    if (!(ct === 'application/json' || ct === 'multipart/form-data' || ct === 'application/octet-stream' || ct.startsWith('image/'))) {
      return sendError(req, reply, 415, 'IMLAGE_ERR_INPUT', `unsupported content-type "${ct}": send image/* (raw bytes), multipart/form-data or application/json`);
    }
    const q = req.query as TagQuery;
    const b = ct === 'application/json' ? (req.body as TagBody) : undefined;
    const listed = b?.plugins ?? q.plugins?.split(',').map((s) => s.trim()).filter(Boolean);
    const wanted = listed?.length ? listed : undefined;
    for (const p of wanted ?? []) {
      if (!serving.has(p)) throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `plugin "${p}" is not run by this server (it runs ${[...serving].join(', ')}; start it with --plugin ${p})`);
    }
    // The engine runs only these plugins, with these settings, for this request's images.
    const opts: TagOptions = { plugins: wanted, threshold: b?.threshold ?? q.threshold, topK: b?.limit ?? q.limit, mode: b?.mode ?? q.mode };
    // One plugin unloaded fails its results per image; none of them there: nothing can be tagged here.
    if ((wanted ?? [...serving]).every((n) => engine.manager.get(n)?.state !== 'active')) {
      return sendError(req, reply, 503, 'IMLAGE_ERR_NOT_READY', ctx.readiness.check().reasons.join('; '));
    }

    const items = await readInputs(ctx, req, ct, q);
    await Promise.all(items.map(async (it, i) => {
      if (!('data' in it)) return;
      try {
        await checkPixels(it.name, it.data, o.maxPixels);
      } catch (err) {
        items[i] = { name: it.name, error: errorMessage(err) };
      }
    }));

    const ac = new AbortController();
    // Each queued image of the request listens for its cancellation.
    setMaxListeners(items.length + 2, ac.signal);
    const cancel = (reason: RejectReason) => {
      if (!ac.signal.aborted) ac.abort(new Cancelled(reason));
    };
    const timeout = b?.timeout ?? q.timeout ?? o.timeoutMs;
    // The deadline counts from the request's arrival, body upload included.
    const timer = setTimeout(() => cancel('deadline'), Math.max(0, timeout - reply.elapsedTime));
    const onClose = () => {
      if (!reply.raw.writableFinished) cancel('disconnect');
    };
    reply.raw.once('close', onClose);
    const me: Cancellable = { cancel };
    try {
      const toTag = items.filter((it) => 'data' in it).length;
      try {
        admission.reserve(toTag);
      } catch (err) {
        if (!(err instanceof QueueFullError)) throw err;
        metrics.rejected.inc({ reason: 'queue_full' });
        reply.header('retry-after', String(err.retryAfterS));
        return sendError(req, reply, 429, 'IMLAGE_ERR_BUSY', `${err.message}; retry after ${err.retryAfterS} s`);
      }
      ctx.active.add(me);
      const work = items.map((it): Promise<TagResult> => {
        if ('error' in it) {
          metrics.refused();
          return Promise.resolve({ file: it.name, results: {}, error: it.error });
        }
        return tagAdmitted(it, opts, ac.signal);
      });
      // Images already in the engine cannot be stopped; they finish and free their place.
      for (const w of work) w.catch(() => {});
      const stopped = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
      stopped.catch(() => {});
      let results: TagResult[];
      try {
        results = await Promise.race([Promise.all(work), stopped]);
      } catch (err) {
        if (!(err instanceof Cancelled)) throw err;
        metrics.rejected.inc({ reason: err.reason });
        if (err.reason === 'deadline') {
          return sendError(req, reply, 504, 'IMLAGE_ERR_TIMEOUT', `the request did not finish within its deadline of ${timeout} ms (the timeout option, or [serve] timeout_ms); its queued images were cancelled`);
        }
        if (err.reason === 'shutdown') {
          return sendError(req, reply, 503, 'IMLAGE_ERR_SHUTDOWN', 'the server is shutting down; its queued images were cancelled: retry on another instance');
        }
        // The client is gone: nobody reads this answer (499, as nginx logs it).
        return sendError(req, reply, 499, 'IMLAGE_ERR_CANCELLED', 'client closed the request');
      }
      const tagged = results.some((r) => !r.error && Object.values(r.results).some((x) => !isFailure(x)));
      return reply.code(tagged ? 200 : 422).send({ results });
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      ctx.active.delete(me);
    }
  });
}
