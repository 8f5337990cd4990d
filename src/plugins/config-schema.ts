// A plugin's typed settings: declared in its manifest ([config.<key>] with a
// type, a default and bounds), set by users in config.toml ([plugins.<name>])
// or the API, validated before the plugin is loaded.

import { ImlageError } from '../errors.js';
import { TomlReader, describe, quote } from '../util/toml-reader.js';

export const SETTING_TYPES = ['integer', 'number', 'string', 'boolean'] as const;
export type SettingType = (typeof SETTING_TYPES)[number];
export type SettingValue = number | string | boolean;

export interface SettingSpec {
  key: string;
  type: SettingType;
  default: SettingValue;
  min?: number;
  max?: number;
  /** For strings: the allowed values, if restricted. */
  values?: string[];
  description: string;
}

export function parseConfigSchema(r: TomlReader | undefined): SettingSpec[] {
  if (!r) return [];
  return r.keys().map((key) => {
    const t = r.sub(key, true)!;
    t.onlyKeys(['type', 'default', 'min', 'max', 'values', 'description']);
    const type = t.oneOf('type', SETTING_TYPES);
    const spec: SettingSpec = { key, type, default: 0, description: t.string('description', '') };
    if (type === 'integer' || type === 'number') {
      if (t.has('min')) spec.min = t.number('min');
      if (t.has('max')) spec.max = t.number('max');
      spec.default = t.number('default', undefined, { min: spec.min, max: spec.max, integer: type === 'integer' });
    } else if (type === 'boolean') {
      spec.default = t.boolean('default');
    } else {
      if (t.has('values')) spec.values = t.strings('values');
      spec.default = spec.values ? t.oneOf('default', spec.values) : t.string('default');
    }
    return spec;
  });
}

/**
 * Checks user settings against the schema and fills in defaults. `where`
 * names the source in errors, e.g. "~/.config/imlage/config.toml: key 'plugins.colors".
 */
export function resolveSettings(schema: SettingSpec[], given: Record<string, unknown>, where: string): Record<string, SettingValue> {
  const out: Record<string, SettingValue> = {};
  const fail = (key: string, msg: string): never => {
    throw new ImlageError('IMLAGE_ERR_CONFIG', `${where}.${key}': ${msg}`);
  };
  for (const key of Object.keys(given)) {
    if (!schema.some((s) => s.key === key)) {
      fail(key, `unknown setting (this plugin has: ${schema.map((s) => s.key).join(', ') || 'none'})`);
    }
  }
  for (const s of schema) {
    const v = given[s.key];
    if (v === undefined) {
      out[s.key] = s.default;
      continue;
    }
    if (s.type === 'integer' || s.type === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(s.key, `expected ${s.type === 'integer' ? 'an integer' : 'a finite number'}, found ${describe(v)}`);
      const n = v as number;
      if (s.type === 'integer' && !Number.isInteger(n)) fail(s.key, `expected an integer, found ${n}`);
      if (s.min !== undefined && n < s.min) fail(s.key, `must be >= ${s.min}, found ${n}`);
      if (s.max !== undefined && n > s.max) fail(s.key, `must be <= ${s.max}, found ${n}`);
    } else if (s.type === 'boolean') {
      if (typeof v !== 'boolean') fail(s.key, `expected true or false, found ${describe(v)}`);
    } else {
      if (typeof v !== 'string') fail(s.key, `expected a string, found ${describe(v)}`);
      if (s.values && !s.values.includes(v as string)) fail(s.key, `expected one of ${s.values.map((x) => `"${x}"`).join(', ')}, found ${quote(v as string)}`);
    }
    out[s.key] = v as SettingValue;
  }
  return out;
}
