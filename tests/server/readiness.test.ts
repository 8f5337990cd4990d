// Readiness tells the truth about isolated plugins: when a plugin's process
// is killed, /readyz (and KServe's ready routes) say not ready with the
// reason, until the server has brought the process back.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativePluginDir, testPluginLib } from '../helpers/plugin-dir.js';
import { postImage, sample, start, until, type Running } from './helpers.js';

let s: Running;

/** This process's children running an isolated plugin. */
function isolatedChildren(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('isolation/child.js')) pids.push(Number(d));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

beforeAll(async () => {
  const dir = nativePluginDir('iso', testPluginLib('noop'), 'isolation = "process"');
  s = await start({ pluginDirs: [dir], plugins: ['iso', 'objects'] });
}, 60000);

afterAll(async () => {
  await s?.server.close();
  await s?.engine.close();
});

const ready = async () => {
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons: string[]; plugins: Record<string, { ready: boolean }> } };
};

describe('readiness with an isolated plugin', () => {
  it('flips to not ready when the plugin process is killed, and back once it is restarted', async () => {
    expect((await ready()).status).toBe(200);
    expect((await postImage(s.url, 'messi5.jpg')).status).toBe(200);
    const [pid] = isolatedChildren();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');

    const down = await until('readyz to say not ready', async () => {
      const r = await ready();
      return r.status === 503 ? r.body : undefined;
    });
    expect(down.ready).toBe(false);
    expect(down.reasons.join('\n')).toMatch(/plugin "iso": its isolated process died \(1 restart so far\) and has not come back yet/);
    expect(down.plugins.objects!.ready).toBe(true);

    await until('readyz to say ready again', async () => ((await ready()).status === 200 ? true : undefined));
    const [fresh] = isolatedChildren();
    expect(fresh).toBeGreaterThan(0);
    expect(fresh).not.toBe(pid);
    expect((await fetch(`${s.url}/v2/models/iso/ready`)).status).toBe(200);
    const res = await postImage(s.url, 'fruits.jpg');
    expect(res.status).toBe(200);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(sample(text, 'imlage_plugin_restarts_total', { plugin: 'iso' })).toBe(1);
    expect(sample(text, 'imlage_plugin_info', { plugin: 'iso', provider: 'native, isolated' })).toBe(1);
  });

  it('KServe v2 ready routes say 400 while the process is down', async () => {
    const [pid] = isolatedChildren();
    process.kill(pid!, 'SIGKILL');
    const model = await until('the model to be not ready', async () => {
      const r = await fetch(`${s.url}/v2/models/iso/ready`);
      return r.status === 400 ? ((await r.json()) as { ready: boolean; reason: string }) : undefined;
    });
    expect(model.ready).toBe(false);
    expect(model.reason).toMatch(/isolated process died/);
    await until('the server to be ready again', async () => ((await fetch(`${s.url}/v2/health/ready`)).status === 200 ? true : undefined));
  });
});
