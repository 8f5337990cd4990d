// `imlage plugins list` and `imlage plugins info NAME`: from the manifests
// alone, or with --check, after loading each plugin (state active / error).

import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { configFilePath, setConfigValue } from '../config/file.js';
import { openPluginManager } from '../engine/engine.js';
import { ImlageError } from '../errors.js';
import { builtinPluginsDir, configDir } from '../paths.js';
import { discoverPlugins, type DiscoveryProblem } from '../plugins/discover.js';
import type { PluginManifest } from '../plugins/manifest.js';
import type { PluginState } from '../plugins/manager.js';
import { divertStdout } from './output.js';
import { setupCommand } from './setup.js';

interface Row {
  manifest: PluginManifest;
  state: PluginState;
  error?: string;
  /** Runs when no --plugin is given: the manifest's default_enabled, or config.toml's [plugins.<name>] enabled. */
  enabled: boolean;
}

function runsByDefault(m: PluginManifest, config: Config): boolean {
  if (config.enabledPlugins) return config.enabledPlugins.includes(m.name);
  return config.plugins[m.name]?.enabled ?? m.defaultEnabled;
}

export interface PluginsOptions {
  config?: string;
  json?: boolean;
  check?: boolean;
  capability?: string;
  search?: string;
}

/** Where the listing goes: with --check, plugins load and may print, so stdout is kept for us alone. */
let listingFd = 1;

function emit(text: string): void {
  writeSync(listingFd, text);
}

async function collect(opts: PluginsOptions): Promise<{ rows: Row[]; problems: DiscoveryProblem[] }> {
  if (opts.check) {
    listingFd = divertStdout();
    const config = loadConfig(opts.config);
    const { manager } = openPluginManager({ config: opts.config }, config);
    try {
      // Load every plugin that is not disabled; a failure becomes its state 'error' with the reason.
      for (const e of manager.list({ state: 'discovered' })) await manager.load(e.name).catch(() => {});
      // Read before close(), which unloads: these are the states seen while loaded.
      return { rows: manager.list().map((e) => ({ manifest: e.manifest, state: e.state, error: e.error, enabled: runsByDefault(e.manifest, config) })), problems: manager.problems };
    } finally {
      await manager.close();
    }
  }
  const config = loadConfig(opts.config);
  const found = discoverPlugins([builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths]);
  const rows = found.plugins.map((m): Row => ({ manifest: m, state: config.plugins[m.name]?.enabled === false ? 'disabled' : 'discovered', enabled: runsByDefault(m, config) }));
  return { rows, problems: found.problems };
}

function filter(rows: Row[], opts: PluginsOptions): Row[] {
  return rows.filter((r) => {
    if (opts.capability && !r.manifest.capabilities.includes(opts.capability)) return false;
    if (opts.search) {
      const q = opts.search.toLowerCase();
      return r.manifest.name.includes(q) || r.manifest.description.toLowerCase().includes(q);
    }
    return true;
  });
}

/** --check: 1 when a plugin that is not disabled failed to load. */
function checkStatus(rows: Row[], opts: PluginsOptions): number {
  return opts.check && rows.some((r) => r.state === 'error') ? 1 : 0;
}

export async function pluginsListCommand(opts: PluginsOptions): Promise<number> {
  const { rows: all, problems } = await collect(opts);
  const rows = filter(all, opts);
  if (opts.json) {
    const out = rows.map((r) => ({
      name: r.manifest.name, version: r.manifest.version, kind: r.manifest.kind, state: r.state, enabled: r.enabled, defaultEnabled: r.manifest.defaultEnabled,
      description: r.manifest.description, capabilities: r.manifest.capabilities, error: r.error, manifest: r.manifest.file,
    }));
    emit(JSON.stringify({ plugins: out, problems }, null, 2) + '\n');
    return checkStatus(rows, opts);
  }
  const cells = rows.map((r) => [r.manifest.name, r.manifest.version, r.manifest.kind, r.state, r.enabled ? 'yes' : 'no', r.error ? `${r.manifest.description} [${r.error.split('\n')[0]}]` : r.manifest.description]);
  const head = ['NAME', 'VERSION', 'KIND', 'STATE', 'DEFAULT', 'DESCRIPTION'];
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(width[i]!))).join('  ');
  emit([line(head), ...cells.map(line)].join('\n') + '\n');
  for (const p of problems) process.stderr.write(`imlage: warning: ${p.error}\n`);
  return checkStatus(rows, opts);
}

export async function pluginsInfoCommand(name: string, opts: PluginsOptions): Promise<number> {
  const { rows } = await collect(opts);
  const r = rows.find((x) => x.manifest.name === name);
  if (!r) {
    throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `unknown plugin "${name}"; available: ${rows.map((x) => x.manifest.name).join(', ') || 'none'}`);
  }
  const m = r.manifest;
  if (opts.json) {
    emit(JSON.stringify({ ...m, state: r.state, error: r.error, enabled: r.enabled }, null, 2) + '\n');
    return checkStatus([r], opts);
  }
  const lines: string[] = [
    `${m.name} ${m.version} (${m.kind})`,
    m.description,
    '',
    `manifest:     ${m.file}`,
    `state:        ${r.state}${r.error ? ` (${r.error})` : ''}`,
    `by default:   ${r.enabled ? 'runs' : `off (imlage plugins enable ${m.name}, or --plugin ${m.name})`}${r.enabled !== m.defaultEnabled ? ' [set in config.toml]' : ''}`,
    `author:       ${m.author ?? '-'}`,
    `license:      ${m.license ?? '-'}`,
    `capabilities: ${m.capabilities.join(', ') || '-'}`,
    `hardware:     gpu ${m.hardware.gpu}, min RAM ${m.hardware.minRamMb} MB${m.hardware.minVramMb ? `, min VRAM ${m.hardware.minVramMb} MB` : ''}`,
  ];
  if (m.kind === 'onnx') {
    lines.push(
      `model:        ${m.model.package ? `${m.model.package}: ` : ''}${m.model.file} (${m.model.format})`,
      `input:        ${m.input.width}x${m.input.height} ${m.input.layout} ${m.input.channels}; exact: ${m.preprocess.exact.resize}; fast: ${m.preprocess.fast.kernel}`,
      `labels:       ${m.output.labels.length} (${m.output.labels.slice(0, 8).join(', ')}${m.output.labels.length > 8 ? ', …' : ''})`,
      `defaults:     threshold ${m.output.threshold}, top_k ${m.output.topK || 'all'}`,
    );
  } else {
    lines.push(
      `library:      ${Object.entries(m.library).map(([k, v]) => `${k}: ${v}`).join('; ')}`,
      `isolation:    ${m.isolation}${m.isolation === 'process' ? ` (timeout ${m.timeoutMs} ms)` : ''}`,
      `input:        ${m.input.width ? `${m.input.width}x${m.input.height}` : 'full size'}`,
      `models:       ${m.models.map((x) => x.id).join(', ')}`,
    );
  }
  if (m.settings.length) {
    lines.push('settings (config.toml [plugins.' + m.name + ']):');
    for (const s of m.settings) {
      const range = s.min !== undefined || s.max !== undefined ? ` [${s.min ?? ''}..${s.max ?? ''}]` : s.values ? ` (${s.values.join('|')})` : '';
      lines.push(`  ${s.key} = ${JSON.stringify(s.default)}  ${s.type}${range}${s.description ? `  ${s.description}` : ''}`);
    }
  }
  emit(lines.join('\n') + '\n');
  return checkStatus([r], opts);
}

async function setEnabled(name: string, on: boolean, opts: PluginsOptions): Promise<number> {
  const { rows } = await collect({ config: opts.config });
  if (!rows.some((r) => r.manifest.name === name)) {
    throw new ImlageError('IMLAGE_ERR_UNKNOWN_PLUGIN', `unknown plugin "${name}"; available: ${rows.map((x) => x.manifest.name).join(', ') || 'none'}`);
  }
  const file = configFilePath(opts.config);
  setConfigValue(file, `plugins.${name}.enabled`, on);
  const cfg = loadConfig(file);
  const note = cfg.enabledPlugins ? ` (note: [plugins] enabled = ${JSON.stringify(cfg.enabledPlugins)} still decides which plugins run by default)` : '';
  process.stderr.write(`imlage: ${name} ${on ? 'enabled' : 'disabled'} in ${file}${note}\n`);
  return 0;
}

export function registerPlugins(program: Command): void {
  const plugins = program.command('plugins').description('installed plugins');
  plugins
    .command('list')
    .description('list installed plugins: name, version, kind, state, whether it runs by default, description')
    .option('--check', 'load each plugin to report whether it works (state active, or error with the reason)')
    .option('--capability <name>', 'only plugins with this capability (e.g. nsfw, objects, colors, ocr, quality)')
    .option('--search <text>', 'only plugins whose name or description contains this')
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'read this config.toml')
    .action(async (opts) => {
      process.exitCode = await pluginsListCommand(opts);
    });
  plugins
    .command('info')
    .description("one plugin's manifest: model or library, input, labels, settings, hardware hints")
    .argument('<name>')
    .option('--check', 'load it to report whether it works')
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'read this config.toml')
    .action(async (name: string, opts) => {
      process.exitCode = await pluginsInfoCommand(name, opts);
    });
  plugins
    .command('setup')
    .description('make a plugin ready: find its model files, check their sha256, convert, load once')
    .argument('<name>')
    .option('--config <file>', 'read this config.toml')
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .option('-v, --verbose', 'also print debug lines')
    .action(async (name: string, opts) => {
      process.exitCode = await setupCommand(name, opts);
    });
  for (const [verb, on] of [['enable', true], ['disable', false]] as const) {
    plugins
      .command(verb)
      .description(`${on ? 'run' : 'stop running'} a plugin by default: sets [plugins.NAME] enabled = ${on} in the config file`)
      .argument('<name>')
      .option('--config <file>', 'this config file')
      .action(async (name: string, opts) => {
        process.exitCode = await setEnabled(name, on, opts);
      });
  }
}
