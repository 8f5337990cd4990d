// GET /v1/plugins[/{name}] and POST /v1/plugins/{name}/load|unload|reload.
// The state-changing routes need the token: without one configured they are
// refused, since anyone who can reach the port could otherwise use them.

import type { FastifyInstance } from 'fastify';
import { ImlageError } from '../../errors.js';
import type { PluginEntry } from '../../plugins/manager.js';
import { isolatedRestarts } from '../readiness.js';
import { sendError } from '../reply.js';
import { pluginNameParams } from '../schemas.js';
import type { ServerContext } from '../server.js';

export function registerPlugins(app: FastifyInstance, ctx: ServerContext): void {
  const { manager } = ctx.engine;
  const serving = new Set(ctx.readiness.serving);

  const summary = (e: PluginEntry) => ({
    name: e.name,
    version: e.manifest.version,
    kind: e.manifest.kind,
    description: e.manifest.description,
    state: e.state,
    serving: serving.has(e.name),
    error: e.error,
    model: e.instance?.model,
    provider: e.instance?.provider,
  });
  const entry = (name: string) => {
    const e = manager.get(name);
    if (!e) throw manager.unknown(name);
    return e;
  };

  app.get('/v1/plugins', {
    schema: { summary: 'Installed plugins and their state', response: { 200: { type: 'object', properties: { plugins: { type: 'array', items: { $ref: 'PluginSummary#' } } } } } },
  }, async () => ({ plugins: manager.list().map(summary) }));

  app.get('/v1/plugins/:name', {
    schema: { summary: 'One plugin: manifest, state, model, provider actually used, settings', params: pluginNameParams, response: { 200: { $ref: 'PluginDetail#' }, 404: { $ref: 'Error#' } } },
  }, async (req) => {
    const e = entry((req.params as { name: string }).name);
    const m = e.manifest;
    return {
      ...summary(e),
      warnings: e.instance?.warnings,
      restarts: isolatedRestarts(e)?.restarts,
      manifest: { file: m.file, capabilities: m.capabilities, isolation: m.isolation, default_enabled: m.defaultEnabled, author: m.author, license: m.license },
      settings: m.settings.map((s) => ({ key: s.key, type: s.type, default: s.default, description: s.description })),
    };
  });

  const actions = {
    load: (name: string) => manager.load(name).then(() => {}),
    unload: (name: string) => manager.unload(name),
    reload: (name: string) => manager.reload(name).then(() => {}),
  };
  for (const [action, run] of Object.entries(actions)) {
    app.post(`/v1/plugins/:name/${action}`, {
      schema: {
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} a plugin (needs the token)`,
        description: action === 'reload'
          ? 'Rereads the manifest and swaps in a new instance; requests in flight finish on the old one, new ones wait for the new one: none is lost. If the new version fails to load, the old one stays.'
          : action === 'unload' ? "While a plugin the server runs is unloaded, /readyz answers 503 and each image's result for it carries the error \"plugin NAME is not loaded\"; a request asking only for unloaded plugins answers 503." : 'Loads a plugin; POST /v1/tag runs only the plugins the server was started with.',
        params: pluginNameParams,
        response: { 200: { $ref: 'PluginSummary#' }, '4xx': { $ref: 'Error#' }, '5xx': { $ref: 'Error#' } },
      },
    }, async (req, reply) => {
      if (!ctx.options.token) {
        return sendError(req, reply, 403, 'IMLAGE_ERR_FORBIDDEN', 'plugin management needs a token: start the server with --token or IMLAGE_TOKEN');
      }
      const { name } = req.params as { name: string };
      entry(name);
      try {
        await run(name);
      } catch (err) {
        // The plugin's own failure (its manifest, library or model), not the server's.
        if (err instanceof ImlageError) {
          return sendError(req, reply, 409, err.code, err.message);
        }
        throw err;
      }
      req.log.info({ plugin: name, action }, `plugin ${name}: ${action}`);
      return summary(entry(name));
    });
  }
}
