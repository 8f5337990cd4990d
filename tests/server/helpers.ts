import { readFileSync } from 'node:fs';
import { Engine, createServer, type EngineOptions, type ImlageServer, type ServerOptions } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface Running {
  engine: Engine;
  server: ImlageServer;
  url: string;
}

/** The real server on an ephemeral loopback port. */
export async function start(engineOpts: EngineOptions, serverOpts: ServerOptions = {}, engine?: Engine): Promise<Running> {
  engine ??= await Engine.create({ config: false, mode: 'fast', ...engineOpts });
  const server = await createServer(engine, { port: 0, logLevel: 'silent', ...serverOpts });
  const url = await server.listen();
  return { engine, server, url };
}

export const bytes = (name: string) => readFileSync(photo(name));

export function auth(token = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function postImage(url: string, name: string, query = '', headers: Record<string, string> = auth(), signal?: AbortSignal) {
  return fetch(`${url}/v1/tag${query}`, { method: 'POST', body: bytes(name), headers: { 'content-type': 'image/jpeg', ...headers }, signal });
}

export function multipart(names: string[]): FormData {
  const form = new FormData();
  for (const n of names) form.append('image', new Blob([bytes(n)], { type: 'image/jpeg' }), n);
  return form;
}

/** One sample of a metric from the Prometheus text format. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

export async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
