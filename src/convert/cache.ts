/** On-disk cache of converted models: conversion happens once per (converter version, source bytes). */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CONVERTER_VERSION } from './version.js';
import { convertTfjs, type ConvertSource, type TensorInfo } from './index.js';
import { listSourceFiles } from './tfjs-artifacts.js';

export interface ConvertCachedOptions {
  cacheDir?: string;
  onProgress?: (msg: string) => void;
}

export interface ConvertCachedResult {
  path: string;
  fromCache: boolean;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

/** $IMLAGE_CACHE_DIR, else $XDG_CACHE_HOME/imlage, else ~/.cache/imlage. */
export function defaultCacheDir(): string {
  if (process.env.IMLAGE_CACHE_DIR) return process.env.IMLAGE_CACHE_DIR;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'imlage');
  return join(homedir(), '.cache', 'imlage');
}

/** sha256 over the converter version, the outputs chosen, and the bytes of every source file (model + shards, in order). */
export function cacheKey(src: ConvertSource): string {
  const h = createHash('sha256');
  h.update(`imlage-convert ${CONVERTER_VERSION}\n`);
  if (src.outputs?.length) h.update(`outputs ${JSON.stringify(src.outputs)}\n`);
  if (src.grayInput) h.update(`gray ${JSON.stringify(src.grayInput)}\n`);
  for (const f of listSourceFiles(src.modelFile, src.weightFiles)) {
    const bytes = readFileSync(f);
    h.update(`${bytes.length}\n`);
    h.update(bytes);
  }
  return h.digest('hex');
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function convertCached(src: ConvertSource, opts: ConvertCachedOptions = {}): Promise<ConvertCachedResult> {
  const dir = join(opts.cacheDir ?? defaultCacheDir(), 'models');
  const key = cacheKey(src);
  const path = join(dir, `${key}.onnx`);
  const metaPath = join(dir, `${key}.json`);
  if (existsSync(path) && existsSync(metaPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      opts.onProgress?.(`using cached ONNX model ${path}`);
      return { path, fromCache: true, inputs: meta.inputs, outputs: meta.outputs };
    } catch {
      // unreadable metadata: convert again
    }
  }
  opts.onProgress?.(`converting ${src.modelFile} to ONNX (once; cached in ${dir})`);
  const res = await convertTfjs(src);
  mkdirSync(dir, { recursive: true });
  // model first, metadata last: the metadata file marks a complete entry
  writeAtomic(path, res.onnx);
  writeAtomic(metaPath, JSON.stringify({ converterVersion: CONVERTER_VERSION, format: res.format, source: src.modelFile, inputs: res.inputs, outputs: res.outputs }, null, 2));
  opts.onProgress?.(`wrote ${path} (${res.onnx.length} bytes)`);
  return { path, fromCache: false, inputs: res.inputs, outputs: res.outputs };
}
