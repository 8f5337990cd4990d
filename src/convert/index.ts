/** TF.js (layers / graph) → ONNX converter. */
import { detectFormat, readArtifacts } from './tfjs-artifacts.js';
import { decodeWeights } from './weights.js';
import { convertLayersModel } from './layers.js';
import { convertGraphModel } from './graph.js';
import { CONVERTER_VERSION } from './version.js';
import { ConvertError, ERR_INVALID } from './errors.js';

export { CONVERTER_VERSION } from './version.js';

export { ConvertError, ERR_UNSUPPORTED, ERR_INVALID } from './errors.js';
export { convertCached, defaultCacheDir, cacheKey } from './cache.js';
export type { ConvertCachedOptions, ConvertCachedResult } from './cache.js';

export type TfjsFormat = 'tfjs-layers' | 'tfjs-graph';

export interface ConvertSource {
  modelFile: string;
  /** for UMD bundles or relocated shards; for plain model.json the manifest's paths are resolved next to it */
  weightFiles?: string[];
  /**
   * Graph models: convert only these outputs (node names, or node:index) and
   * what they depend on, instead of the signature's. A detector whose
   * post-processing head uses ops the converter lacks (CenterNet's TopK and
   * Gather) still converts when only its score maps are read.
   */
  outputs?: string[];
  /**
   * Graph models with one grey channel: the converted model takes RGB
   * instead and makes its grey channel itself, `sum(weights[c] * rgb[c]) +
   * offset` (the grey weights with the manifest's normalisation folded in),
   * so the engine's RGB preprocessing feeds it unchanged.
   */
  grayInput?: GrayInput;
}

export interface GrayInput {
  weights: [number, number, number];
  offset: number;
}

export interface TensorInfo {
  name: string;
  shape: (number | string)[];
}

export interface ConvertResult {
  onnx: Uint8Array;
  format: TfjsFormat;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export async function convertTfjs(src: ConvertSource): Promise<ConvertResult> {
  const art = readArtifacts(src.modelFile, src.weightFiles);
  const format = detectFormat(art.json);
  if (src.grayInput && format !== 'tfjs-graph') {
    throw new ConvertError(ERR_INVALID, `${src.modelFile}: a grey input is made for TF.js graph models only; this one is ${format}`);
  }
  if (src.outputs && format !== 'tfjs-graph') {
    throw new ConvertError(ERR_INVALID, `${src.modelFile}: choosing outputs works for TF.js graph models only; this one is ${format}`);
  }
  const weights = decodeWeights(art.json.weightsManifest ?? [], art.weightData);
  const conv =
    format === 'tfjs-layers'
      ? convertLayersModel(art.json.modelTopology, weights, src.modelFile)
      : convertGraphModel(art.json, weights, src.modelFile, src.outputs, src.grayInput);
  const onnx = conv.builder.toBytes(format, CONVERTER_VERSION, `converted from ${format} by imlage`);
  return { onnx, format, inputs: conv.inputs, outputs: conv.outputs };
}
