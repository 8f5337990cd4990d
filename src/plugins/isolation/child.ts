// The child side of an isolated plugin: loads the addon and one plugin, and
// serves the engine's calls. If the plugin crashes or hangs, only this
// process dies; the engine fails the calls in flight and starts a new one.

import { loadAddon } from '../../binding/binding.js';
import type { NativeAddon, NativeAddonPlugins, NativePlugin } from '../../binding/types.js';
import type { Flush, Reply, Request } from './protocol.js';

let plugin: NativePlugin | undefined;

function send(r: Reply): void {
  process.send!(r);
}

async function handle(req: Request): Promise<unknown> {
  if (req.op === 'load') {
    const addon = loadAddon() as NativeAddon & NativeAddonPlugins;
    addon.loadOrt(req.ortLibrary);
    const loaded = await addon.loadPlugin(req.library, {
      configJson: req.configJson,
      session: req.session,
      onLog: (level, message) => send({ log: level, message }),
    });
    plugin = loaded;
    return loaded.info;
  }
  if (!plugin) throw new Error('plugin not loaded');
  switch (req.op) {
    case 'registerModel':
      return plugin.registerModel(req.spec);
    case 'unregisterModel':
      return plugin.unregisterModel(req.modelId);
    case 'loadModel':
      return plugin.loadModel(req.modelId);
    case 'unloadModel':
      return plugin.unloadModel(req.modelId);
    case 'modelInfo':
      return plugin.modelInfo(req.modelId);
    case 'run':
      return plugin.run(req.modelId, req.images);
    case 'submit':
      // The message's buffers are this process's own until the reply: borrowed, not copied.
      return plugin.submit(req.image, { ...req.batch, models: req.models, borrowPixels: true });
    case 'close':
      await plugin.close();
      plugin = undefined;
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on('message', (req: Request | Flush) => {
  if (req.op === 'flush') {
    plugin?.flush();
    return;
  }
  handle(req).then(
    (value) => send({ id: req.id, ok: true, value }),
    (err: Error & { code?: string }) => send({ id: req.id, ok: false, error: { message: err.message, code: err.code } }),
  );
});
// The engine went away: nothing left to serve.
process.on('disconnect', () => process.exit(0));
