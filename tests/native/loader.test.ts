import { describe, expect, it } from 'vitest';

import { defaultOrtLibrary, loadAddon } from '../../src/binding/binding.js';

describe('native addon: loadOrt', () => {
  it('reports IMLAGE_ERR_ORT_LOAD naming the path for a missing library', () => {
    const addon = loadAddon();
    const bad = '/nonexistent/dir/libonnxruntime.so.1';
    let error: (Error & { code?: string }) | undefined;
    try {
      addon.loadOrt(bad);
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error).toBeInstanceOf(Error);
    expect(error?.code).toBe('IMLAGE_ERR_ORT_LOAD');
    expect(error?.message).toContain(bad);
  });

  it('loads the ORT shipped with onnxruntime-node and reports its info', () => {
    const addon = loadAddon();
    const info = addon.loadOrt(defaultOrtLibrary());
    expect(info.version).toMatch(/^1\.30\./);
    expect(info.apiVersion).toBe(29);
    expect(info.libraryPath).toContain('libonnxruntime');
    expect(info.providers).toContain('cpu');
  });

  it('returns the same info for the same path, and refuses a second ORT', () => {
    const addon = loadAddon();
    const a = addon.loadOrt(defaultOrtLibrary());
    const b = addon.loadOrt(defaultOrtLibrary());
    expect(b).toEqual(a);
    expect(() => addon.loadOrt('/some/other/libonnxruntime.so.1')).toThrow(
      expect.objectContaining({ code: 'IMLAGE_ERR_ORT_CONFLICT' }),
    );
  });

  it('honours IMLAGE_ORT_LIBRARY in defaultOrtLibrary()', () => {
    const saved = process.env.IMLAGE_ORT_LIBRARY;
    process.env.IMLAGE_ORT_LIBRARY = '/opt/ort/libonnxruntime.so.1';
    try {
      expect(defaultOrtLibrary()).toBe('/opt/ort/libonnxruntime.so.1');
    } finally {
      if (saved === undefined) delete process.env.IMLAGE_ORT_LIBRARY;
      else process.env.IMLAGE_ORT_LIBRARY = saved;
    }
  });

  it('throws one IMLAGE_ERR_ADDON_LOAD error when the binary cannot be loaded', async () => {
    const saved = process.env.IMLAGE_ADDON_PATH;
    process.env.IMLAGE_ADDON_PATH = '/nonexistent/imlage.node';
    try {
      // A fresh module instance, so the cached addon is not reused.
      const fresh = (await import('../../src/binding/binding.js?fresh=1' as string)) as typeof import('../../src/binding/binding.js');
      let error: (Error & { code?: string }) | undefined;
      try {
        fresh.loadAddon();
      } catch (e) {
        error = e as Error & { code?: string };
      }
      expect(error?.code).toBe('IMLAGE_ERR_ADDON_LOAD');
      expect(error?.message).toContain('/nonexistent/imlage.node');
      expect(error?.message).toContain(`${process.platform}-${process.arch}`);
      expect(error?.message).toContain('npm rebuild imlage');
    } finally {
      if (saved === undefined) delete process.env.IMLAGE_ADDON_PATH;
      else process.env.IMLAGE_ADDON_PATH = saved;
    }
  });
});
