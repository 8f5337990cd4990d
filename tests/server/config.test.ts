// config.toml's [serve] section: every key, and errors that name the file and key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/index.js';
import { root } from '../helpers/paths.js';

describe('[serve] in config.toml', () => {
  it('reads every key into createServer options', () => {
    const c = parseConfig('/tmp/c.toml', `[serve]
host = "0.0.0.0"
port = 9000
token = "0123456789abcdef0123"
root = "/srv/photos"
max_body_mib = 8
max_images = 10
max_pixels = 1000000
max_concurrent = 16
max_queue = 32
timeout_ms = 5000
drain_ms = 2000
log_level = "warn"
`);
    expect(c.serve).toEqual({
      host: '0.0.0.0', port: 9000, token: '0123456789abcdef0123', root: '/srv/photos', maxBodyBytes: 8 * 1024 * 1024, maxImages: 10,
      maxPixels: 1_000_000, maxConcurrent: 16, maxQueue: 32, timeoutMs: 5000, drainMs: 2000, logLevel: 'warn',
    });
  });

  it('refuses unknown keys and bad values, naming the file and the key', () => {
    expect(() => parseConfig('/tmp/c.toml', '[serve]\nprot = 1\n')).toThrow(/\/tmp\/c\.toml.*prot/);
    expect(() => parseConfig('/tmp/c.toml', '[serve]\nport = 70000\n')).toThrow(/\/tmp\/c\.toml.*port/);
    expect(() => parseConfig('/tmp/c.toml', '[serve]\nlog_level = "loud"\n')).toThrow(/log_level/);
  });
});

describe('docs/configuration.md', () => {
  // The keys its tables list per section, against the keys the parser allows there (its "unknown key" message lists them).
  const doc = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  const documented = (section: string) => {
    const body = doc.split(`## \`[${section}]\``)[1]!.split('\n## ')[0]!;
    return [...body.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]).sort();
  };
  const allowed = (section: string) => {
    try {
      parseConfig('/tmp/c.toml', `[${section}]\nnot_a_key = 1\n`);
    } catch (err) {
      return /allowed here: ([^)]*)\)/.exec((err as Error).message)![1]!.split(', ').sort();
    }
    throw new Error(`[${section}] took an unknown key`);
  };

  it.each(['engine', 'decode', 'serve'])('lists exactly the keys of [%s] that config.toml takes', (section) => {
    expect(documented(section)).toEqual(allowed(section));
  });

  it('lists [plugins] and [plugins.NAME] keys the parser reads', () => {
    expect(documented('plugins')).toEqual(['enabled', 'paths']);
    expect(documented('plugins.NAME')).toEqual(['enabled', 'threshold', 'timeout_ms', 'top_k']);
    const c = parseConfig('/tmp/c.toml', '[plugins]\nenabled = ["nsfw"]\npaths = ["/p"]\n[plugins.nsfw]\nenabled = true\nthreshold = 0.3\ntop_k = 2\ntimeout_ms = 500\nlevel = 3\n');
    expect(c.plugins.nsfw).toEqual({ enabled: true, threshold: 0.3, topK: 2, timeoutMs: 500, settings: { level: 3 } });
  });
});
