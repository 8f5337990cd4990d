// Readiness that tells the truth: every plugin the server runs must be
// active, and an isolated plugin whose process died is not ready until a
// probe image has gone through a fresh process. The probe is what brings it
// back: an isolated plugin restarts on its next call, and a replica that
// nobody sends work to (because it is not ready) would otherwise never get one.

import type { Engine } from '../engine/engine.js';
import { NativeTaggerPlugin } from '../engine/native-plugin.js';
import { isFailure } from '../engine/types.js';
import { errorMessage } from '../errors.js';
import type { PluginEntry } from '../plugins/manager.js';

export interface PluginReadiness {
  state: string;
  ready: boolean;
  reason?: string;
}

export interface ReadinessReport {
  ready: boolean;
  reasons: string[];
  plugins: Record<string, PluginReadiness>;
}

/** For an active isolated plugin: how often its process was restarted. */
export function isolatedRestarts(e: PluginEntry): { restarts: number } | undefined {
  if (e.manifest.kind !== 'native' || e.manifest.isolation !== 'process') return undefined;
  const inst = e.instance?.instance;
  return inst instanceof NativeTaggerPlugin ? { restarts: inst.restarts } : undefined;
}

const PROBE_RETRY_MS = 1000;

export class Readiness {
  /** Per plugin instance: its restart count when it last answered (a reload makes a new instance). */
  private answered = new WeakMap<object, number>();
  private probes = new Map<string, { running?: Promise<void>; failedAt?: number; error?: string }>();
  closing = false;

  constructor(
    private readonly engine: Engine,
    /** The plugins POST /v1/tag runs. */
    readonly serving: readonly string[],
  ) {
    for (const name of serving) {
      const e = engine.manager.get(name);
      const r = e && isolatedRestarts(e);
      if (r) this.answered.set(e.instance!.instance, r.restarts);
    }
  }

  check(): ReadinessReport {
    const plugins: Record<string, PluginReadiness> = {};
    const reasons: string[] = [];
    if (this.closing) reasons.push('the server is shutting down');
    for (const name of this.serving) {
      const p = this.plugin(name);
      plugins[name] = p;
      if (p.reason) reasons.push(p.reason);
    }
    return { ready: reasons.length === 0, reasons, plugins };
  }

  private plugin(name: string): PluginReadiness {
    const e = this.engine.manager.get(name);
    if (!e) return { state: 'missing', ready: false, reason: `plugin "${name}" is no longer installed` };
    if (e.state !== 'active') {
      const how = e.state === 'discovered' ? 'unloaded (POST /v1/plugins/' + name + '/load brings it back)' : e.state;
      return { state: e.state, ready: false, reason: `plugin "${name}" is ${how}${e.error ? `: ${e.error}` : ''}` };
    }
    const r = isolatedRestarts(e);
    if (!r) return { state: e.state, ready: true };
    const inst = e.instance!.instance;
    const last = this.answered.get(inst) ?? 0;
    if (r.restarts <= last) return { state: e.state, ready: true };
    const probe = this.probe(name, e, inst, r.restarts);
    const reason = `plugin "${name}": its isolated process died (${r.restarts} restart${r.restarts === 1 ? '' : 's'} so far) and has not come back yet` +
      (probe.error ? `; the last restart failed: ${probe.error}` : '; restarting it now');
    return { state: 'restarting', ready: false, reason };
  }

  /** Starts (at most one at a time, and not right after a failure) a probe image through the plugin. */
  private probe(name: string, e: PluginEntry, inst: object, restarts: number) {
    let p = this.probes.get(name);
    if (!p) this.probes.set(name, (p = {}));
    const state = p;
    if (state.running || (state.failedAt && Date.now() - state.failedAt < PROBE_RETRY_MS)) return state;
    const handle = e.instance!;
    const need = handle.decodeNeed(this.engine.mode);
    const [w, h] = need.kind === 'full' ? [64, 64] : [need.width, need.height];
    const image = { data: new Uint8Array(w * h * 3).fill(128), width: w, height: h, channels: 3 };
    state.running = handle.run([image], this.engine.mode, {}).then(
      ({ results }) => {
        const res = results[0];
        if (!res || isFailure(res)) throw new Error(res ? res.error : 'no result');
        // Any restart during the probe is covered by this answer.
        this.answered.set(inst, Math.max(restarts, (isolatedRestarts(e)?.restarts ?? restarts)));
        state.error = undefined;
        state.failedAt = undefined;
      },
    ).catch((err: unknown) => {
      state.error = errorMessage(err);
      state.failedAt = Date.now();
    }).finally(() => {
      state.running = undefined;
    });
    return state;
  }
}
