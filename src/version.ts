// What `imlage --version` prints: enough to tell from a bug report which
// binaries a user runs (prebuilt or built locally, and by which compiler),
// which ONNX Runtime library was found, and the plugin ABI the host speaks.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addonBuild, defaultOrtLibrary, loadAddon, type AddonBuild } from './binding/binding.js';
import type { DecoderInfo, OrtInfo, SmiVersion } from './binding/types.js';
import { packageRoot } from './paths.js';

export interface VersionReport {
  version: string;
  /** "linux-x64 glibc 2.41, node 20.20.2 (N-API 10)" */
  platform: string;
  addon: AddonBuild | { error: string };
  ort: OrtInfo | { error: string };
  smi: SmiVersion | { error: string };
  /** The addon's own decoders compiled into this binary (fast mode's native path). */
  decoders: DecoderInfo | { error: string };
}

const errorOf = (e: unknown) => ({ error: e instanceof Error ? e.message.split('\n')[0]! : String(e) });

function attempt<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    return errorOf(e);
  }
}

function platform(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  const libc = process.platform === 'linux' ? (glibc ? ` glibc ${glibc}` : ' musl') : '';
  return `${process.platform}-${process.arch}${libc}, node ${process.versions.node} (N-API ${process.versions.napi})`;
}

export function versionReport(): VersionReport {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return {
    version,
    platform: platform(),
    addon: attempt(addonBuild),
    ort: attempt(() => loadAddon().loadOrt(defaultOrtLibrary())),
    smi: attempt(() => loadAddon().smiVersion()),
    decoders: attempt(() => loadAddon().decoderInfo()),
  };
}

export function formatVersionReport(r: VersionReport): string {
  const line = <T extends object>(name: string, v: T | { error: string }, ok: (v: T) => string) =>
    `${name}: ${'error' in v ? `not available (${v.error})` : ok(v as T)}`;
  return [
    `imlage ${r.version}`,
    `platform: ${r.platform}`,
    line('addon', r.addon, (a: AddonBuild) => `${a.origin}, ${a.compiler}, N-API ${a.napiVersion} (${a.file})`),
    line('onnx runtime', r.ort, (o: OrtInfo) => `${o.version}, API ${o.apiVersion} (${o.libraryPath})`),
    line('smi abi', r.smi, (s: SmiVersion) => `${s.major}.${s.minor}`),
    line('native decoders', r.decoders, (d: DecoderInfo) =>
      `jpeg ${d.jpeg ? `yes (libjpeg-turbo ${d.libjpegTurbo})` : 'no (built without libjpeg-turbo)'}, png ${d.png ? 'yes' : 'no'}; others through libvips`),
  ].join('\n');
}
