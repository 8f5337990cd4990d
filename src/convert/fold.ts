/** Constant folding: evaluate TF ops whose inputs are all constants, in plain JS. */
import type { ConstDType, ConstTensor } from './weights.js';
import { sizeOf } from './weights.js';

export type TfAttrs = Record<string, any>;

export function tfDtype(attr: any): ConstDType {
  const t: string = attr?.type ?? attr ?? 'DT_FLOAT';
  if (t === 'DT_INT32' || t === 'DT_INT64' || t === 'DT_INT16' || t === 'DT_INT8' || t === 'DT_UINT8') return 'int32';
  if (t === 'DT_BOOL') return 'bool';
  return 'float32';
}

function alloc(dtype: ConstDType, n: number): Float32Array | Int32Array | Uint8Array {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

export function constOf(dtype: ConstDType, shape: number[], values: ArrayLike<number>): ConstTensor {
  const data = alloc(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = values[i]!;
  return { dtype, shape, data };
}

export function toNumbers(t: ConstTensor): number[] {
  return Array.from(t.data);
}

function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

function broadcastShape(a: number[], b: number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

function binary(a: ConstTensor, b: ConstTensor, fn: (x: number, y: number) => number): ConstTensor | undefined {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) return undefined;
  const n = sizeOf(shape);
  const out = alloc(a.dtype, n);
  const os = strides(shape);
  const index = (t: ConstTensor, flat: number): number => {
    const off = shape.length - t.shape.length;
    const ts = strides(t.shape);
    let idx = 0;
    for (let d = 0; d < t.shape.length; d++) {
      const coord = Math.floor(flat / os[d + off]!) % shape[d + off]!;
      if (t.shape[d] !== 1) idx += coord * ts[d]!;
    }
    return idx;
  };
  for (let i = 0; i < n; i++) {
    const v = fn(a.data[index(a, i)]!, b.data[index(b, i)]!);
    out[i] = a.dtype === 'int32' ? Math.trunc(v) : v;
  }
  return { dtype: a.dtype, shape, data: out };
}

export function transposeConst(t: ConstTensor, perm: number[]): ConstTensor {
  const shape = perm.map((p) => t.shape[p]!);
  const n = sizeOf(shape);
  const out = alloc(t.dtype, n);
  const is = strides(t.shape);
  const os = strides(shape);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += (Math.floor(i / os[d]!) % shape[d]!) * is[perm[d]!]!;
    out[i] = t.data[src]!;
  }
  return { dtype: t.dtype, shape, data: out };
}

function reshapeTarget(size: number, target: number[]): number[] {
  const known = target.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  return target.map((d) => (d < 0 ? size / known : d));
}

const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  AddV2: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  RealDiv: (x, y) => x / y,
  Div: (x, y) => x / y,
  FloorDiv: (x, y) => Math.floor(x / y),
  FloorMod: (x, y) => x - Math.floor(x / y) * y,
  Maximum: (x, y) => Math.max(x, y),
  Minimum: (x, y) => Math.min(x, y),
};

/**
 * Evaluate `op` on constant inputs. Returns the outputs, or undefined when the op is not
 * foldable here (the caller then emits it as a regular ONNX op).
 */
export function foldOp(op: string, ins: ConstTensor[], attr: TfAttrs): ConstTensor[] | undefined {
  const [a, b] = ins;
  if (BINARY[op] && a && b) {
    const r = binary(a, b, BINARY[op]!);
    return r ? [r] : undefined;
  }
  switch (op) {
    case 'Identity':
    case 'StopGradient':
    case 'Snapshot':
      return [a!];
    case 'Neg':
      return [{ ...a!, data: a!.data.map((v) => -v) as typeof a.data }];
    case 'Cast': {
      const dtype = tfDtype(attr.DstT);
      const data = alloc(dtype, a!.data.length);
      for (let i = 0; i < data.length; i++) data[i] = dtype === 'int32' ? Math.trunc(a!.data[i]!) : dtype === 'bool' ? (a!.data[i] ? 1 : 0) : a!.data[i]!;
      return [{ dtype, shape: a!.shape.slice(), data }];
    }
    case 'Reshape':
      return [{ ...a!, shape: reshapeTarget(a!.data.length, toNumbers(b!)) }];
    case 'Squeeze': {
      const dims: number[] = (attr.squeeze_dims?.list?.i ?? []).map(Number).map((d: number) => (d < 0 ? d + a!.shape.length : d));
      return [{ ...a!, shape: a!.shape.filter((d, i) => (dims.length ? !dims.includes(i) : d !== 1)) }];
    }
    case 'ExpandDims': {
      let axis = toNumbers(b!)[0]!;
      if (axis < 0) axis += a!.shape.length + 1;
      const shape = a!.shape.slice();
      shape.splice(axis, 0, 1);
      return [{ ...a!, shape }];
    }
    case 'Shape':
      return [constOf('int32', [a!.shape.length], a!.shape)];
    case 'Transpose':
      return [transposeConst(a!, toNumbers(b!))];
    case 'Pack': {
      let axis = Number(attr.axis?.i ?? 0);
      const r = a!.shape.length;
      if (axis < 0) axis += r + 1;
      const expanded = ins.map((t) => {
        const shape = t.shape.slice();
        shape.splice(axis, 0, 1);
        return { ...t, shape };
      });
      return concat(expanded, axis);
    }
    case 'ConcatV2': {
      const axisT = ins[ins.length - 1]!;
      const parts = ins.slice(0, -1);
      let axis = toNumbers(axisT)[0]!;
      if (axis < 0) axis += parts[0]!.shape.length;
      return concat(parts, axis);
    }
    case 'Fill': {
      const shape = toNumbers(a!);
      const out = alloc(b!.dtype, sizeOf(shape)).fill(b!.data[0]!);
      return [{ dtype: b!.dtype, shape, data: out }];
    }
    case 'SparseToDense': {
      const [indices, outShapeT, values, def] = ins as [ConstTensor, ConstTensor, ConstTensor, ConstTensor];
      const shape = toNumbers(outShapeT);
      const out = alloc(values.dtype, sizeOf(shape)).fill(def.data[0]!);
      const st = strides(shape);
      const rank = indices.shape.length === 2 ? indices.shape[1]! : 1;
      const count = indices.shape.length === 0 ? 1 : indices.shape[0]!;
      for (let i = 0; i < count; i++) {
        let flat = 0;
        for (let d = 0; d < rank; d++) flat += indices.data[i * rank + d]! * (rank === 1 ? 1 : st[d]!);
        out[flat] = values.shape.length === 0 ? values.data[0]! : values.data[i]!;
      }
      return [{ dtype: values.dtype, shape, data: out }];
    }
    case 'Range': {
      const [start, limit, delta] = ins.map((t) => toNumbers(t)[0]!) as [number, number, number];
      const vals: number[] = [];
      for (let v = start; delta > 0 ? v < limit : v > limit; v += delta) vals.push(v);
      return [constOf(a!.dtype, [vals.length], vals)];
    }
    case 'GatherV2': {
      const params = a!;
      const idx = b!;
      let axis = toNumbers(ins[2]!)[0]!;
      if (axis < 0) axis += params.shape.length;
      const outer = sizeOf(params.shape.slice(0, axis));
      const inner = sizeOf(params.shape.slice(axis + 1));
      const dim = params.shape[axis]!;
      const ids = toNumbers(idx);
      const shape = [...params.shape.slice(0, axis), ...idx.shape, ...params.shape.slice(axis + 1)];
      const out = alloc(params.dtype, sizeOf(shape));
      let o = 0;
      for (let i = 0; i < outer; i++)
        for (const id of ids) for (let j = 0; j < inner; j++) out[o++] = params.data[(i * dim + id) * inner + j]!;
      return [{ dtype: params.dtype, shape, data: out }];
    }
    default:
      return undefined;
  }
}

function concat(parts: ConstTensor[], axis: number): ConstTensor[] {
  const first = parts[0]!;
  const shape = first.shape.slice();
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  const outer = sizeOf(shape.slice(0, axis));
  const out = alloc(first.dtype, sizeOf(shape));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const p of parts) {
      const chunk = sizeOf(p.shape.slice(axis));
      for (let j = 0; j < chunk; j++) out[o++] = p.data[i * chunk + j]!;
    }
  }
  return [{ dtype: first.dtype, shape, data: out }];
}
