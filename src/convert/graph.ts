/** TF.js graph model (TensorFlow GraphDef as JSON) → ONNX graph. */
import { depthwiseToOihw, f, GraphBuilder, hwioToOihw, NCHW_TO_NHWC, NHWC_TO_NCHW } from './onnx-builder.js';
import { OnnxDataType } from './onnx-proto.js';
import { invalid, unsupported } from './errors.js';
import { foldOp, tfDtype, toNumbers, transposeConst } from './fold.js';
import type { GrayInput } from './index.js';
import type { ModelJson } from './tfjs-artifacts.js';
import type { ConstDType, ConstTensor } from './weights.js';

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, any>;
}

/**
 * A TF tensor during conversion: a constant (folded in JS) or a dynamic ONNX tensor. For dynamic
 * tensors `rank` and `batch` (the axis carrying the input batch) are tracked where provable.
 */
type Val = { kind: 'const'; t: ConstTensor } | { kind: 'dyn'; name: string; dtype: ConstDType; rank?: number; batch?: number };
type Meta = { rank?: number; batch?: number };

export interface GraphConversion {
  builder: GraphBuilder;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
  /** why the batch dimension stays as declared (first ops it could not be traced through) */
  batchNote?: string;
}

const BINARY_OPS: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  BiasAdd: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Div: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
  Pow: 'Pow',
};

const UNARY_OPS: Record<string, string> = {
  Relu: 'Relu',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  Exp: 'Exp',
  Log: 'Log',
  Sqrt: 'Sqrt',
  Neg: 'Neg',
  Abs: 'Abs',
  Floor: 'Floor',
  Ceil: 'Ceil',
  Elu: 'Elu',
  Selu: 'Selu',
  Softplus: 'Softplus',
  Reciprocal: 'Reciprocal',
  Erf: 'Erf',
};

const ALIAS_OPS = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient']);

function attrStr(a: any): string {
  return a?.s !== undefined ? Buffer.from(a.s, 'base64').toString('utf8') : '';
}
function attrInts(a: any): number[] {
  return (a?.list?.i ?? []).map(Number);
}
function attrStrs(a: any): string[] {
  return (a?.list?.s ?? []).map((s: string) => Buffer.from(s, 'base64').toString('utf8'));
}
function attrBool(a: any): boolean {
  return a?.b === true || a?.b === 'true';
}
function attrFloat(a: any, dflt: number): number {
  return a?.f !== undefined ? Number(a.f) : dflt;
}

/**
 * The model's one grey NHWC channel made from an RGB input of the same
 * name: [.., 3] x weights [3, 1] + offset, which is how @vladmandic/human
 * greys a face crop (a weighted sum of the channels) with the
 * normalisation folded in. Returns the grey tensor's name.
 */
function grayFront(g: GraphBuilder, name: string, shape: (number | string)[], gray: GrayInput, modelFile: string): string {
  if (shape.length !== 4 || shape[3] !== 1) {
    throw invalid(`${modelFile}: a grey input needs an NHWC input with one channel; '${name}' has shape [${shape.join(', ')}]`);
  }
  g.addInput(name, [...shape.slice(0, 3), 3], OnnxDataType.FLOAT);
  const w = g.initF32(`${name}/gray_weights`, [3, 1], gray.weights);
  const b = g.initF32(`${name}/gray_offset`, [1], [gray.offset]);
  return g.op('Add', [g.op('MatMul', [name, w], {}, `${name}/gray`), b], {}, `${name}/gray_normalized`);
}

function parseRef(ref: string): { node: string; idx: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
  return { node: m[1]!, idx: m[2] ? Number(m[2]) : 0 };
}

function onnxElem(d: ConstDType): OnnxDataType {
  return d === 'float32' ? OnnxDataType.FLOAT : d === 'int32' ? OnnxDataType.INT32 : OnnxDataType.BOOL;
}

export function convertGraphModel(json: ModelJson, weights: Map<string, ConstTensor>, modelFile: string, only?: string[], gray?: GrayInput): GraphConversion {
  const nodes: TfNode[] = json.modelTopology.node ?? [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const signature = json.signature ?? json.userDefinedMetadata?.signature;
  const g = new GraphBuilder();

  // Outputs: from the signature, else every non-const node nobody consumes.
  let outputRefs: string[];
  if (only?.length) {
    for (const ref of only) {
      if (!byName.has(parseRef(ref).node)) {
        const offered = signature?.outputs ? Object.values<any>(signature.outputs).map((o) => o.name as string) : [];
        throw invalid(`${modelFile}: no node '${parseRef(ref).node}' to convert as an output` +
          (offered.length ? ` (the model's signature offers: ${offered.join(', ')})` : ''));
      }
    }
    outputRefs = [...only];
  } else if (signature?.outputs && Object.keys(signature.outputs).length) {
    outputRefs = Object.values<any>(signature.outputs).map((o) => o.name as string);
  } else {
    const consumed = new Set<string>();
    for (const n of nodes) for (const i of n.input ?? []) consumed.add(parseRef(i.replace(/^\^/, '')).node);
    outputRefs = nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp' && n.op !== 'Placeholder').map((n) => n.name);
  }
  const outName = (ref: string) => {
    const r = parseRef(ref);
    return r.idx === 0 ? r.node : `${r.node}:${r.idx}`;
  };
  outputRefs.sort((a, b) => outName(a).localeCompare(outName(b), 'en', { numeric: true }));
  for (const r of outputRefs) g.reserve(outName(r));

  // Topological order (iterative DFS from the outputs; prunes dead nodes).
  const order: TfNode[] = [];
  const state = new Map<string, number>();
  for (const ref of outputRefs) {
    const root = parseRef(ref).node;
    const stack: [string, boolean][] = [[root, false]];
    while (stack.length) {
      const [name, done] = stack.pop()!;
      if (done) {
        state.set(name, 2);
        order.push(byName.get(name)!);
        continue;
      }
      if (state.has(name)) continue;
      const n = byName.get(name);
      if (!n) throw invalid(`${modelFile}: node '${name}' referenced but not defined`);
      state.set(name, 1);
      stack.push([name, true]);
      for (const i of n.input ?? []) {
        if (i.startsWith('^')) continue;
        const dep = parseRef(i).node;
        if (!state.has(dep)) stack.push([dep, false]);
      }
    }
  }

  const vals = new Map<string, Val>();
  const constInits = new Map<string, string>();
  const inputs: GraphConversion['inputs'] = [];
  /** ops through which the batch axis could not be followed */
  const batchLost: string[] = [];

  const key = (node: string, idx: number) => `${node}:${idx}`;
  const get = (ref: string, at: TfNode): Val => {
    const r = parseRef(ref);
    const v = vals.get(key(r.node, r.idx));
    if (!v) throw invalid(`${modelFile}: input '${ref}' of node '${at.name}' not available`);
    return v;
  };
  /** ONNX tensor name for a value (constants become initializers, once). */
  const tname = (v: Val, ref: string): string => {
    if (v.kind === 'dyn') return v.name;
    let n = constInits.get(ref);
    if (!n) {
      n = g.initConst(parseRef(ref).node, v.t);
      constInits.set(ref, n);
    }
    return n;
  };
  const needConst = (v: Val, n: TfNode, what: string): ConstTensor => {
    if (v.kind !== 'const') throw unsupported('op', `${n.op}(non-constant ${what})`, n.name, modelFile);
    return v.t;
  };

  for (const n of order) {
    const attr = n.attr ?? {};
    const refs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const ins = refs.map((r) => get(r, n));
    const setOut = (idx: number, v: Val) => vals.set(key(n.name, idx), v);

    if (n.op === 'Const') {
      const w = weights.get(n.name);
      if (!w) throw invalid(`${modelFile}: constant '${n.name}' has no weight data`);
      setOut(0, { kind: 'const', t: w });
      continue;
    }
    if (n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault') {
      if (n.op === 'PlaceholderWithDefault' && ins[0]?.kind === 'const') {
        setOut(0, ins[0]);
        continue;
      }
      const dims: any[] | undefined = attr.shape?.shape?.dim;
      if (!dims || attr.shape?.shape?.unknownRank) throw unsupported('op', 'Placeholder(unknown rank)', n.name, modelFile);
      const shape = dims.map((d, i) => {
        const s = Number(d.size ?? -1);
        return s < 0 ? (i === 0 ? 'batch' : `${n.name}_d${i}`) : s;
      });
      const dtype = tfDtype(attr.dtype);
      const batchCandidate = dims.length > 0 && (Number(dims[0].size ?? -1) < 0 || Number(dims[0].size) === 1);
      const batch = batchCandidate ? 0 : undefined;
      if (gray) {
        setOut(0, { kind: 'dyn', name: grayFront(g, n.name, shape, gray, modelFile), dtype, rank: dims.length, batch });
        inputs.push({ name: n.name, shape: [...shape.slice(0, -1), 3] });
        continue;
      }
      g.addInput(n.name, shape, onnxElem(dtype));
      inputs.push({ name: n.name, shape });
      setOut(0, { kind: 'dyn', name: n.name, dtype, rank: dims.length, batch });
      continue;
    }
    if (ALIAS_OPS.has(n.op)) {
      setOut(0, ins[0]!);
      continue;
    }
    // Constant folding: every input constant and the op is evaluable in JS.
    if (ins.length > 0 && ins.every((v) => v.kind === 'const')) {
      const folded = foldOp(
        n.op,
        ins.map((v) => (v as { t: ConstTensor }).t),
        attr,
      );
      if (folded) {
        folded.forEach((t, i) => setOut(i, { kind: 'const', t }));
        continue;
      }
    }
    const outs = convertNode(n, attr, refs, ins);
    const tracked = outs.some((v) => v.kind === 'dyn' && (v.batch !== undefined || v.rank !== undefined));
    const meta = tracked ? {} : batchMeta(n, attr, ins);
    outs.forEach((v, i) => {
      if (!tracked && v.kind === 'dyn') Object.assign(v, meta);
      setOut(i, v);
    });
  }

  function activation(y: string, act: string, n: TfNode, attr: Record<string, any>, extra: string[]): string {
    switch (act) {
      case '':
        return y;
      case 'Relu':
        return g.op('Relu', [y], {}, n.name);
      case 'Relu6':
        return g.op('Clip', [y, g.initF32('zero', [], [0]), g.initF32('six', [], [6])], {}, n.name);
      case 'Elu':
        return g.op('Elu', [y], { alpha: f(1) }, n.name);
      case 'Sigmoid':
        return g.op('Sigmoid', [y], {}, n.name);
      case 'Tanh':
        return g.op('Tanh', [y], {}, n.name);
      case 'LeakyRelu':
        return g.op('LeakyRelu', [y], { alpha: f(attrFloat(attr.leakyrelu_alpha, 0.2)) }, n.name);
      case 'Prelu': {
        if (!extra[0]) throw invalid(`${modelFile}: node '${n.name}' Prelu without alpha`);
        return g.op('PRelu', [y, extra[0]], {}, n.name);
      }
      default:
        throw unsupported('op', `${n.op}(fused ${act})`, n.name, modelFile);
    }
  }

  function convertNode(n: TfNode, attr: Record<string, any>, refs: string[], ins: Val[]): Val[] {
    const x = ins[0];
    const xn = () => tname(x!, refs[0]!);
    const dtype: ConstDType = attr.T ? tfDtype(attr.T) : x?.kind === 'dyn' ? x.dtype : 'float32';
    const out = (name: string, d: ConstDType = dtype): Val => ({ kind: 'dyn', name, dtype: d });
    const nhwc = (attrStr(attr.data_format) || 'NHWC') === 'NHWC';
    const toNchw = (name: string) => (nhwc ? g.op('Transpose', [name], { perm: NHWC_TO_NCHW }, `${n.name}/nchw`) : name);
    const fromNchw = (name: string) => (nhwc ? g.op('Transpose', [name], { perm: NCHW_TO_NHWC }, n.name) : name);
    const spatial = (v: number[]) => (v.length === 4 ? (nhwc ? [v[1]!, v[2]!] : [v[2]!, v[3]!]) : v.length ? v : [1, 1]);
    const padAttrs = (): Record<string, any> => {
      const padding = attrStr(attr.padding);
      if (padding === 'SAME') return { auto_pad: 'SAME_UPPER' };
      if (padding === 'VALID') return { pads: [0, 0, 0, 0] };
      if (padding === 'EXPLICIT') {
        const e = attrInts(attr.explicit_paddings);
        const [h, w] = nhwc ? [1, 2] : [2, 3];
        return { pads: [e[h * 2]!, e[w * 2]!, e[h * 2 + 1]!, e[w * 2 + 1]!] };
      }
      throw unsupported('op', `${n.op}(padding=${padding})`, n.name, modelFile);
    };

    if (BINARY_OPS[n.op]) {
      let bName = tname(ins[1]!, refs[1]!);
      if (n.op === 'BiasAdd' && !nhwc) {
        bName = g.op('Reshape', [bName, g.initI64(`${n.name}/bias_shape`, [-1, 1, 1])], {}, `${n.name}/bias`);
      }
      return [out(g.op(BINARY_OPS[n.op]!, [xn(), bName], {}, n.name))];
    }
    if (UNARY_OPS[n.op]) return [out(g.op(UNARY_OPS[n.op]!, [xn()], {}, n.name))];

    switch (n.op) {
      case 'SquaredDifference': {
        const d = g.op('Sub', [xn(), tname(ins[1]!, refs[1]!)], {}, `${n.name}/diff`);
        return [out(g.op('Mul', [d, d], {}, n.name))];
      }
      case 'Square':
        return [out(g.op('Mul', [xn(), xn()], {}, n.name))];
      case 'Rsqrt':
        return [out(g.op('Reciprocal', [g.op('Sqrt', [xn()], {}, `${n.name}/sqrt`)], {}, n.name))];
      case 'Relu6':
        return [out(activation(xn(), 'Relu6', n, attr, []))];
      case 'LeakyRelu':
        return [out(g.op('LeakyRelu', [xn()], { alpha: f(attrFloat(attr.alpha, 0.2)) }, n.name))];
      case 'Prelu':
        return [out(g.op('PRelu', [xn(), tname(ins[1]!, refs[1]!)], {}, n.name))];
      case 'Softmax':
        return [out(g.op('Softmax', [xn()], { axis: -1 }, n.name))];
      case 'LogSoftmax':
        return [out(g.op('LogSoftmax', [xn()], { axis: -1 }, n.name))];
      case 'AddN': {
        let acc = xn();
        for (let i = 1; i < ins.length; i++) acc = g.op('Add', [acc, tname(ins[i]!, refs[i]!)], {}, n.name);
        return [out(acc)];
      }
      case 'Cast': {
        const to = tfDtype(attr.DstT);
        return [out(g.op('Cast', [xn()], { to: onnxElem(to) }, n.name), to)];
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const depthwise = n.op.includes('Depthwise');
        const filter = needConst(ins[1]!, n, 'filter');
        if (filter.shape.length !== 4) throw unsupported('op', `${n.op}(filter rank ${filter.shape.length})`, n.name, modelFile);
        const w = depthwise ? depthwiseToOihw(filter.data as Float32Array, filter.shape) : hwioToOihw(filter.data as Float32Array, filter.shape);
        const group = depthwise ? filter.shape[2]! : 1;
        const fused = n.op.startsWith('Fused') || n.op.startsWith('_Fused') ? attrStrs(attr.fused_ops) : [];
        const convIns = [toNchw(xn()), g.initF32(`${refs[1]}/oihw`, w.dims, w.data)];
        let rest = fused;
        if (fused[0] === 'BiasAdd') {
          convIns.push(tname(ins[2]!, refs[2]!));
          rest = fused.slice(1);
        } else if (fused.length) {
          throw unsupported('op', `${n.op}(fused ${fused.join(',')})`, n.name, modelFile);
        }
        const k = [filter.shape[0]!, filter.shape[1]!];
        let y = g.op(
          'Conv',
          convIns,
          { kernel_shape: k, strides: spatial(attrInts(attr.strides)), dilations: spatial(attrInts(attr.dilations)), group, ...padAttrs() },
          `${n.name}/conv`,
        );
        if (rest.length > 1) throw unsupported('op', `${n.op}(fused ${fused.join(',')})`, n.name, modelFile);
        const extra = ins.slice(3).map((v, i) => tname(v, refs[i + 3]!));
        if (rest[0] === 'Prelu' && nhwc && extra[0]) {
          // alpha is per channel (last axis in NHWC): reshape to [C,1,1] for the NCHW tensor
          extra[0] = g.op('Reshape', [extra[0], g.initI64(`${n.name}/alpha_shape`, [-1, 1, 1])], {}, `${n.name}/alpha`);
        }
        y = activation(y, rest[0] ?? '', n, attr, extra);
        return [out(fromNchw(y))];
      }
      case 'MaxPool':
      case 'AvgPool': {
        const k = spatial(attrInts(attr.ksize));
        const attrs: Record<string, any> = { kernel_shape: k, strides: spatial(attrInts(attr.strides)), ...padAttrs() };
        if (n.op === 'AvgPool') attrs.count_include_pad = 0;
        const y = g.op(n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [toNchw(xn())], attrs, `${n.name}/pool`);
        return [out(fromNchw(y))];
      }
      case 'FusedBatchNorm':
      case 'FusedBatchNormV2':
      case 'FusedBatchNormV3': {
        const y = g.op(
          'BatchNormalization',
          [toNchw(xn()), ...[1, 2, 3, 4].map((i) => tname(ins[i]!, refs[i]!))],
          { epsilon: f(attrFloat(attr.epsilon, 1e-3)) },
          `${n.name}/bn`,
        );
        return [out(fromNchw(y))];
      }
      case 'MatMul':
      case '_FusedMatMul':
      case 'BatchMatMul':
      case 'BatchMatMulV2': {
        const ta = attrBool(attr.transpose_a) || attrBool(attr.adj_x);
        const tb = attrBool(attr.transpose_b) || attrBool(attr.adj_y);
        let a = xn();
        if (ta) a = g.op('Transpose', [a], { perm: [1, 0] }, `${n.name}/a_t`);
        let b: string;
        const bv = ins[1]!;
        if (bv.kind === 'const' && tb) {
          b = g.initConst(`${refs[1]}/t`, transposeConst(bv.t, [1, 0]));
        } else {
          b = tname(bv, refs[1]!);
          if (tb) b = g.op('Transpose', [b], { perm: [1, 0] }, `${n.name}/b_t`);
        }
        let y = g.op('MatMul', [a, b], {}, `${n.name}/matmul`);
        const fused = n.op === '_FusedMatMul' ? attrStrs(attr.fused_ops) : [];
        let rest = fused;
        if (fused[0] === 'BiasAdd') {
          y = g.op('Add', [y, tname(ins[2]!, refs[2]!)], {}, `${n.name}/bias`);
          rest = fused.slice(1);
        } else if (fused.length) throw unsupported('op', `${n.op}(fused ${fused.join(',')})`, n.name, modelFile);
        if (rest.length > 1) throw unsupported('op', `${n.op}(fused ${fused.join(',')})`, n.name, modelFile);
        const extra = ins.slice(3).map((v, i) => tname(v, refs[i + 3]!));
        return [out(activation(y, rest[0] ?? '', n, attr, extra))];
      }
      case 'Reshape': {
        const s = ins[1]!;
        if (s.kind === 'const') {
          const target = toNumbers(s.t);
          // A leading 1 that reshapes a tensor whose axis 0 is the (size-1) batch keeps the batch
          // axis: write it as 0 ("copy input dim 0") so the graph also runs for larger batches.
          const keepsBatch = x?.kind === 'dyn' && x.batch === 0 && target.length > 0 && target[0] === 1;
          if (keepsBatch) target[0] = 0;
          else if (x?.kind === 'dyn' && x.batch !== undefined) batchLost.push(`${n.op} '${n.name}'`);
          const y = g.op('Reshape', [xn(), g.initI64(`${n.name}/shape`, target)], {}, n.name);
          return [{ kind: 'dyn', name: y, dtype, rank: target.length, batch: keepsBatch ? 0 : undefined }];
        }
        const shape = g.op('Cast', [s.name], { to: OnnxDataType.INT64 }, `${n.name}/shape`);
        return [out(g.op('Reshape', [xn(), shape], {}, n.name))];
      }
      case 'Transpose': {
        const perm = toNumbers(needConst(ins[1]!, n, 'perm'));
        return [out(g.op('Transpose', [xn()], { perm }, n.name))];
      }
      case 'Squeeze': {
        const dims = attrInts(attr.squeeze_dims ?? attr.axis);
        const i = dims.length ? [xn(), g.initI64(`${n.name}/axes`, dims)] : [xn()];
        return [out(g.op('Squeeze', i, {}, n.name))];
      }
      case 'ExpandDims': {
        const axis = toNumbers(needConst(ins[1]!, n, 'axis'));
        return [out(g.op('Unsqueeze', [xn(), g.initI64(`${n.name}/axes`, axis)], {}, n.name))];
      }
      case 'ConcatV2': {
        const axis = toNumbers(needConst(ins[ins.length - 1]!, n, 'axis'))[0]!;
        const parts = ins.slice(0, -1).map((v, i) => tname(v, refs[i]!));
        return [out(g.op('Concat', parts, { axis }, n.name))];
      }
      case 'Pad':
      case 'PadV2':
      case 'MirrorPad': {
        const p = toNumbers(needConst(ins[1]!, n, 'paddings'));
        const r = p.length / 2;
        const pads = [...Array.from({ length: r }, (_, i) => p[i * 2]!), ...Array.from({ length: r }, (_, i) => p[i * 2 + 1]!)];
        const padIns = [xn(), g.initI64(`${n.name}/pads`, pads)];
        let mode = 'constant';
        if (n.op === 'PadV2') padIns.push(tname(ins[2]!, refs[2]!));
        if (n.op === 'MirrorPad') {
          const m = attrStr(attr.mode);
          if (m !== 'REFLECT') throw unsupported('op', `MirrorPad(${m})`, n.name, modelFile);
          mode = 'reflect';
        }
        return [out(g.op('Pad', padIns, { mode }, n.name))];
      }
      case 'SplitV':
      case 'Split': {
        const num = Number(attr.num_split?.i ?? 1);
        let axis: number;
        const splitIns: string[] = [];
        const attrs: Record<string, any> = {};
        if (n.op === 'Split') {
          axis = toNumbers(needConst(ins[0]!, n, 'axis'))[0]!;
          splitIns.push(tname(ins[1]!, refs[1]!));
          attrs.num_outputs = num;
        } else {
          const sizes = toNumbers(needConst(ins[1]!, n, 'size_splits'));
          if (sizes.some((s) => s < 0)) throw unsupported('op', 'SplitV(size -1)', n.name, modelFile);
          axis = toNumbers(needConst(ins[2]!, n, 'split_dim'))[0]!;
          splitIns.push(xn(), g.initI64(`${n.name}/split`, sizes));
        }
        attrs.axis = axis;
        const names = g.node('Split', splitIns, attrs, n.name, num);
        return names.map((nm) => out(nm));
      }
      case 'ResizeBilinear':
      case 'ResizeNearestNeighbor': {
        const size = toNumbers(needConst(ins[1]!, n, 'size'));
        const align = attrBool(attr.align_corners);
        const half = attrBool(attr.half_pixel_centers);
        const bilinear = n.op === 'ResizeBilinear';
        const attrs: Record<string, any> = { axes: [2, 3], mode: bilinear ? 'linear' : 'nearest' };
        if (bilinear) attrs.coordinate_transformation_mode = align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric';
        else {
          attrs.coordinate_transformation_mode = align ? 'align_corners' : half ? 'tf_half_pixel_for_nn' : 'asymmetric';
          attrs.nearest_mode = align ? 'round_prefer_ceil' : 'floor';
        }
        const xnchw = g.op('Transpose', [xn()], { perm: NHWC_TO_NCHW }, `${n.name}/nchw`);
        const y = g.op('Resize', [xnchw, '', '', g.initI64(`${n.name}/sizes`, size)], attrs, `${n.name}/resize`);
        return [out(g.op('Transpose', [y], { perm: NCHW_TO_NHWC }, n.name))];
      }
      case 'Mean':
      case 'Sum':
      case 'Max':
      case 'Min':
      case 'Prod': {
        const axes = toNumbers(needConst(ins[1]!, n, 'axes'));
        const op = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin', Prod: 'ReduceProd' }[n.op]!;
        return [out(g.op(op, [xn(), g.initI64(`${n.name}/axes`, axes)], { keepdims: attrBool(attr.keep_dims) ? 1 : 0 }, n.name))];
      }
      default:
        throw unsupported('op', n.op, n.name, modelFile);
    }
  }

  /** Provable rank / batch-axis propagation through one op; sets `batchLost` when unsure. */
  function batchMeta(n: TfNode, attr: Record<string, any>, ins: Val[]): Meta {
    const carries = ins.some((v) => v.kind === 'dyn' && v.batch !== undefined);
    const lost = (): Meta => {
      if (carries) batchLost.push(`${n.op} '${n.name}'`);
      return {};
    };
    if (BINARY_OPS[n.op] || n.op === 'SquaredDifference') {
      const [a, c] = ins as [Val, Val];
      if (a.kind === 'dyn' && c.kind === 'dyn') return a.batch === c.batch && a.rank === c.rank && a.rank !== undefined ? { rank: a.rank, batch: a.batch } : lost();
      const d = (a.kind === 'dyn' ? a : c) as Extract<Val, { kind: 'dyn' }>;
      const k = (a.kind === 'const' ? a : c) as Extract<Val, { kind: 'const' }>;
      if (d.rank === undefined) return lost();
      const rc = k.t.shape.length;
      if (rc > d.rank) return lost();
      if (d.batch !== undefined && rc >= d.rank - d.batch && k.t.shape[d.batch - (d.rank - rc)] !== 1) return lost();
      return { rank: d.rank, batch: d.batch };
    }
    const x = ins[0];
    if (!x || x.kind !== 'dyn') return lost();
    const xm: Meta = { rank: x.rank, batch: x.batch };
    const op = n.op;
    if (UNARY_OPS[op] || ['Relu6', 'LeakyRelu', 'Cast', 'Square', 'Rsqrt'].includes(op)) return xm;
    if ((op === 'Softmax' || op === 'LogSoftmax') && (x.rank ?? 0) >= 2) return xm;
    if (op === 'Prelu') {
      const y = ins[1]!;
      return y.kind === 'const' && x.rank !== undefined && y.t.shape.length < x.rank - (x.batch ?? 0) ? xm : lost();
    }
    if (/Conv2D|Depthwise|^MaxPool$|^AvgPool$|FusedBatchNorm|^Resize/.test(op)) {
      return x.rank === 4 && (x.batch === 0 || x.batch === undefined) ? { rank: 4, batch: x.batch } : lost();
    }
    if (x.batch === undefined) return { rank: undefined };
    const b = x.batch;
    const r = x.rank;
    switch (op) {
      case 'Transpose': {
        const perm = toNumbers((ins[1] as { t: ConstTensor }).t);
        return { rank: perm.length, batch: perm.indexOf(b) };
      }
      case 'Pad':
      case 'PadV2':
      case 'MirrorPad': {
        const p = toNumbers((ins[1] as { t: ConstTensor }).t);
        return p[b * 2] === 0 && p[b * 2 + 1] === 0 ? xm : lost();
      }
      case 'ConcatV2': {
        const parts = ins.slice(0, -1);
        if (r === undefined || !parts.every((v) => v.kind === 'dyn' && v.batch === b && v.rank === r)) return lost();
        let axis = toNumbers((ins[ins.length - 1] as { t: ConstTensor }).t)[0]!;
        if (axis < 0) axis += r;
        return axis !== b ? xm : lost();
      }
      case 'SplitV': {
        if (r === undefined) return lost();
        let axis = toNumbers((ins[2] as { t: ConstTensor }).t)[0]!;
        if (axis < 0) axis += r;
        return axis !== b ? xm : lost();
      }
      case 'Squeeze': {
        const dims = attrInts(attr.squeeze_dims ?? attr.axis).map((d) => (d < 0 && r !== undefined ? d + r : d));
        if (!dims.length || dims.includes(b) || dims.some((d) => d < 0)) return lost();
        return { rank: r === undefined ? undefined : r - dims.length, batch: b - dims.filter((d) => d < b).length };
      }
      case 'MatMul':
      case '_FusedMatMul':
        return r === 2 && b === 0 && !attrBool(attr.transpose_a) && ins[1]?.kind === 'const' ? xm : lost();
      default:
        return lost();
    }
  }

  // Dynamic batch: only when every op provably carries axis 0 of the input(s) to axis 0 of every output.
  const outVals = outputRefs.map((ref) => {
    const r = parseRef(ref);
    return vals.get(key(r.node, r.idx));
  });
  const dynamicBatch =
    batchLost.length === 0 &&
    inputs.every((i) => {
      const v = vals.get(key(i.name, 0));
      return v?.kind === 'dyn' && v.batch === 0;
    }) &&
    outVals.every((v) => v?.kind === 'dyn' && v.batch === 0);
  if (dynamicBatch) {
    for (const i of inputs) i.shape[0] = 'batch';
    for (const vi of g.inputs) if (vi.shape) vi.shape[0] = 'batch';
  }

  const outputs: GraphConversion['outputs'] = [];
  const sigOut = signature?.outputs ?? {};
  for (const ref of outputRefs) {
    const name = outName(ref);
    const r = parseRef(ref);
    const v = vals.get(key(r.node, r.idx));
    if (!v) throw invalid(`${modelFile}: output '${ref}' was not computed`);
    g.op('Identity', [tname(v, ref)], {}, name, name);
    const dims: any[] | undefined = (Object.values<any>(sigOut).find((o) => o.name === ref) ?? sigOut[ref])?.tensorShape?.dim;
    const shape: (number | string)[] = dims
      ? dims.map((d, i) => {
          const s = Number(d.size ?? -1);
          return s < 0 ? (i === 0 ? 'batch' : `${name}_d${i}`) : s;
        })
      : [];
    if (dynamicBatch && shape.length) shape[0] = 'batch';
    const dtype = v.kind === 'dyn' ? v.dtype : v.t.dtype;
    g.addOutput(name, dims ? shape : null, onnxElem(dtype));
    outputs.push({ name, shape });
  }
  return { builder: g, inputs, outputs, batchNote: dynamicBatch ? undefined : batchLost.slice(0, 3).join(', ') || undefined };
}
