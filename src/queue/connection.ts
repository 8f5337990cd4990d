// Redis connections for queues, workers and event listeners. The first
// contact fails fast with a message naming the URL and the fix; after that,
// connections retry for ever, so a worker pauses while Redis is away and
// resumes when it returns.

import { Redis } from 'ioredis';
import { ImlageError, errorMessage } from '../errors.js';

function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function parseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `--redis "${url}" is not a URL; expected e.g. redis://127.0.0.1:6379`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ImlageError('IMLAGE_ERR_INVALID_ARG', `--redis "${redactedUrl(url)}" must start with redis:// or rediss://`);
  }
}

/**
 * A connection BullMQ can share: commands wait through reconnects
 * (maxRetriesPerRequest null, as BullMQ requires for workers), backing off
 * up to 2 s between attempts.
 */
export function redisConnection(url: string): Redis {
  parseUrl(url);
  const r = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  // Errors while reconnecting are expected; the owner reports them (or not).
  r.on('error', () => {});
  return r;
}

/** Checks that Redis answers at `url`, within `timeoutMs`; the error says how to fix it. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  parseUrl(url);
  const r = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // connect() rejects with "Connection is closed"; the socket's own error says why.
  let cause: unknown;
  r.on('error', (err) => (cause ??= err));
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new ImlageError('IMLAGE_ERR_INPUT', `cannot reach Redis at ${redactedUrl(url)}: ${errorMessage(cause ?? err)}; ` +
      'start it (e.g. `redis-server`, or `apt-get install redis-server`) or pass --redis redis://HOST:PORT of a running one');
  } finally {
    r.disconnect();
  }
}
