// binding.gyp (node-gyp, prebuildify) and CMakeLists.txt (cmake-js) must build
// the same addon: a source added to one and not the other breaks one path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';

const sources = (text: string) => [...new Set(text.match(/native\/src\/[\w/]+\.cc/g) ?? [])].sort();

describe('native build files', () => {
  it('binding.gyp and CMakeLists.txt list the same addon sources', () => {
    const cmake = readFileSync(join(root, 'CMakeLists.txt'), 'utf8');
    const block = cmake.slice(cmake.indexOf('set(IMLAGE_SOURCES'), cmake.indexOf(')', cmake.indexOf('set(IMLAGE_SOURCES')));
    const gyp = readFileSync(join(root, 'binding.gyp'), 'utf8');
    expect(sources(gyp)).toEqual(sources(block));
    expect(sources(block).length).toBeGreaterThan(10);
  });
});
