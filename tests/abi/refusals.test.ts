// Every way a plugin library can be refused: a specific code, a message that
// names the library and the reason, and a host that keeps working.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { addon, rejection, solid, testPlugin } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'imlage-abi-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function refused(lib: string) {
  return rejection(addon().loadPlugin(lib, { configJson: '{}' }));
}

describe('SMI loader refusals', () => {
  it('reports the host SMI version', () => {
    expect(addon().smiVersion()).toEqual({ major: 1, minor: 2 });
  });

  it('missing file: IMLAGE_ERR_PLUGIN_NOT_FOUND', async () => {
    const lib = path.join(tmp, 'nope', 'libmissing.so');
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_NOT_FOUND');
    expect(e.message).toContain(lib);
    expect(e.message).toMatch(/does not exist/);
  });

  it('a text file named .so: IMLAGE_ERR_PLUGIN_LOAD with the dlerror text', async () => {
    const lib = path.join(tmp, 'libtext.so');
    writeFileSync(lib, 'this is not a shared library\n'.repeat(20));
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_LOAD');
    expect(e.message).toContain(lib);
    expect(e.message).toMatch(/not a loadable shared library/);
    expect(e.message).toMatch(/invalid ELF header|file too short/);
  });

  it('an ELF library for another machine: says which one', async () => {
    const lib = path.join(tmp, 'libforeign.so');
    const bytes = readFileSync(testPlugin('noop'));
    const host = bytes.readUInt16LE(18);
    bytes.writeUInt16LE(host === 183 ? 62 : 183, 18); // e_machine: aarch64 (or x86_64 on arm hosts)
    writeFileSync(lib, bytes);
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_LOAD');
    expect(e.message).toContain(lib);
    if (host === 62) expect(e.message).toContain('built for aarch64, this host is x86_64');
    else expect(e.message).toMatch(/built for x86_64, this host is/);
  });

  it('a directory: IMLAGE_ERR_PLUGIN_LOAD', async () => {
    const e = await refused(tmp);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_LOAD');
    expect(e.message).toContain(tmp);
  });

  it('no smi_plugin_init: IMLAGE_ERR_PLUGIN_NO_INIT', async () => {
    const lib = testPlugin('no_init');
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_NO_INIT');
    expect(e.message).toContain(lib);
    expect(e.message).toContain('smi_plugin_init');
  });

  it.each([
    ['init_null', /smi_plugin_init\(\) returned NULL/],
    ['null_iface', /interface table \(iface\) is NULL/],
    ['small_struct', /struct_size is 24 bytes, SMI 1\.0 requires at least 40/],
    ['missing_required', /required entry point release_results is NULL/],
  ])('%s: IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR', async (variant, reason) => {
    const lib = testPlugin(variant);
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR');
    expect(e.message).toContain(lib);
    expect(e.message).toMatch(reason);
  });

  it('major version 2: IMLAGE_ERR_PLUGIN_VERSION naming both versions', async () => {
    const lib = testPlugin('major2');
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_VERSION');
    expect(e.message).toContain(lib);
    expect(e.message).toContain('built for SMI 2.0, this host implements SMI 1.2');
  });

  it('initialize fails: IMLAGE_ERR_PLUGIN_INIT with the plugin message', async () => {
    const lib = testPlugin('init_fails');
    const e = await refused(lib);
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_INIT');
    expect(e.message).toContain(lib);
    expect(e.message).toContain('SMI_ERROR_NOT_FOUND');
    expect(e.message).toContain('cannot open weights file /nonexistent/weights.bin');
  });

  it('bad arguments are TypeErrors', async () => {
    const a = addon() as unknown as { loadPlugin(...args: unknown[]): Promise<unknown> };
    const e = await rejection(a.loadPlugin(42));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('IMLAGE_ERR_INVALID_ARG');
    const e2 = await rejection(a.loadPlugin(testPlugin('noop'), { configJson: 5 }));
    expect(e2.code).toBe('IMLAGE_ERR_INVALID_ARG');
  });

  it('the host still works after every refusal, and a copy of a good plugin loads', async () => {
    const copy = path.join(tmp, 'libcopy.so');
    copyFileSync(testPlugin('noop'), copy);
    const plugin = await addon().loadPlugin(copy, { configJson: '{}' });
    const res = await plugin.run('m', [solid(4, 4, [1, 2, 3])]);
    expect(res.results[0]).toEqual({ tags: [{ label: 'noop', score: 1 }] });
    await plugin.close();
  });
});
