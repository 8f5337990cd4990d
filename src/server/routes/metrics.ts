// GET /metrics: the Prometheus text format.

import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server.js';

export function registerMetrics(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'], response: { 200: { type: 'string' } } },
  }, async (_req, reply) => {
    reply.type(ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
