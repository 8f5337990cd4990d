// The server's public surface (re-exported by src/index.ts).

export { createServer, type ImlageServer } from './server.js';
export type { ServerOptions } from './options.js';
