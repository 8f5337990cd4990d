// Liveness and readiness, in our shape (/healthz, /readyz) and in the KServe
// v2 / Triton shape (/v2/health/*, /v2/models/{name}[/ready]) so that existing
// probes and dashboards work unchanged.

import type { FastifyInstance } from 'fastify';
import { sendError } from '../reply.js';
import { pluginNameParams } from '../schemas.js';
import type { ServerContext } from '../server.js';

const open = { security: [] as never[] };
const serverReady = { type: 'object', properties: { ready: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } } } as const;
const modelReady = { type: 'object', properties: { name: { type: 'string' }, ready: { type: 'boolean' }, reason: { type: 'string' } } } as const;

export function registerHealth(app: FastifyInstance, ctx: ServerContext): void {
  const { engine, readiness } = ctx;

  app.get('/healthz', {
    schema: { ...open, summary: 'Liveness: the process answers', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      ...open,
      summary: 'Readiness: every plugin the server runs is active',
      description: 'Not ready (503) when a plugin is unloaded or failed, or when an isolated plugin\'s process died and has not come back; the body says why.',
      response: { 200: { $ref: 'Readiness#' }, 503: { $ref: 'Readiness#' } },
    },
  }, async (_req, reply) => {
    const r = readiness.check();
    return reply.code(r.ready ? 200 : 503).send(r);
  });

  app.get('/v2/health/live', {
    schema: { ...open, tags: ['kserve-v2'], summary: 'KServe v2 server live', response: { 200: { type: 'object', properties: { live: { type: 'boolean' } } } } },
  }, async () => ({ live: true }));

  // KServe v2: 200 means ready, 4xx means not ready (Triton answers 400).
  app.get('/v2/health/ready', {
    schema: {
      ...open, tags: ['kserve-v2'], summary: 'KServe v2 server ready (400 when not)',
      response: { 200: serverReady, 400: serverReady },
    },
  }, async (_req, reply) => {
    const r = readiness.check();
    return reply.code(r.ready ? 200 : 400).send({ ready: r.ready, reasons: r.reasons });
  });

  const known = (name: string) => readiness.serving.includes(name);
  const unknown = (name: string) => `unknown model "${name}": this server runs ${readiness.serving.join(', ')} (a model is a plugin)`;

  app.get('/v2/models/:name', {
    schema: {
      tags: ['kserve-v2'],
      summary: 'KServe v2 model metadata (a model is a plugin)',
      params: pluginNameParams,
      response: {
        200: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            versions: { type: 'array', items: { type: 'string' } },
            platform: { type: 'string' },
            inputs: { type: 'array', items: { $ref: 'TensorMetadata#' } },
            outputs: { type: 'array', items: { $ref: 'TensorMetadata#' } },
          },
        },
        404: { $ref: 'Error#' },
      },
    },
  }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const e = engine.manager.get(name);
    if (!e || !known(name)) return sendError(req, reply, 404, 'IMLAGE_ERR_UNKNOWN_PLUGIN', unknown(name));
    // The image goes in encoded (BYTES, one element per image); tags come out as JSON strings.
    return {
      name,
      versions: [e.manifest.version],
      platform: e.manifest.kind === 'onnx' ? 'onnxruntime_onnx' : 'imlage_native',
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: 'tags', datatype: 'BYTES', shape: [-1] }],
    };
  });

  app.get('/v2/models/:name/ready', {
    schema: {
      ...open, tags: ['kserve-v2'], summary: 'KServe v2 model ready (400 when not)', params: pluginNameParams,
      response: { 200: modelReady, 400: modelReady, 404: { $ref: 'Error#' } },
    },
  }, async (req, reply) => {
    const { name } = req.params as { name: string };
    if (!known(name)) return sendError(req, reply, 404, 'IMLAGE_ERR_UNKNOWN_PLUGIN', unknown(name));
    const p = readiness.check().plugins[name]!;
    return reply.code(p.ready ? 200 : 400).send({ name, ready: p.ready, reason: p.reason });
  });
}
