// Every error answer has one shape (the Error schema) and a code from the
// one catalogue, src/errors.ts's ErrorCode.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';

export interface ErrorBody {
  error: string;
  code: ErrorCode;
  request_id: string;
}

export function sendError(req: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode, error: string): FastifyReply {
  const body: ErrorBody = { error, code, request_id: req.id };
  return reply.code(status).send(body);
}
