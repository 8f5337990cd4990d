// The plugin manager: finds plugins, loads and unloads them, reloads them
// (by hand or when their files change) without failing work in flight, and
// reports each one's state: discovered → loading → active, or error / disabled.

import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { ImlageError, errorMessage } from '../errors.js';
import { NativeTaggerPlugin, resolveLibrary } from '../engine/native-plugin.js';
import { OnnxPlugin } from '../engine/onnx-plugin.js';
import type { TaggerPlugin } from '../engine/plugin.js';
import type { NativeAddon, NativeAddonPlugins, SessionOptions } from '../binding/types.js';
import { resolveSettings, type SettingValue } from './config-schema.js';
import { discoverPlugins, type DiscoveryProblem } from './discover.js';
import { PluginHandle } from './handle.js';
import { readManifest, type PluginManifest } from './manifest.js';

export type PluginState = 'discovered' | 'loading' | 'active' | 'error' | 'disabled';

export interface PluginEntry {
  name: string;
  state: PluginState;
  manifest: PluginManifest;
  /** Why the plugin is in state 'error'. */
  error?: string;
  /** The loaded plugin, while active (a handle that survives reloads). */
  instance?: PluginHandle;
}

export interface ManagerOptions {
  dirs: string[];
  config: Config;
  addon: NativeAddon & NativeAddonPlugins;
  ortLibrary: string;
  session: SessionOptions;
  cacheDir?: string;
  /** Per-plugin settings given through the API; they win over config.toml. */
  settings?: Record<string, Record<string, unknown>>;
  log: (msg: string) => void;
}

export interface ListFilter {
  /** Substring of the name or description, or a RegExp on the name. */
  search?: string | RegExp;
  capability?: string;
  kind?: PluginManifest['kind'];
  state?: PluginState;
}

export class PluginManager extends EventEmitter {
  private entries = new Map<string, PluginEntry>();
  private loading = new Map<string, Promise<PluginHandle>>();
  private watchers: FSWatcher[] = [];
  /** Manifests that could not be read. */
  problems: DiscoveryProblem[] = [];

  constructor(private readonly opts: ManagerOptions) {
    super();
  }

  /** (Re)reads the plugin folders. Loaded plugins stay loaded. */
  discover(): void {
    const found = discoverPlugins(this.opts.dirs);
    this.problems = found.problems;
    for (const m of found.plugins) {
      const old = this.entries.get(m.name);
      if (old && (old.state === 'active' || old.state === 'loading')) continue;
      const disabled = this.opts.config.plugins[m.name]?.enabled === false;
      this.entries.set(m.name, { name: m.name, state: disabled ? 'disabled' : 'discovered', manifest: m });
    }
  }

  list(filter: ListFilter = {}): PluginEntry[] {
    return [...this.entries.values()].filter((e) => {
      const m = e.manifest;
      if (filter.state && e.state !== filter.state) return false;
      if (filter.kind && m.kind !== filter.kind) return false;
      if (filter.capability && !m.capabilities.includes(filter.capability)) return false;
      if (filter.search instanceof RegExp) return filter.search.test(m.name);
      if (filter.search) {
        const q = filter.search.toLowerCase();
        return m.name.includes(q) || m.description.toLowerCase().includes(q);
      }
      return true;
    });
  }

  get(name: string): PluginEntry | undefined {
    return this.entries.get(name);
  }

  /** The loaded plugin, or an error naming the plugins there are. */
  active(name: string): PluginHandle {
    const e = this.entries.get(name);
    if (!e?.instance) throw this.unknown(name);
    return e.instance;
  }

  unknown(name: string): ImlageError {
    const e = this.entries.get(name);
    if (e) return new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `plugin "${name}" is ${e.state}${e.error ? `: ${e.error}` : ''}`);
    const broken = this.problems.find((p) => p.file.includes(`/${name}/`));
    return new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `unknown plugin "${name}"` +
      (broken ? ` (its manifest is broken: ${broken.error})` : '') +
      `; available: ${[...this.entries.keys()].join(', ') || 'none'} (see \`imlage plugins list\`)`);
  }

  /** Loads a plugin (once; concurrent calls share the load). */
  load(name: string): Promise<PluginHandle> {
    const e = this.entries.get(name);
    if (!e) return Promise.reject(this.unknown(name));
    if (e.instance) return Promise.resolve(e.instance);
    const running = this.loading.get(name);
    if (running) return running;
    const p = this.instantiate(e.manifest).then(
      (inst) => {
        const handle = new PluginHandle(inst);
        this.entries.set(name, { name, state: 'active', manifest: e.manifest, instance: handle });
        this.emit('state', name, 'active');
        return handle;
      },
      (err: unknown) => {
        this.entries.set(name, { name, state: 'error', manifest: e.manifest, error: errorMessage(err) });
        this.emit('state', name, 'error', err);
        throw err;
      },
    ).finally(() => this.loading.delete(name));
    this.loading.set(name, p);
    this.entries.set(name, { ...e, state: 'loading', error: undefined });
    this.emit('state', name, 'loading');
    return p;
  }

  /** Unloads a plugin once its work in flight has finished. */
  async unload(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e?.instance) return;
    this.entries.set(name, { name, state: 'discovered', manifest: e.manifest });
    await e.instance.close();
    this.emit('state', name, 'discovered');
  }

  /**
   * Rereads the manifest and swaps in a new instance. Calls already running
   * finish on the old one; calls that arrive meanwhile wait for the new one.
   * If the new version fails to load, the old one is reopened and the error
   * is thrown.
   */
  async reload(name: string): Promise<PluginHandle> {
    const e = this.entries.get(name);
    if (!e?.instance) throw this.unknown(name);
    const manifest = readManifest(e.manifest.file);
    const old = e.manifest;
    await e.instance.swap(() => this.instantiate(manifest), () => this.instantiate(old));
    this.entries.set(name, { name, state: 'active', manifest, instance: e.instance });
    this.emit('reload', name);
    this.opts.log(`reloaded plugin ${name} ${manifest.version}`);
    return e.instance;
  }

  /** Reloads active plugins whose manifest or library changes. Returns a stop function. */
  watch(onError: (name: string, err: unknown) => void = () => {}): () => void {
    const timers = new Map<string, NodeJS.Timeout>();
    for (const e of this.entries.values()) {
      if (e.state !== 'active') continue;
      const dirs = new Set([e.manifest.dir]);
      if (e.manifest.kind === 'native') {
        try {
          dirs.add(dirname(resolveLibrary(e.manifest)));
        } catch {
          // reported when it is loaded
        }
      }
      for (const d of dirs) {
        const w = watch(d, () => {
          clearTimeout(timers.get(e.name));
          // Files are often written in several steps: wait for them to settle.
          timers.set(e.name, setTimeout(() => {
            this.reload(e.name).catch((err) => onError(e.name, err));
          }, 300));
        });
        this.watchers.push(w);
      }
    }
    return () => {
      for (const t of timers.values()) clearTimeout(t);
      for (const w of this.watchers) w.close();
      this.watchers = [];
    };
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.entries.values()].map((e) => e.instance?.close()));
    for (const e of this.entries.values()) if (e.instance) this.entries.set(e.name, { name: e.name, state: 'discovered', manifest: e.manifest });
  }

  /** The settings a plugin is loaded with (API or config.toml, defaults filled in); ONNX plugins take none. */
  settingsOf(name: string): Record<string, SettingValue> {
    const m = this.get(name)?.manifest;
    return m && m.kind !== 'onnx' ? this.settingsFor(m) : {};
  }

  private settingsFor(m: PluginManifest): Record<string, SettingValue> {
    const fromApi = this.opts.settings?.[m.name];
    if (fromApi) return resolveSettings(m.settings, fromApi, `Engine.create() option settings.${m.name}: key '${m.name}`);
    const c = this.opts.config.plugins[m.name]?.settings ?? {};
    const where = `${this.opts.config.file ?? 'config'}: key 'plugins.${m.name}`;
    return resolveSettings(m.settings, c, where);
  }

  private instantiate(m: PluginManifest): Promise<TaggerPlugin> {
    const settings = this.settingsFor(m);
    if (m.kind === 'onnx') {
      return OnnxPlugin.load(m, { addon: this.opts.addon, session: this.opts.session, cacheDir: this.opts.cacheDir, log: this.opts.log });
    }
    const timeoutMs = this.opts.config.plugins[m.name]?.timeoutMs;
    return NativeTaggerPlugin.load(m, { addon: this.opts.addon, ortLibrary: this.opts.ortLibrary, settings, session: this.opts.session, timeoutMs, log: this.opts.log });
  }
}
