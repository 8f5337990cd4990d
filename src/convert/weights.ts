/** Decoding of TF.js weight manifests (quantised, float16, int32) into typed constants. */
import { invalid } from './errors.js';

export type ConstDType = 'float32' | 'int32' | 'bool';

/** A constant tensor held in memory. int64 values are held as int32 (as TF.js does). */
export interface ConstTensor {
  dtype: ConstDType;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string; original_dtype?: string };
  group?: string;
}

export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 0x1f) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bytesPerElement(spec: WeightSpec): number {
  const q = spec.quantization?.dtype;
  if (q === 'uint8') return 1;
  if (q === 'uint16' || q === 'float16') return 2;
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    default:
      throw invalid(`weight '${spec.name}': unsupported dtype '${spec.dtype}'`);
  }
}

/** Decode one weight from its little-endian bytes. Formula mirrors TF.js (v * scale + min). */
export function decodeWeight(spec: WeightSpec, bytes: Uint8Array): ConstTensor {
  const n = sizeOf(spec.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = spec.quantization;
  const dtype: ConstDType = spec.dtype === 'int32' ? 'int32' : spec.dtype === 'bool' ? 'bool' : 'float32';
  if (spec.dtype !== 'float32' && spec.dtype !== 'int32' && spec.dtype !== 'bool') {
    throw invalid(`weight '${spec.name}': unsupported dtype '${spec.dtype}'`);
  }
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < n; i++) {
      const v = q.dtype === 'uint8' ? bytes[i]! : view.getUint16(i * 2, true);
      const x = v * scale + min;
      out[i] = dtype === 'float32' ? x : Math.round(x);
    }
  } else if (q && q.dtype === 'float16') {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else if (q) {
    throw invalid(`weight '${spec.name}': unsupported quantization dtype '${q.dtype}'`);
  } else if (dtype === 'float32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'int32') {
    for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes[i]!;
  }
  return { dtype, shape: spec.shape.slice(), data: out };
}

/**
 * Decode every weight of a manifest. `groups[i]` holds the concatenated shard bytes of
 * manifest group i (shards concatenated in order).
 */
export function decodeWeights(manifest: WeightGroup[], groups: Uint8Array[]): Map<string, ConstTensor> {
  const out = new Map<string, ConstTensor>();
  manifest.forEach((group, gi) => {
    const data = groups[gi];
    if (!data) throw invalid(`weights for manifest group ${gi} missing`);
    let offset = 0;
    for (const spec of group.weights) {
      const len = sizeOf(spec.shape) * bytesPerElement(spec);
      if (offset + len > data.length) {
        throw invalid(`weight '${spec.name}' extends past the end of its shards (${offset + len} > ${data.length} bytes)`);
      }
      out.set(spec.name, decodeWeight(spec, data.subarray(offset, offset + len)));
      offset += len;
    }
  });
  return out;
}
