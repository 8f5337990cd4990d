import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './paths.js';

export const TEST_PLUGINS = process.env.IMLAGE_TEST_PLUGINS ?? join(root, 'build', 'test-plugins');

export function testPluginLib(variant: string): string {
  return join(TEST_PLUGINS, `libsmi_test_${variant}.so`);
}

/** A plugins folder holding one native plugin whose manifest points at `library`. */
export function nativePluginDir(name: string, library: string, extra = '', dir = mkdtempSync(join(tmpdir(), 'imlage-plugins-'))): string {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'plugin.toml'), `name = "${name}"
version = "1.0.0"
kind = "native"
description = "test plugin ${name}"
${extra}

[library]
${process.platform}-${process.arch} = "${library}"

[input]
width = 32
height = 32

[[models]]
id = "m"
`);
  return dir;
}
