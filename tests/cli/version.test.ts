// `imlage --version`: what a bug report needs to tell installs apart.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

const header = readFileSync(join(root, 'native', 'include', 'imlage', 'smi.h'), 'utf8');
const smi = (name: string) => header.match(new RegExp(`#define ${name} (\\d+)`))![1];
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

describe('imlage --version', () => {
  it('names the package, platform, addon build, ONNX Runtime library and SMI ABI', async () => {
    const r = await runCli(['--version']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`imlage ${pkg.version}`);
    expect(lines).toContain(`smi abi: ${smi('SMI_VERSION_MAJOR')}.${smi('SMI_VERSION_MINOR')}`);
    const platform = lines.find((l) => l.startsWith('platform: '));
    expect(platform).toContain(`${process.platform}-${process.arch}`);
    expect(platform).toContain(`node ${process.versions.node}`);
    // A checkout builds the addon itself (build/), with the compiler named.
    const addon = lines.find((l) => l.startsWith('addon: '));
    expect(addon).toMatch(/^addon: (source|IMLAGE_ADDON_PATH), (gcc|clang|msvc) \d+[.\d]*.*, N-API 8 \(.+\.node\)$/);
    const ort = lines.find((l) => l.startsWith('onnx runtime: '));
    expect(ort).toMatch(/^onnx runtime: 1\.\d+\.\d+, API \d+ \(.+libonnxruntime[^)]*\)$/);
    // The repository's builds link libjpeg-turbo (CI installs libjpeg62-turbo-dev).
    expect(lines.find((l) => l.startsWith('native decoders: '))).toMatch(/^native decoders: jpeg yes \(libjpeg-turbo \d+\.\d+\.\d+\), png (yes|no); others through libvips$/);
  });

  it('still answers when ONNX Runtime cannot be loaded, and says why', async () => {
    const r = await runCli(['-V'], { IMLAGE_ORT_LIBRARY: '/nonexistent/libonnxruntime.so' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^onnx runtime: not available \(.*\/nonexistent\/libonnxruntime\.so.*\)$/m);
    expect(r.stdout).toMatch(/^smi abi: \d+\.\d+$/m);
  });
});
