// binding.gyp (node-gyp, prebuildify) and CMakeLists.txt (cmake-js) must build
// the same addon: a source added to one and not the other breaks one path.
// And a consumer's source build runs from the npm package: every file the
// build files use must be in package.json "files", and the test targets,
// whose sources are not shipped, must stay behind IMLAGE_BUILD_TESTS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';

const read = (f: string) => readFileSync(join(root, f), 'utf8');
const sources = (text: string) => [...new Set(text.match(/native\/src\/[\w/]+\.cc/g) ?? [])].sort();
/** Repository paths a build file names (sources, scripts, includes, the exports map). */
const paths = (text: string) => [...new Set(text.match(/\b(?:native|plugins|scripts|tests)\/[\w./~-]+\.\w+/g) ?? [])].sort();

/** Whether package.json "files" ships a path (entries are folders ending in / or exact files; ! excludes). */
function shipped(files: string[], path: string): boolean {
  const hit = (entry: string) => (entry.endsWith('/') ? path.startsWith(entry) : path === entry);
  return files.some((f) => !f.startsWith('!') && hit(f)) && !files.some((f) => f.startsWith('!') && hit(f.slice(1)));
}

/** The text of a CMake file with its if(IMLAGE_BUILD_TESTS) ... endif() blocks removed. */
function withoutTestBlocks(cmake: string): string {
  let out = '';
  let depth = 0;
  let skipping = 0;
  for (const line of cmake.split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (/^if\s*\(/.test(t)) {
      depth += 1;
      if (!skipping && /^if\s*\(\s*IMLAGE_BUILD_TESTS\s*\)/.test(t)) skipping = depth;
    }
    if (!skipping) out += `${t}\n`;
    if (/^endif\s*\(/.test(t)) {
      if (skipping === depth) skipping = 0;
      depth -= 1;
    }
  }
  return out;
}

describe('native build files', () => {
  const cmake = read('CMakeLists.txt');
  const plugins = read('native/smi_plugins.cmake');
  const gyp = read('binding.gyp');
  const files = (JSON.parse(read('package.json')) as { files: string[] }).files;

  it('binding.gyp and CMakeLists.txt list the same addon sources', () => {
    // Every native/src source outside the test targets, optional blocks (the PNG decoder) included.
    const addon = sources(withoutTestBlocks(cmake));
    expect(sources(gyp)).toEqual(addon);
    expect(addon.length).toBeGreaterThan(10);
  });

  it('both build the PNG decoder only where libdeflate is found, and then define IMLAGE_DECODE_PNG', () => {
    const png = ['native/src/decode/png.cc', 'native/src/decode/png_chunks.cc', 'native/src/decode/png_pixels.cc', 'native/src/decode/png_unfilter.cc'];
    const cmakeBlock = cmake.slice(cmake.indexOf('if(IMLAGE_BUILD_ADDON AND IMLAGE_LIBDEFLATE_LIB)'), cmake.indexOf('# ---- end PNG decoder'));
    expect(sources(cmakeBlock).filter((s) => s.includes('/decode/png'))).toEqual(png);
    expect(cmakeBlock).toMatch(/target_compile_definitions\(\$\{PROJECT_NAME\} PRIVATE IMLAGE_DECODE_PNG\)/);
    const gypBlock = gyp.slice(gyp.indexOf(`["imlage_libdeflate_lib!=''"`), gyp.indexOf('# ---- end PNG decoder'));
    expect(sources(gypBlock)).toEqual(png);
    expect(gypBlock).toContain('"defines": ["IMLAGE_DECODE_PNG"]');
    // Outside those blocks neither file names a PNG source.
    expect(sources(cmake.replace(cmakeBlock, '')).filter((s) => png.includes(s))).toEqual([]);
    expect(sources(gyp.replace(gypBlock, '')).filter((s) => png.includes(s))).toEqual([]);
  });

  it('the npm package ships every file a non-test build uses', () => {
    const used = [...paths(withoutTestBlocks(cmake)), ...paths(withoutTestBlocks(plugins)), ...paths(gyp)];
    expect(used).toContain('scripts/ort-include.cjs');
    expect(used).toContain('plugins/colors/src/colors.c');
    expect(used).toContain('plugins/text/src/plugin.cc');
    expect(used.filter((p) => !shipped(files, p))).toEqual([]);
    expect(shipped(files, 'native/smi_plugins.cmake') && shipped(files, 'CMakeLists.txt') && shipped(files, 'binding.gyp')).toBe(true);
  });

  it('the test targets, which the package does not ship, are built only with IMLAGE_BUILD_TESTS', () => {
    const testPaths = [...paths(cmake), ...paths(plugins)].filter((p) => p.startsWith('tests/'));
    expect(testPaths.length).toBeGreaterThan(3);
    expect(testPaths.filter((p) => shipped(files, p))).toEqual([]);
    expect([...paths(withoutTestBlocks(cmake)), ...paths(withoutTestBlocks(plugins))].filter((p) => p.startsWith('tests/'))).toEqual([]);
    expect(plugins).toMatch(/if\(IMLAGE_BUILD_TESTS\)/);
    expect(cmake).toMatch(/option\(IMLAGE_BUILD_TESTS "[^"]*" OFF\)/);
  });
});
