// Child process for crash.test.ts: loads an SMI plugin through binding.ts
// and runs it on a few images. The crashing plugin takes the process down.
import { loadAddon } from '../../src/binding/binding.js';

const lib = process.argv[2];
const plugin = await loadAddon().loadPlugin(lib, { configJson: '{}' });
process.send?.('loaded');
const image = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };
for (let i = 0; i < 5; ++i) {
  await plugin.run('m', [image]);
  process.send?.(`ran ${i + 1}`);
}
await plugin.close();
process.send?.('survived');
