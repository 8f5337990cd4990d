// `imlage serve`: an Engine behind the HTTP server until SIGTERM/SIGINT,
// then stop accepting, drain, close the engine and exit 0. Flags win over
// IMLAGE_TOKEN, which wins over config.toml's [serve].

import { Option, type Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { Engine } from '../engine/engine.js';
import type { ExecutionProvider } from '../binding/types.js';
import type { PreprocessMode } from '../plugins/manifest.js';
import { createServer } from '../server/index.js';
import { collect, collectChoice, number, PROVIDER_CHOICES } from './options.js';

export interface ServeCommandOptions {
  host?: string;
  port?: number;
  plugin?: string[];
  token?: string;
  root?: string;
  mode?: PreprocessMode;
  provider?: ExecutionProvider[];
  maxQueue?: number;
  timeout?: number;
  config?: string;
}

export async function serveCommand(opts: ServeCommandOptions): Promise<void> {
  const config = loadConfig(opts.config);
  const s = config.serve ?? {};
  // Engine messages come before the server's logger exists: keep them until it does.
  const early: string[] = [];
  let log: (m: string) => void = (m) => {
    early.push(m);
  };
  const engine = await Engine.create({ plugins: opts.plugin, mode: opts.mode, providers: opts.provider, config: opts.config, onLog: (m) => log(m) });
  let server;
  try {
    server = await createServer(engine, {
      ...s,
      host: opts.host ?? s.host,
      port: opts.port ?? s.port,
      token: opts.token ?? (process.env.IMLAGE_TOKEN || s.token),
      root: opts.root ?? s.root,
      maxQueue: opts.maxQueue ?? s.maxQueue,
      timeoutMs: opts.timeout ?? s.timeoutMs,
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const app = server.app;
  log = (m) => (m.startsWith('warning: ') ? app.log.warn(m.slice(9)) : app.log.info(m));
  for (const m of early) log(m);
  if (server.options.host !== '127.0.0.1' && server.options.host !== 'localhost' && server.options.host !== '::1' && !server.options.token) {
    app.log.warn(`listening on ${server.options.host} without a token: anyone who can reach this port can tag images (set --token or IMLAGE_TOKEN)`);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    app.log.info(`${signal}: no new requests; draining for up to ${server.options.drainMs} ms`);
    void (async () => {
      await server.close();
      await engine.close();
      app.log.info('stopped');
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await server.listen();
  } catch (err) {
    // e.g. the port is taken: free the models before the error is reported.
    await server.close();
    await engine.close();
    throw err;
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('an HTTP server tagging images (POST /v1/tag), with health, metrics and OpenAPI routes; see docs/server.md')
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--port <n>', 'TCP port (default 8080; 0: any free port)', number(0, 65535, true))
    .option('-p, --plugin <name>', 'run this plugin (repeatable; default: every enabled plugin)', collect)
    .option('--token <token>', 'bearer token required on everything but health routes (default $IMLAGE_TOKEN)')
    .option('--root <dir>', 'folder whose files JSON requests may name (nothing outside it is opened)')
    .addOption(new Option('--mode <mode>', "exact: each model's original preprocessing; fast: decode straight to model size").choices(['exact', 'fast']))
    .addOption(new Option('--provider <name>', 'execution provider to try, in order (repeatable; CPU is the fallback)').choices(PROVIDER_CHOICES).argParser(collectChoice(PROVIDER_CHOICES)))
    .option('--max-queue <n>', 'images waiting for the engine before requests get 429 (default 256)', number(0, 1_000_000, true))
    .option('--timeout <ms>', 'per-request deadline (default 30000): 504 beyond', number(1, 600_000, true))
    .option('--config <file>', 'read this config.toml instead of ~/.config/imlage/config.toml')
    .action(async (opts: ServeCommandOptions) => {
      await serveCommand(opts);
    });
}
