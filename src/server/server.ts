// createServer(engine, options): the HTTP layer on an Engine. Fastify does
// routing, validation (one JSON schema per route, also the OpenAPI
// document), logging (pino, one request id per request) and draining on
// close; admission control, auth, readiness and metrics are ours.

import { randomUUID } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import type { Engine } from '../engine/engine.js';
import { ImlageError, errorMessage } from '../errors.js';
import { packageRoot } from '../paths.js';
import { Admission } from './admission.js';
import { bearerAuth } from './auth.js';
import { ServerMetrics } from './metrics.js';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { Readiness } from './readiness.js';
import { sendError } from './reply.js';
import { registerDocs } from './routes/docs.js';
import { registerHealth } from './routes/health.js';
import { registerMetrics } from './routes/metrics.js';
import { registerPlugins } from './routes/plugins.js';
import { registerTag, type Cancellable } from './routes/tag.js';
import { SHARED_SCHEMAS } from './schemas.js';

export interface ImlageServer {
  readonly app: FastifyInstance;
  readonly options: ResolvedServerOptions;
  /** Starts listening; resolves to the base URL (http://host:port). */
  listen(): Promise<string>;
  /**
   * Stops accepting, lets requests in flight finish for up to drainMs, then
   * cancels what is still queued and closes the connections. The engine is
   * the caller's: close it afterwards.
   */
  close(): Promise<void>;
}

/** Shared by the route modules. */
export interface ServerContext {
  engine: Engine;
  options: ResolvedServerOptions;
  admission: Admission;
  metrics: ServerMetrics;
  readiness: Readiness;
  /** Requests whose work can still be cancelled (at shutdown). */
  active: Set<Cancellable>;
  /** The root folder's real path, when JSON requests may name files. */
  root?: string;
  version: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const LIMIT_CODES: Record<string, (o: ResolvedServerOptions) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (o) => `the request body is over the server's limit of ${o.maxBodyBytes} bytes ([serve] max_body_mib)`,
  FST_REQ_FILE_TOO_LARGE: (o) => `an image is over the server's limit of ${o.maxBodyBytes} bytes ([serve] max_body_mib)`,
  FST_FILES_LIMIT: (o) => `more than ${o.maxImages} images in one request ([serve] max_images)`,
  FST_PARTS_LIMIT: (o) => `too many parts in the multipart body (at most ${o.maxImages} images)`,
  FST_FIELDS_LIMIT: () => 'too many fields in the multipart body (send options in the query string)',
};

export async function createServer(engine: Engine, options: ServerOptions = {}): Promise<ImlageServer> {
  const o = resolveServerOptions(options);
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  let root: string | undefined;
  if (o.root !== undefined) {
    try {
      root = realpathSync(o.root);
    } catch (err) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `server root folder ${o.root}: ${errorMessage(err)}`);
    }
  }
  const app = Fastify({
    logger: o.logLevel === 'silent' ? false : { level: o.logLevel, ...(o.logStream ? { stream: o.logStream } : {}) },
    bodyLimit: o.maxBodyBytes,
    // A slow client cannot hold a connection open forever while sending its body.
    requestTimeout: o.timeoutMs + 30_000,
    return503OnClosing: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Unknown keys are refused with a clear message instead of being dropped silently.
    ajv: { customOptions: { removeAdditional: false } },
  });

  const admission = new Admission(o.maxConcurrent, o.maxQueue);
  const metrics = new ServerMetrics(engine, admission);
  const serving = engine.plugins.map((p) => p.name);
  const ctx: ServerContext = { engine, options: o, admission, metrics, readiness: new Readiness(engine, serving), active: new Set(), root, version };

  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  await app.register(multipart, {
    limits: { fileSize: o.maxBodyBytes, files: o.maxImages, parts: o.maxImages + 20, fields: 20, fieldSize: 4096, headerPairs: 100 },
  });
  // A raw image body arrives whole, bounded by bodyLimit.
  app.addContentTypeParser(/^(image\/[\w.+-]+|application\/octet-stream)$/, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    metrics.inFlight.inc();
  });
  app.addHook('onRequest', bearerAuth(o.token));
  // While draining, answers end their keep-alive connection, so close() need not wait for idle clients.
  app.addHook('onSend', async (_req, reply) => {
    if (ctx.readiness.closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.inFlight.dec();
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status_code: String(reply.statusCode) });
    metrics.duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const limit = err.code ? LIMIT_CODES[err.code] : undefined;
    if (limit) return sendError(req, reply, 413, 'IMLAGE_ERR_TOO_LARGE', limit(o));
    if (err.validation) return sendError(req, reply, 400, 'IMLAGE_ERR_INVALID_ARG', `invalid request: ${err.message}`);
    if (err instanceof ImlageError) {
      const status = err.code === 'IMLAGE_ERR_UNKNOWN_PLUGIN' ? 404 : err.code === 'IMLAGE_ERR_INVALID_ARG' || err.code === 'IMLAGE_ERR_INPUT' ? 400 : 500;
      if (status === 500) req.log.error({ err }, 'request failed');
      return sendError(req, reply, status, err.code, err.message);
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // Fastify's own refusals (a malformed body, a bad header): their FST_* codes are not ours.
    if (status < 500) return sendError(req, reply, status, 'IMLAGE_ERR_REQUEST', err.message);
    // The details go to the log, never to the client.
    req.log.error({ err }, 'request failed');
    return sendError(req, reply, 500, 'IMLAGE_ERR_INTERNAL', `internal error; the server log has the details under request id ${req.id}`);
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, 404, 'IMLAGE_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}; the API is described at /openapi.json and /docs`));

  await registerDocs(app, ctx);
  registerHealth(app, ctx);
  registerMetrics(app, ctx);
  registerPlugins(app, ctx);
  registerTag(app, ctx);
  await app.ready();

  let closing: Promise<void> | undefined;
  return {
    app,
    options: o,
    async listen() {
      return app.listen({ host: o.host, port: o.port });
    },
    close() {
      closing ??= (async () => {
        ctx.readiness.closing = true;
        const closed = app.close();
        // Connections that were busy when close() began are closed as soon as they fall idle.
        const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), o.drainMs)));
        if ((await Promise.race([closed.then(() => 'done' as const), late])) === 'late') {
          app.log.warn({ requests: ctx.active.size }, `requests still running after the drain deadline of ${o.drainMs} ms: cancelling them`);
          for (const c of ctx.active) c.cancel('shutdown');
          await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
          app.server.closeAllConnections();
          await closed;
        }
        clearTimeout(timer);
        clearInterval(sweeper);
        metrics.close();
      })();
      return closing;
    },
  };
}
