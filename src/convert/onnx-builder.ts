/** Graph building helpers on top of the ONNX protobuf writer. */
import { encodeModel, OnnxDataType, type AttrValue, type NodeData, type TensorData, type ValueInfoData } from './onnx-proto.js';
import type { ConstTensor } from './weights.js';

export const OPSET = 18;
export const IR_VERSION = 8;

export type Attrs = Record<string, number | number[] | string | { floats: number[] } | { float: number } | undefined>;

function toAttr(v: NonNullable<Attrs[string]>): AttrValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  }
  if (Array.isArray(v)) return { kind: 'ints', value: v };
  if ('floats' in v) return { kind: 'floats', value: v.floats };
  return { kind: 'float', value: v.float };
}

/** Float attribute even for integral values (e.g. Clip-like or alpha=1). */
export function f(value: number): { float: number } {
  return { float: value };
}

function le(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

export class GraphBuilder {
  readonly nodes: NodeData[] = [];
  readonly initializers: TensorData[] = [];
  readonly inputs: ValueInfoData[] = [];
  readonly outputs: ValueInfoData[] = [];
  private used = new Set<string>();
  private counter = 0;

  /** A fresh, unused tensor name derived from `base`. */
  fresh(base: string): string {
    let name = base;
    while (this.used.has(name)) name = `${base}__${++this.counter}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  addInput(name: string, shape: (number | string)[], elemType = OnnxDataType.FLOAT): string {
    this.reserve(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  addOutput(name: string, shape: (number | string | null)[] | null, elemType = OnnxDataType.FLOAT): void {
    this.outputs.push({ name, elemType, shape });
  }

  initF32(base: string, dims: number[], data: Float32Array | number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const name = this.fresh(base);
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, raw: le(arr) });
    return name;
  }

  initI64(base: string, values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh(base);
    const arr = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: OnnxDataType.INT64, raw: le(arr) });
    return name;
  }

  initI32(base: string, dims: number[], data: Int32Array): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, dataType: OnnxDataType.INT32, raw: le(data) });
    return name;
  }

  /** Initializer from a constant tensor, keeping its element type. */
  initConst(base: string, t: ConstTensor): string {
    if (t.dtype === 'float32') return this.initF32(base, t.shape, t.data as Float32Array);
    if (t.dtype === 'int32') return this.initI32(base, t.shape, t.data as Int32Array);
    const name = this.fresh(base);
    this.initializers.push({ name, dims: t.shape, dataType: OnnxDataType.BOOL, raw: le(t.data) });
    return name;
  }

  /**
   * Append a node. `outputs` may be a number (that many fresh outputs named after `name`)
   * or explicit names (reserved as given). Returns the output names.
   */
  node(opType: string, inputs: string[], attrs: Attrs = {}, name = opType, outputs: number | string[] = 1): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(outputs === 1 ? name : `${name}:${i}`))
        : outputs.map((o) => {
            this.reserve(o);
            return o;
          });
    const attributes: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) attributes[k] = toAttr(v);
    this.nodes.push({ name: this.fresh(`${name}#node`), opType, inputs, outputs: outNames, attributes });
    return outNames;
  }

  /** Single-output convenience wrapper. */
  op(opType: string, inputs: string[], attrs: Attrs = {}, name = opType, output?: string): string {
    return this.node(opType, inputs, attrs, name, output ? [output] : 1)[0]!;
  }

  toBytes(graphName: string, producerVersion: string, docString?: string): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: OPSET,
      producerName: 'imlage-convert',
      producerVersion,
      docString,
      graph: {
        name: graphName,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs,
        outputs: this.outputs,
      },
    });
  }
}

/** Explicit ONNX pads [top, left, bottom, right] for TF-style SAME padding of one spatial axis pair. */
export function samePads(inSize: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < inSize.length; i++) {
    const out = Math.ceil(inSize[i]! / strides[i]!);
    const k = (kernel[i]! - 1) * dilations[i]! + 1;
    const total = Math.max((out - 1) * strides[i]! + k - inSize[i]!, 0);
    begin.push(Math.floor(total / 2));
    end.push(total - Math.floor(total / 2));
  }
  return [...begin, ...end];
}

/** Transpose TF HWIO conv kernel [kh,kw,in,out] → ONNX OIHW [out,in,kh,kw]. */
export function hwioToOihw(k: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = k[((y * kw + x) * ci + i) * co + o]!;
  return { data: out, dims: [co, ci, kh, kw] };
}

/** Transpose TF depthwise kernel [kh,kw,in,mult] → ONNX grouped conv weight [in*mult,1,kh,kw]. */
export function depthwiseToOihw(k: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, ci, m] = shape as [number, number, number, number];
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < ci; c++)
        for (let j = 0; j < m; j++) out[((c * m + j) * kh + y) * kw + x] = k[((y * kw + x) * ci + c) * m + j]!;
  return { data: out, dims: [ci * m, 1, kh, kw] };
}

export const NHWC_TO_NCHW = [0, 3, 1, 2];
export const NCHW_TO_NHWC = [0, 2, 3, 1];
