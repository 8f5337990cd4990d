// config.toml's [serve] section: every key, and errors that name the file and key.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/index.js';

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
