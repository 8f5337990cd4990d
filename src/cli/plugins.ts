// `imlage plugins list`: what is installed, from the manifests alone
// (no model is loaded).

import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { builtinPluginsDir, configDir } from '../paths.js';
import { discoverPlugins } from '../plugins/discover.js';

export function pluginsListCommand(opts: { config?: string; json?: boolean }): number {
  const config = loadConfig(opts.config);
  const found = discoverPlugins([builtinPluginsDir(), join(configDir(), 'plugins'), ...config.pluginPaths]);
  const rows = found.plugins.map((m) => ({
    name: m.name,
    version: m.version,
    kind: m.kind,
    state: config.plugins[m.name]?.enabled === false ? 'disabled' : 'available',
    description: m.description,
  }));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ plugins: rows, problems: found.problems }, null, 2) + '\n');
    return 0;
  }
  const cols = ['name', 'version', 'kind', 'state', 'description'] as const;
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === cols.length - 1 ? v : v.padEnd(width[i]!))).join('  ');
  process.stdout.write(line(cols.map((c) => c.toUpperCase())) + '\n');
  for (const r of rows) process.stdout.write(line(cols.map((c) => r[c])) + '\n');
  for (const p of found.problems) process.stderr.write(`imlage: warning: ${p.error}\n`);
  return 0;
}
