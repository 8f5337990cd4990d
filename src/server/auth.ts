// Bearer-token authentication. Both sides are hashed before the
// constant-time compare, so neither the token's bytes nor its length leak
// through timing.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './reply.js';

/** Routes a load balancer or orchestrator probes without credentials. */
export const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/v2/health/live', '/v2/health/ready', '/v2/models/:name/ready']);

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(expected: Buffer, header: string | undefined): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  // Compare even when the header is malformed, so that case takes as long as a wrong token.
  return timingSafeEqual(expected, digest(m?.[1] ?? '')) && m !== null;
}

/** An onRequest hook refusing requests without the token (none configured: everything is open). */
export function bearerAuth(token: string | undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!expected || PUBLIC_ROUTES.has(req.routeOptions.url ?? '')) return;
    if (tokenMatches(expected, req.headers.authorization)) return;
    reply.header('www-authenticate', 'Bearer realm="imlage"');
    return sendError(req, reply, 401, 'IMLAGE_ERR_UNAUTHORIZED', "missing or wrong bearer token: send `Authorization: Bearer <token>` (the server's --token or IMLAGE_TOKEN)");
  };
}
