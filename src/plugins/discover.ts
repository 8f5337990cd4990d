// Finds plugins: every <dir>/<name>/plugin.toml under the given folders.
// A broken manifest is reported and skipped; it never hides the others.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { readManifest, type PluginManifest } from './manifest.js';

export interface DiscoveryProblem {
  file: string;
  error: string;
}

export interface Discovery {
  plugins: PluginManifest[];
  problems: DiscoveryProblem[];
}

export function discoverPlugins(dirs: string[]): Discovery {
  const plugins: PluginManifest[] = [];
  const problems: DiscoveryProblem[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const entry of readdirSync(dir).sort()) {
      const file = join(dir, entry, 'plugin.toml');
      if (!existsSync(file)) continue;
      try {
        const m = readManifest(file);
        const first = seen.get(m.name);
        if (first) {
          problems.push({ file, error: `plugin "${m.name}" is already defined by ${first}; this one is ignored` });
          continue;
        }
        seen.set(m.name, file);
        plugins.push(m);
      } catch (err) {
        problems.push({ file, error: errorMessage(err) });
      }
    }
  }
  return { plugins, problems };
}
