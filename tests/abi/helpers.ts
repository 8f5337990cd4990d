import path from 'node:path';

import { loadAddon, packageRoot, type Addon } from '../../src/binding/binding.js';
import type { ImageInput } from '../../src/binding/types.js';

/** Where cmake-js put the test plugins (scripts/test-asan.sh points this at build-asan/). */
export const TEST_PLUGINS = process.env.IMLAGE_TEST_PLUGINS ?? path.join(packageRoot, 'build', 'test-plugins');
/** Root of the shipped plugins' libraries (a sanitizer build keeps its own copies). */
export const PLUGINS_ROOT = process.env.IMLAGE_PLUGINS_ROOT ?? path.join(packageRoot, 'plugins');
export const PLATFORM = `${process.platform}-${process.arch}`;
export const COLORS_LIB = path.join(PLUGINS_ROOT, 'colors', 'lib', PLATFORM, 'libimlage_colors.so');

export function testPlugin(variant: string): string {
  return path.join(TEST_PLUGINS, `libsmi_test_${variant}.so`);
}

export function addon(): Addon {
  return loadAddon();
}

/** A w×h RGB image filled with one colour. */
export function solid(w: number, h: number, rgb: [number, number, number]): ImageInput {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; ++i) data.set(rgb, i * 3);
  return { data, width: w, height: h, channels: 3 };
}

export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
