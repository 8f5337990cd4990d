// Plugins that crash, hang or abort are never loaded into the test process.
// They must build, export only smi_plugin_init, and the crashing one, run in
// a child process, must kill only that child.
import { execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/binding/binding.js';
import { COLORS_LIB, TEST_PLUGINS, addon, solid, testPlugin } from './helpers.js';

const VARIANTS = [
  'noop', 'no_init', 'init_null', 'null_iface', 'small_struct', 'major2', 'minor7', 'missing_required',
  'init_fails', 'bad_score', 'bad_utf8', 'null_label', 'nan_score', 'too_many_tags', 'crash_third', 'hang',
  'abort', 'serial', 'concurrent', 'full', 'ort_cls', 'printf_out', 'calls_exit', 'wait_abort', 'bad_id', 'long_id',
  'minor0', 'set_error', 'regions', 'bad_regions', 'regions_short',
];

function exported(lib: string): string[] {
  const out = execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3)
    .map((f) => f[2]);
}

describe('plugin libraries', () => {
  it.each(VARIANTS)('test plugin %s is built', (v) => {
    expect(existsSync(testPlugin(v)), `${testPlugin(v)} (run npx cmake-js compile)`).toBe(true);
  });

  it.runIf(process.platform === 'linux')('the colors plugin and the test plugins export only smi_plugin_init', () => {
    expect(exported(COLORS_LIB)).toEqual(['smi_plugin_init']);
    for (const v of VARIANTS.filter((x) => x !== 'no_init')) expect(exported(testPlugin(v)), v).toEqual(['smi_plugin_init']);
    expect(exported(testPlugin('no_init'))).toEqual([]);
  });
});

describe('process isolation', () => {
  it('a plugin that segfaults on its third image kills only the child process', async () => {
    // vite-node runs the TypeScript child (binding.ts) the way vitest runs tests.
    const viteNode = path.join(packageRoot, 'node_modules/vite-node/vite-node.mjs');
    const child = fork(viteNode, [path.join(packageRoot, 'tests/abi/crash-child.ts'), testPlugin('crash_third')], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, IMLAGE_TEST_PLUGINS: TEST_PLUGINS },
    });
    const messages: string[] = [];
    child.on('message', (m) => messages.push(String(m)));
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (c, s) => resolve({ code: c, signal: s })),
    );
    expect(messages).toEqual(['loaded', 'ran 1', 'ran 2']);
    // Under ASan (scripts/test-asan.sh) the sanitizer may report the SEGV and abort instead.
    expect(process.env.IMLAGE_SANITIZED ? ['SIGSEGV', 'SIGABRT'] : ['SIGSEGV'], `exit code ${code}, signal ${signal}`).toContain(signal);
    // This process and its addon still work: a plugin loads and tags here.
    const noop = await addon().loadPlugin(testPlugin('noop'), { configJson: '{}' });
    const { results } = await noop.run('m', [solid(2, 2, [1, 2, 3])]);
    expect(results[0]!.error).toBeUndefined();
    await noop.close();
  });
});
