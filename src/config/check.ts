// Everything wrong with a config file at once: the schema that loading
// applies (parseConfig) and each plugin's own settings against its manifest
// ([config.<key>]), each error with the file, the key and its line.

import { join } from 'node:path';
import { ImlageError } from '../errors.js';
import { builtinPluginsDir, configDir } from '../paths.js';
import { resolveSettings } from '../plugins/config-schema.js';
import { discoverPlugins } from '../plugins/discover.js';
import { parseConfigCollecting, withLines, type Config } from './config.js';

/** The error messages for `text` as the config file `file`; empty when it is valid. */
export function checkConfigText(file: string, text: string): string[] {
  let cfg: Config;
  let schemaErrors: string[];
  try {
    ({ config: cfg, errors: schemaErrors } = parseConfigCollecting(file, text));
  } catch (err) {
    if (err instanceof ImlageError) return [err.message];
    throw err;
  }
  const errors: string[] = [];
  const withSettings = Object.entries(cfg.plugins).filter(([, o]) => Object.keys(o.settings).length > 0);
  if (withSettings.length === 0) return schemaErrors;
  const { plugins } = discoverPlugins([builtinPluginsDir(), join(configDir(), 'plugins'), ...cfg.pluginPaths]);
  for (const [name, o] of withSettings) {
    const m = plugins.find((p) => p.name === name);
    if (!m) {
      errors.push(`${file}: key 'plugins.${name}': no plugin "${name}" is installed, so its settings cannot be checked (installed: ${plugins.map((p) => p.name).join(', ')})`);
      continue;
    }
    for (const [k, v] of Object.entries(o.settings)) {
      try {
        resolveSettings(m.settings, { [k]: v }, `${file}: key 'plugins.${name}`);
      } catch (err) {
        if (!(err instanceof ImlageError)) throw err;
        errors.push(err.message);
      }
    }
  }
  return [...schemaErrors, ...withLines(text, errors)];
}
