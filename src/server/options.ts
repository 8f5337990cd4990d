// What `imlage serve` and createServer() accept, and their defaults: one
// place, so the CLI, config.toml's [serve] and the API cannot disagree.

import { ImlageError } from '../errors.js';

export interface ServerOptions {
  /** Address to bind (default 127.0.0.1: reachable from this machine only). */
  host?: string;
  /** TCP port (default 8080; 0 picks a free one). */
  port?: number;
  /** Bearer token required on everything but the health routes; default $IMLAGE_TOKEN, else none. */
  token?: string;
  /** Folder whose files a JSON request may name; none: JSON requests naming files are refused. */
  root?: string;
  /** Largest request body, in bytes (default 32 MiB): 413 beyond. */
  maxBodyBytes?: number;
  /** Most images in one request (default 64). */
  maxImages?: number;
  /** Largest image, in pixels (default 40 million): larger images fail without being decoded. */
  maxPixels?: number;
  /** Images in the engine at once (default 64): enough to fill batches, few enough to bound memory. */
  maxConcurrent?: number;
  /** Images waiting for the engine (default 256): 429 with Retry-After beyond. */
  maxQueue?: number;
  /** Per-request deadline in ms (default 30000; a request may ask for less or more, up to 10 min): 504 beyond. */
  timeoutMs?: number;
  /** On close, how long requests in flight may take to finish (default 10000 ms). */
  drainMs?: number;
  /** pino log level (default 'info'); 'silent' for none. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where JSON log lines go (default stdout). */
  logStream?: NodeJS.WritableStream;
}

export type ResolvedServerOptions = Required<Omit<ServerOptions, 'token' | 'root' | 'logStream'>> &
  Pick<ServerOptions, 'token' | 'root' | 'logStream'>;

export const MAX_TIMEOUT_MS = 600_000;

export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const r: ResolvedServerOptions = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 8080,
    token: o.token ?? (process.env.IMLAGE_TOKEN || undefined),
    root: o.root,
    maxBodyBytes: o.maxBodyBytes ?? 32 * 1024 * 1024,
    maxImages: o.maxImages ?? 64,
    maxPixels: o.maxPixels ?? 40_000_000,
    maxConcurrent: o.maxConcurrent ?? 64,
    maxQueue: o.maxQueue ?? 256,
    timeoutMs: o.timeoutMs ?? 30_000,
    drainMs: o.drainMs ?? 10_000,
    logLevel: o.logLevel ?? 'info',
    logStream: o.logStream,
  };
  const int = (key: keyof ServerOptions, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `server option ${key} must be an integer from ${min} to ${max}, got ${v}`);
    }
  };
  int('port', r.port, 0, 65535);
  int('maxBodyBytes', r.maxBodyBytes, 1024, 2 ** 31);
  int('maxImages', r.maxImages, 1, 10_000);
  int('maxPixels', r.maxPixels, 1, 2 ** 31);
  int('maxConcurrent', r.maxConcurrent, 1, 100_000);
  int('maxQueue', r.maxQueue, 0, 1_000_000);
  int('timeoutMs', r.timeoutMs, 1, MAX_TIMEOUT_MS);
  int('drainMs', r.drainMs, 0, MAX_TIMEOUT_MS);
  if (r.token !== undefined && r.token.length < 16) {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', 'the server token must be at least 16 characters (e.g. `openssl rand -hex 32`)');
  }
  return r;
}
