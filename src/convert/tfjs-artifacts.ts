/** Reading TF.js model artifacts: plain model.json + binary shards, or nsfwjs-style UMD bundles. */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { invalid } from './errors.js';
import type { WeightGroup } from './weights.js';

export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: any;
  weightsManifest?: WeightGroup[];
  signature?: any;
  userDefinedMetadata?: any;
}

export interface TfjsArtifacts {
  modelFile: string;
  json: ModelJson;
  /** one entry per manifest group: the group's shards concatenated */
  weightData: Uint8Array[];
  /** every file read (model + shards), in order */
  files: string[];
}

const requireCjs = createRequire(import.meta.url);

function isBundle(file: string): boolean {
  return /\.(c?js)$/i.test(file);
}

/** Load a UMD bundle (module.exports = JSON object or base64 string) without caching it. */
function requireFresh(file: string): unknown {
  const abs = resolve(file);
  const mod = requireCjs(abs);
  delete requireCjs.cache[abs];
  return mod;
}

export function readModelJson(modelFile: string): ModelJson {
  let json: unknown;
  if (isBundle(modelFile)) {
    json = requireFresh(modelFile);
    if (json && typeof json === 'object' && 'default' in json && !('modelTopology' in json)) json = (json as any).default;
  } else {
    try {
      json = JSON.parse(readFileSync(modelFile, 'utf8'));
    } catch (e) {
      throw invalid(`cannot parse TF.js model JSON ${modelFile}: ${(e as Error).message}`);
    }
  }
  if (!json || typeof json !== 'object' || !('modelTopology' in json)) {
    throw invalid(`${modelFile} is not a TF.js model (no modelTopology)`);
  }
  return json as ModelJson;
}

export function readWeightFile(file: string): Uint8Array {
  if (isBundle(file)) {
    const v = requireFresh(file);
    const s = typeof v === 'string' ? v : (v as any)?.default;
    if (typeof s !== 'string') throw invalid(`weight bundle ${file} does not export a base64 string`);
    return new Uint8Array(Buffer.from(s, 'base64'));
  }
  return new Uint8Array(readFileSync(file));
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Resolve the shard files of a manifest path next to the model file (plain or `.min.js`/`.js` bundle). */
function resolveShard(modelFile: string, p: string): string {
  const base = resolve(dirname(modelFile), p);
  for (const cand of [base, `${base}.min.js`, `${base}.js`]) if (existsSync(cand)) return cand;
  throw invalid(`weight shard '${p}' referenced by ${modelFile} not found`);
}

/**
 * Read a model and its weights. With `weightFiles`, those files are taken as the shards of
 * all groups in manifest order; otherwise manifest paths are resolved next to the model file.
 */
export function readArtifacts(modelFile: string, weightFiles?: string[]): TfjsArtifacts {
  const json = readModelJson(modelFile);
  const manifest = json.weightsManifest ?? [];
  const files = [resolve(modelFile)];
  const weightData: Uint8Array[] = [];
  if (weightFiles && weightFiles.length > 0) {
    const want = manifest.reduce((a, g) => a + g.paths.length, 0);
    if (weightFiles.length !== want) {
      throw invalid(`${modelFile}: manifest lists ${want} shard(s) but ${weightFiles.length} weight file(s) were given`);
    }
    let i = 0;
    for (const g of manifest) {
      const parts: Uint8Array[] = [];
      for (let k = 0; k < g.paths.length; k++) {
        const f = resolve(weightFiles[i++]!);
        files.push(f);
        parts.push(readWeightFile(f));
      }
      weightData.push(concat(parts));
    }
  } else {
    for (const g of manifest) {
      const parts = g.paths.map((p) => {
        const f = resolveShard(modelFile, p);
        files.push(f);
        return readWeightFile(f);
      });
      weightData.push(concat(parts));
    }
  }
  return { modelFile, json, weightData, files };
}

/** The files a conversion reads (model first, then shards in manifest order), without decoding weights. */
export function listSourceFiles(modelFile: string, weightFiles?: string[]): string[] {
  if (weightFiles && weightFiles.length > 0) return [resolve(modelFile), ...weightFiles.map((f) => resolve(f))];
  const json = readModelJson(modelFile);
  return [resolve(modelFile), ...(json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => resolveShard(modelFile, p)))];
}

export function detectFormat(json: ModelJson): 'tfjs-layers' | 'tfjs-graph' {
  if (json.format === 'graph-model' || Array.isArray(json.modelTopology?.node)) return 'tfjs-graph';
  if (json.format === 'layers-model' || json.modelTopology?.model_config || json.modelTopology?.class_name) return 'tfjs-layers';
  throw invalid('cannot tell whether the model is a TF.js layers or graph model');
}
