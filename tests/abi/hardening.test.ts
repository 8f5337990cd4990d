// Plugins that misbehave in ways the host must contain in-process: waiting
// for should_abort(), explaining failures through host->set_error (SMI 1.1),
// an older minor, hostile plugin ids, buffers detached mid-call, a plugin
// never closed when its environment ends, and host sessions that follow the
// engine's provider and thread settings.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { addonWithOrt, CLS_MODEL } from '../native/helpers.js';
import { addon, rejection, solid, testPlugin } from './helpers.js';

const GOOD = solid(3, 3, [10, 20, 30]);
const BAD = solid(3, 3, [255, 0, 0]);

describe('SMI 1.1 and version rules', () => {
  it('host->set_error explains a failure without get_last_error; the original size reaches the plugin', async () => {
    const plugin = await addon().loadPlugin(testPlugin('set_error'), { configJson: '{}' });
    expect(plugin.info.entryPoints).not.toContain('get_last_error');
    const { results } = await plugin.run('m', [{ ...GOOD, originalWidth: 640, originalHeight: 480 }, BAD, GOOD]);
    expect(results[0]).toEqual({ tags: [{ label: 'original 640x480', score: 0.5 }] });
    expect(results[1].error).toBe('inference failed with SMI_ERROR_INVALID_ARGUMENT: first pixel is 255 (reported through host->set_error)');
    expect(results[2]).toEqual({ tags: [{ label: 'original 0x0', score: 0.5 }] }); // not given: 0 = unknown
    await plugin.close();
  });

  it('a plugin built for an older minor (SMI 1.0) loads and runs unchanged', async () => {
    const plugin = await addon().loadPlugin(testPlugin('minor0'), { configJson: '{}' });
    expect(plugin.info.smi).toEqual({ major: 1, minor: 0 });
    expect((await plugin.run('m', [GOOD])).results).toEqual([{ tags: [{ label: 'ok', score: 0.5 }] }]);
    await plugin.close();
  });

  it.each([
    ['bad_id', /plugin_id is not valid UTF-8/],
    ['long_id', /plugin_id is longer than 64 bytes/],
  ])('%s is refused with IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR', async (variant, why) => {
    const e = await rejection(addon().loadPlugin(testPlugin(variant), { configJson: '{}' }));
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR');
    expect(e.message).toMatch(why);
    expect(e.message).toContain(testPlugin(variant));
  });
});

describe('SMI calls in flight', () => {
  it('close() makes should_abort() answer at once, so a call waiting on it ends', async () => {
    const plugin = await addon().loadPlugin(testPlugin('wait_abort'), { configJson: '{}' });
    const run = plugin.run('m', [GOOD]);
    const closed = plugin.close();
    // Without the abort the plugin waits forever and this test times out.
    const { results } = await run;
    expect(results[0].error).toBe('inference failed with SMI_ERROR_ABORTED: stopped: the host asked to abort');
    await closed;
  });

  it('a buffer transferred while the plugin runs does not fail the call: the pixels were copied', async () => {
    const plugin = await addon().loadPlugin(testPlugin('serial'), { configJson: '{}' });
    const slow = solid(2, 2, [1, 2, 3]); // width 2: the serial plugin takes 300 ms
    const run = plugin.run('m', [slow]);
    structuredClone(slow.data.buffer, { transfer: [slow.data.buffer] });
    expect(slow.data.byteLength).toBe(0); // detached
    const { results } = await run;
    expect(results[0].error).toBeUndefined();
    expect(results[0].tags[0].label).toBe('max_concurrency');
    // Already detached when the call starts: that image fails alone, with the reason.
    const again = await plugin.run('m', [slow, GOOD]);
    expect(again.results[0].error).toMatch(/detached/);
    expect(again.results[1].error).toBeUndefined();
    await plugin.close();
  });
});

describe('SMI lifecycle', () => {
  it("a worker thread that exits without close() runs the plugin's cleanup: the library can be loaded again", async () => {
    const { createRequire } = await import('node:module');
    const { packageRoot } = await import('../../src/binding/binding.js');
    const require = createRequire(import.meta.url);
    const addonFile = process.env.IMLAGE_ADDON_PATH ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
    const lib = testPlugin('serial');
    const code = `
      const { parentPort, workerData: w } = require('node:worker_threads');
      const addon = require(w.addonFile);
      addon.loadPlugin(w.lib, { configJson: '{}', onLog: () => {} }).then((p) => {
        globalThis.keep = p; // never closed
        parentPort.postMessage(p.info.id);
        setTimeout(() => process.exit(0), 20);
      }, (e) => { parentPort.postMessage(String(e)); process.exit(1); });
    `;
    const worker = new Worker(code, { eval: true, workerData: { addonFile, lib } });
    const messages: unknown[] = [];
    worker.on('message', (m) => messages.push(m));
    const exitCode = await new Promise<number>((resolve, reject) => {
      worker.on('exit', resolve);
      worker.on('error', reject);
    });
    expect(messages).toEqual(['test']);
    expect(exitCode).toBe(0);
    // One instance per process: had the worker's instance leaked, this would be refused.
    const plugin = await addon().loadPlugin(lib, { configJson: '{}' });
    expect(plugin.info.id).toBe('test');
    await plugin.close();
  });
});

describe('SMI lifecycle: garbage collection', () => {
  it('a plugin collected without close() still runs cleanup() (its log arrives) and the process exits normally', async () => {
    const { spawn } = await import('node:child_process');
    const { createRequire } = await import('node:module');
    const { packageRoot } = await import('../../src/binding/binding.js');
    const require = createRequire(import.meta.url);
    const addonFile = process.env.IMLAGE_ADDON_PATH ?? (require('node-gyp-build') as { resolve(dir: string): string }).resolve(packageRoot);
    const code = `
      const [addonFile, lib] = process.argv.slice(1);
      const addon = require(addonFile);
      const logs = [];
      addon.loadPlugin(lib, { configJson: '{}', onLog: (l, m) => { logs.push(m); if (m === 'cleanup') console.log(logs.join('|')); } })
        .then(() => {
          // Dropped at once: only the collector can end it.
          let rounds = 0;
          const collect = () => { globalThis.gc(); if (!logs.includes('cleanup') && ++rounds < 200) setImmediate(collect); };
          collect();
        });
    `;
    const child = spawn(process.execPath, ['--expose-gc', '-e', code, addonFile, testPlugin('serial')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (c, sig) => resolve({ code: c, signal: sig })));
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(stdout.trim()).toBe('initialize: config received|cleanup');
  });
});

describe('SMI host sessions', () => {
  it("follow the loader's providers and thread count", async () => {
    addonWithOrt();
    const logs: string[] = [];
    const plugin = await addon().loadPlugin(testPlugin('ort_cls'), {
      configJson: '{}',
      session: { providers: ['cpu'], intraOpThreads: 1 },
      onLog: (_level, message) => logs.push(message),
    });
    await plugin.registerModel({ id: 'cls', files: [CLS_MODEL] });
    await plugin.loadModel('cls');
    await plugin.close(); // log messages are delivered before close() settles
    expect(logs).toContain(`host session ${CLS_MODEL}: provider cpu, 1 intra-op threads`);
  });
});
