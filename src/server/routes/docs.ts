// The OpenAPI document, generated from the routes' own schemas
// (@fastify/swagger), at /openapi.json, and a browsable page at /docs
// (@fastify/swagger-ui, served from its npm package: nothing is fetched).

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server.js';

// The raw-image and multipart bodies are read by their own parsers, not
// validated by a schema; the document still lists them.
const TAG_BODIES = {
  'image/*': { schema: { type: 'string', format: 'binary', description: 'one encoded image (JPEG, PNG, WebP, GIF, TIFF, AVIF/HEIF)' } },
  'multipart/form-data': {
    schema: { type: 'object', properties: { image: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'one file part per image (any field name)' } } },
  },
};

export async function registerDocs(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'imlage',
        version: ctx.version,
        description: 'Image tagging server. Every route but the health routes needs `Authorization: Bearer <token>` when the server has a token. See docs/server.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url }) => {
      if (url !== '/v1/tag' || !schema) return { schema, url };
      const body = schema.body as { content: Record<string, unknown> };
      return { schema: { ...schema, body: { content: { ...body.content, ...TAG_BODIES } } }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
