// Every exit status of `imlage tag`, through the real CLI: 0 all tagged,
// 1 some failed, 2 usage and configuration errors (commander's included),
// 130 interrupted (tty.test.ts), and a closed pipe ending quietly.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { photo, photos } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';
import { runShell } from './cli-helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imlage-exit-'));
  for (const f of ['baboon.jpg', 'messi5.jpg', 'fruits.jpg']) copyFileSync(photo(f), join(dir, f));
});

describe('exit status 2: usage errors, before any model loads', () => {
  it.each([
    [['tag', 'x.jpg', '--threshold', 'abc'], /--threshold <n>' argument 'abc' is invalid/],
    [['tag', 'x.jpg', '--limit', '-3'], /--limit <n>' argument '-3' is invalid/],
    [['tag', 'x.jpg', '--format', 'yaml'], /argument 'yaml' is invalid. Allowed choices are json, jsonl, csv, table/],
    [['tag', 'x.jpg', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['tag', 'x.jpg', '--provider', 'gpu'], /--provider <name>' argument 'gpu' is invalid. Allowed choices are cpu, cuda, tensorrt, coreml/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['tag'], /no images given/],
    [['config', 'get'], /missing required argument 'key'/],
  ])('%j', async (args, why) => {
    const r = await runCli(args[0] === 'frobnicate' ? args : [...args, '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).not.toMatch(/ONNX Runtime/);
  });

  it('an unknown plugin', async () => {
    const r = await runCli(['tag', dir, '--plugin', 'nope', '--config', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown plugin "nope"/);
  });

  it('a config file with two mistakes reports both, with lines and keys', async () => {
    const cfg = join(dir, 'bad.toml');
    writeFileSync(cfg, '# mine\n[engine]\nmode = "slow"\nbatch_size = 0\n');
    const r = await runCli(['tag', dir, '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${cfg}: key 'engine.mode': expected one of "exact", "fast", found "slow" (line 3)`);
    expect(r.stderr).toContain(`${cfg}: key 'engine.batch_size': must be >= 1, found 0 (line 4)`);
  });

  it('a path that does not exist is reported before any model loads', async () => {
    const r = await runCli(['tag', join(dir, 'nope.jpg'), '--config', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such file or folder: .*nope\.jpg/);
    expect(r.stderr).not.toMatch(/ONNX Runtime|cached ONNX model/);
  });

  it('an empty folder with -o leaves the earlier file as it was', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'imlage-empty-'));
    const out = join(dir, 'keep.json');
    writeFileSync(out, '["earlier"]\n');
    const r = await runCli(['tag', empty, '-o', out, '--config', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no images found/);
    expect(readFileSync(out, 'utf8')).toBe('["earlier"]\n');
  });
});

describe('exit status 0 and 1', () => {
  it('0 when every image is tagged', async () => {
    const r = await runCli(['tag', dir, '--plugin', 'nsfw', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(3);
  });

  it('1 when some fail, and the summary names them; a missing path among good ones is one of them', async () => {
    const mixed = mkdtempSync(join(tmpdir(), 'imlage-mixed-'));
    mkdirSync(join(mixed, 'x'));
    copyFileSync(photo('baboon.jpg'), join(mixed, 'baboon.jpg'));
    copyFileSync(join(photos, 'bad', 'corrupt.jpg'), join(mixed, 'corrupt.jpg'));
    const r = await runCli(['tag', mixed, join(mixed, 'gone.jpg'), '--plugin', 'nsfw', '-f', 'jsonl', '--config', '/dev/null']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/3 images: 1 tagged, 2 failed/);
    expect(r.stderr).toContain(`failed: ${join(mixed, 'corrupt.jpg')}`);
    expect(r.stderr).toContain(`failed: ${join(mixed, 'gone.jpg')}: no such file or folder`);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
  });
});

describe('errors from the addon', () => {
  it('name their catalogue code as the ones raised in TypeScript do', async () => {
    const lib = join(mkdtempSync(join(tmpdir(), 'imlage-noort-')), 'libonnxruntime.so');
    const r = await runCli(['tag', join(dir, 'baboon.jpg'), '--config', '/dev/null'], { IMLAGE_ORT_LIBRARY: lib });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`imlage: error [IMLAGE_ERR_ORT_LOAD]: cannot load ONNX Runtime library ${lib}`);
  });
});

describe('a closed pipe', () => {
  it('`tag | head -1` ends quietly with status 0', async () => {
    const r = await runShell(`$IMLAGE tag ${dir} ${dir} ${dir} -f jsonl --plugin nsfw --batch-size 1 --config /dev/null | head -1; echo "status \${PIPESTATUS[0]}" >&2`);
    expect(JSON.parse(r.stdout).file).toMatch(/baboon\.jpg$/);
    expect(r.stderr).toMatch(/status 0/);
    // The banner names ONNX Runtime's path, which may hold any word: only the other lines count.
    const said = r.stderr.split('\n').filter((l) => !l.startsWith('imlage: ONNX Runtime ')).join('\n');
    expect(said).not.toMatch(/EPIPE|error/i);
  });
});
