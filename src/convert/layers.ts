/** Keras (TF.js layers model) topology → ONNX graph. Rank-4 tensors are kept NCHW inside the graph. */
import { depthwiseToOihw, f, GraphBuilder, hwioToOihw, NCHW_TO_NHWC, NHWC_TO_NCHW, samePads } from './onnx-builder.js';
import { invalid, unsupported } from './errors.js';
import type { ConstTensor } from './weights.js';

type Dim = number | null;

interface KTensor {
  /** ONNX tensor name */
  name: string;
  /** logical Keras shape (channels_last), batch first */
  shape: Dim[];
  /** whether the ONNX tensor is stored NCHW (only for rank 4) */
  nchw: boolean;
}

interface KLayer {
  name: string;
  class_name: string;
  config: any;
  inbound_nodes: any[];
}

export interface LayersConversion {
  builder: GraphBuilder;
  inputs: { name: string; shape: (number | string)[] }[];
  outputs: { name: string; shape: (number | string)[] }[];
}

const BATCH = 'batch';

function dimsOut(shape: Dim[], names: string[] = []): (number | string)[] {
  return shape.map((d, i) => (d === null || d < 0 ? (i === 0 ? BATCH : (names[i] ?? `d${i}`)) : d));
}

function pair(v: unknown, name: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [Number(v[0]), Number(v[1])];
  if (Array.isArray(v) && v.length === 1) return [Number(v[0]), Number(v[0])];
  throw invalid(`bad ${name}: ${JSON.stringify(v)}`);
}

function convOut(size: Dim, k: number, s: number, d: number, padding: string): Dim {
  if (size === null) return null;
  if (padding === 'same') return Math.ceil(size / s);
  return Math.floor((size - ((k - 1) * d + 1)) / s) + 1;
}

export function convertLayersModel(
  topology: any,
  weights: Map<string, ConstTensor>,
  modelFile: string,
): LayersConversion {
  const modelConfig = topology.model_config ?? topology;
  const cls: string = modelConfig.class_name;
  let config = modelConfig.config;
  let layers: KLayer[];
  let inputLayers: [string, number, number][];
  let outputLayers: [string, number, number][];
  if (cls === 'Sequential') {
    const list: any[] = Array.isArray(config) ? config : config.layers;
    layers = [];
    let prev: string | null = null;
    for (const l of list) {
      const name: string = l.config.name;
      if (prev === null && l.class_name !== 'InputLayer') {
        const shape = l.config.batch_input_shape;
        if (!shape) throw invalid(`${modelFile}: Sequential model without an input shape`);
        layers.push({ name: `${name}_input`, class_name: 'InputLayer', config: { batch_input_shape: shape, name: `${name}_input` }, inbound_nodes: [] });
        prev = `${name}_input`;
      }
      layers.push({ name, class_name: l.class_name, config: l.config, inbound_nodes: prev ? [[[prev, 0, 0, {}]]] : [] });
      prev = name;
    }
    inputLayers = [[layers[0]!.name, 0, 0]];
    outputLayers = [[prev!, 0, 0]];
  } else if (cls === 'Model' || cls === 'Functional') {
    layers = config.layers;
    inputLayers = config.input_layers;
    outputLayers = config.output_layers;
  } else {
    throw unsupported('layer', cls, config?.name ?? '(model)', modelFile, 'top-level model class');
  }
  config = undefined;

  const g = new GraphBuilder();
  const tensors = new Map<string, KTensor>();
  const key = (layer: string, node: number, idx: number) => `${layer}:${node}:${idx}`;
  const outNames = outputLayers.map((o) => o[0]);
  for (const n of outNames) g.reserve(n);

  const getWeight = (layer: string, w: string, required = true): ConstTensor | undefined => {
    let t = weights.get(`${layer}/${w}`);
    if (!t) {
      for (const [k, v] of weights) {
        if (k.endsWith(`/${layer}/${w}`) || k === `${layer}/${w}:0`) {
          t = v;
          break;
        }
      }
    }
    if (!t && required) throw invalid(`${modelFile}: weight '${layer}/${w}' not found`);
    return t;
  };

  const toNchw = (t: KTensor): KTensor => {
    if (t.shape.length !== 4 || t.nchw) return t;
    return { name: g.op('Transpose', [t.name], { perm: NHWC_TO_NCHW }, `${t.name}/nchw`), shape: t.shape, nchw: true };
  };
  const toNhwc = (t: KTensor): KTensor => {
    if (!t.nchw) return t;
    return { name: g.op('Transpose', [t.name], { perm: NCHW_TO_NHWC }, `${t.name}/nhwc`), shape: t.shape, nchw: false };
  };
  /** ONNX axis for a Keras axis of tensor t. */
  const axisOf = (t: KTensor, axis: number): number => {
    const r = t.shape.length;
    const a = axis < 0 ? axis + r : axis;
    return t.nchw ? [0, 2, 3, 1][a]! : a;
  };

  const activation = (t: KTensor, act: string | undefined, layer: string, cfg: any = {}): KTensor => {
    const name = `${layer}/${act}`;
    const unary = (op: string, attrs = {}) => ({ ...t, name: g.op(op, [t.name], attrs, name) });
    switch (act ?? 'linear') {
      case 'linear':
        return t;
      case 'relu':
        return unary('Relu');
      case 'relu6':
        return { ...t, name: g.op('Clip', [t.name, g.initF32('zero', [], [0]), g.initF32('six', [], [6])], {}, name) };
      case 'sigmoid':
        return unary('Sigmoid');
      case 'tanh':
        return unary('Tanh');
      case 'elu':
        return unary('Elu', { alpha: f(cfg.alpha ?? 1) });
      case 'selu':
        return unary('Selu');
      case 'softplus':
        return unary('Softplus');
      case 'softsign':
        return unary('Softsign');
      case 'exponential':
        return unary('Exp');
      case 'hard_sigmoid':
        return unary('HardSigmoid', { alpha: f(0.2), beta: f(0.5) });
      case 'swish':
      case 'silu': {
        const s = g.op('Sigmoid', [t.name], {}, `${name}/sigmoid`);
        return { ...t, name: g.op('Mul', [t.name, s], {}, name) };
      }
      case 'softmax':
        return { ...t, name: g.op('Softmax', [t.name], { axis: t.nchw ? 1 : -1 }, name) };
      default:
        throw unsupported('layer', `activation:${act}`, layer, modelFile);
    }
  };

  const inputs: LayersConversion['inputs'] = [];

  for (const layer of layers) {
    const c = layer.config ?? {};
    const lname = layer.name;
    if (layer.class_name === 'InputLayer') {
      const shape: Dim[] = (c.batch_input_shape ?? c.batch_shape).map((d: number | null) => (d === null || d < 0 ? null : d));
      const onnxShape = dimsOut(shape, ['', 'height', 'width', 'channels']);
      const name = g.addInput(lname, onnxShape);
      inputs.push({ name, shape: onnxShape });
      let t: KTensor = { name, shape, nchw: false };
      if (shape.length === 4) t = toNchw(t);
      tensors.set(key(lname, 0, 0), t);
      continue;
    }
    layer.inbound_nodes.forEach((inbound: any, nodeIdx: number) => {
      if (!Array.isArray(inbound)) throw unsupported('layer', layer.class_name, lname, modelFile, 'unsupported inbound node format');
      const ins = inbound.map((ref: any[]) => {
        const t = tensors.get(key(ref[0], ref[1], ref[2]));
        if (!t) throw invalid(`${modelFile}: layer '${lname}' input '${ref[0]}' not computed yet`);
        return t;
      });
      const out = convertLayer(layer, c, ins);
      tensors.set(key(lname, nodeIdx, 0), out);
    });
  }

  function convertLayer(layer: KLayer, c: any, ins: KTensor[]): KTensor {
    const lname = layer.name;
    const x = ins[0]!;
    switch (layer.class_name) {
      case 'Dropout':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
      case 'ActivityRegularization':
        return x;
      case 'Activation':
        return activation(x, c.activation, lname, c);
      case 'ReLU': {
        const maxValue: number | null = c.max_value ?? null;
        const slope: number = c.negative_slope ?? 0;
        const threshold: number = c.threshold ?? 0;
        if (threshold !== 0) throw unsupported('layer', 'ReLU(threshold)', lname, modelFile);
        if (slope !== 0) {
          let y = g.op('LeakyRelu', [x.name], { alpha: f(slope) }, lname);
          if (maxValue !== null) y = g.op('Min', [y, g.initF32(`${lname}/max`, [], [maxValue])], {}, lname);
          return { ...x, name: y };
        }
        if (maxValue !== null) {
          return { ...x, name: g.op('Clip', [x.name, g.initF32(`${lname}/min`, [], [0]), g.initF32(`${lname}/max`, [], [maxValue])], {}, lname) };
        }
        return { ...x, name: g.op('Relu', [x.name], {}, lname) };
      }
      case 'LeakyReLU':
        return { ...x, name: g.op('LeakyRelu', [x.name], { alpha: f(c.alpha ?? c.negative_slope ?? 0.3) }, lname) };
      case 'ELU':
        return { ...x, name: g.op('Elu', [x.name], { alpha: f(c.alpha ?? 1) }, lname) };
      case 'Softmax': {
        const axis = typeof c.axis === 'number' ? c.axis : -1;
        return { ...x, name: g.op('Softmax', [x.name], { axis: axisOf(x, axis) }, lname) };
      }
      case 'ZeroPadding2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw unsupported('layer', 'ZeroPadding2D(channels_first)', lname, modelFile);
        const p = c.padding;
        let top: number, bottom: number, left: number, right: number;
        if (typeof p === 'number') [top, bottom, left, right] = [p, p, p, p];
        else if (Array.isArray(p) && typeof p[0] === 'number') [top, bottom, left, right] = [p[0], p[0], p[1], p[1]];
        else [[top, bottom], [left, right]] = p;
        const t = toNchw(x);
        const pads = g.initI64(`${lname}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
        const [n, h, w, ch] = t.shape;
        return {
          name: g.op('Pad', [t.name, pads], { mode: 'constant' }, lname),
          shape: [n!, h === null ? null : h! + top + bottom, w === null ? null : w! + left + right, ch!],
          nchw: true,
        };
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw unsupported('layer', `${layer.class_name}(channels_first)`, lname, modelFile);
        const depthwise = layer.class_name === 'DepthwiseConv2D';
        const t = toNchw(x);
        const [kh, kw] = pair(c.kernel_size, 'kernel_size');
        const [sh, sw] = pair(c.strides ?? 1, 'strides');
        const [dh, dw] = pair(c.dilation_rate ?? 1, 'dilation_rate');
        const padding: string = c.padding;
        const k = getWeight(lname, depthwise ? 'depthwise_kernel' : 'kernel')!;
        const groups: number = depthwise ? k.shape[2]! : (c.groups ?? 1);
        const w = depthwise ? depthwiseToOihw(k.data as Float32Array, k.shape) : hwioToOihw(k.data as Float32Array, k.shape);
        // (a Keras grouped conv kernel is [kh,kw,in/groups,out]: HWIO → OIHW is already right)
        const inputsArr = [t.name, g.initF32(`${lname}/kernel`, w.dims, w.data)];
        if (c.use_bias !== false) {
          const b = getWeight(lname, 'bias')!;
          inputsArr.push(g.initF32(`${lname}/bias`, b.shape, b.data as Float32Array));
        }
        const [n, h, wd] = t.shape;
        const attrs: Record<string, any> = { kernel_shape: [kh, kw], strides: [sh, sw], dilations: [dh, dw], group: groups };
        if (padding === 'same') {
          if (h !== null && wd !== null) attrs.pads = samePads([h!, wd!], [kh, kw], [sh, sw], [dh, dw]);
          else attrs.auto_pad = 'SAME_UPPER';
        } else if (padding === 'valid') attrs.pads = [0, 0, 0, 0];
        else throw unsupported('layer', `${layer.class_name}(padding=${padding})`, lname, modelFile);
        const y = g.op('Conv', inputsArr, attrs, lname);
        const outC = w.dims[0]!;
        const out: KTensor = {
          name: y,
          shape: [n!, convOut(h!, kh, sh, dh, padding), convOut(wd!, kw, sw, dw, padding), outC],
          nchw: true,
        };
        return activation(out, c.activation, lname);
      }
      case 'BatchNormalization': {
        const axis: number = Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1);
        const r = x.shape.length;
        const a = axis < 0 ? axis + r : axis;
        if (a !== r - 1) throw unsupported('layer', `BatchNormalization(axis=${axis})`, lname, modelFile);
        const mean = getWeight(lname, 'moving_mean')!;
        const variance = getWeight(lname, 'moving_variance')!;
        const ch = mean.shape[0]!;
        const gamma = c.scale !== false ? getWeight(lname, 'gamma')!.data : new Float32Array(ch).fill(1);
        const beta = c.center !== false ? getWeight(lname, 'beta')!.data : new Float32Array(ch);
        const t = r === 4 ? toNchw(x) : x;
        if (r !== 4 && r !== 2) throw unsupported('layer', `BatchNormalization(rank ${r})`, lname, modelFile);
        const y = g.op(
          'BatchNormalization',
          [
            t.name,
            g.initF32(`${lname}/gamma`, [ch], gamma as Float32Array),
            g.initF32(`${lname}/beta`, [ch], beta as Float32Array),
            g.initF32(`${lname}/moving_mean`, [ch], mean.data as Float32Array),
            g.initF32(`${lname}/moving_variance`, [ch], variance.data as Float32Array),
          ],
          { epsilon: f(c.epsilon ?? 1e-3) },
          lname,
        );
        return { ...t, name: y };
      }
      case 'Add':
      case 'Multiply':
      case 'Subtract':
      case 'Maximum':
      case 'Minimum':
      case 'Average': {
        const op = { Add: 'Add', Multiply: 'Mul', Subtract: 'Sub', Maximum: 'Max', Minimum: 'Min', Average: 'Add' }[layer.class_name]!;
        const first = ins[0]!;
        const all = ins.map((t) => (first.nchw ? toNchw(t) : toNhwc(t)));
        let acc = all[0]!.name;
        for (let i = 1; i < all.length; i++) acc = g.op(op, [acc, all[i]!.name], {}, lname);
        if (layer.class_name === 'Average') acc = g.op('Div', [acc, g.initF32(`${lname}/n`, [], [all.length])], {}, lname);
        return { ...all[0]!, name: acc };
      }
      case 'Concatenate': {
        const first = ins[0]!;
        const all = ins.map((t) => (first.nchw ? toNchw(t) : toNhwc(t)));
        const axis: number = c.axis ?? -1;
        const r = first.shape.length;
        const a = axis < 0 ? axis + r : axis;
        const shape = first.shape.slice();
        shape[a] = all.reduce<Dim>((acc, t) => (acc === null || t.shape[a] === null ? null : acc + t.shape[a]!), 0);
        return { name: g.op('Concat', all.map((t) => t.name), { axis: axisOf(first, a) }, lname), shape, nchw: first.nchw };
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (c.data_format && c.data_format !== 'channels_last') throw unsupported('layer', `${layer.class_name}(channels_first)`, lname, modelFile);
        const t = toNchw(x);
        const [kh, kw] = pair(c.pool_size ?? 2, 'pool_size');
        const [sh, sw] = pair(c.strides ?? c.pool_size ?? 2, 'strides');
        const padding: string = c.padding ?? 'valid';
        const [n, h, w, ch] = t.shape;
        const attrs: Record<string, any> = { kernel_shape: [kh, kw], strides: [sh, sw] };
        if (padding === 'same') {
          if (h !== null && w !== null) attrs.pads = samePads([h!, w!], [kh, kw], [sh, sw], [1, 1]);
          else attrs.auto_pad = 'SAME_UPPER';
        } else if (padding === 'valid') attrs.pads = [0, 0, 0, 0];
        else throw unsupported('layer', `${layer.class_name}(padding=${padding})`, lname, modelFile);
        // TF excludes padded cells from the average: ONNX count_include_pad = 0 (the default).
        if (layer.class_name === 'AveragePooling2D') attrs.count_include_pad = 0;
        const y = g.op(layer.class_name === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [t.name], attrs, lname);
        return { name: y, shape: [n!, convOut(h!, kh, sh, 1, padding), convOut(w!, kw, sw, 1, padding), ch!], nchw: true };
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const t = toNchw(x);
        const pooled = g.op(layer.class_name === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [t.name], {}, lname);
        if (c.keepdims) return { name: pooled, shape: [t.shape[0]!, 1, 1, t.shape[3]!], nchw: true };
        return { name: g.op('Flatten', [pooled], { axis: 1 }, lname), shape: [t.shape[0]!, t.shape[3]!], nchw: false };
      }
      case 'Flatten': {
        const t = toNhwc(x);
        const rest = t.shape.slice(1);
        const size = rest.some((d) => d === null) ? null : rest.reduce<number>((a, d) => a * d!, 1);
        return { name: g.op('Flatten', [t.name], { axis: 1 }, lname), shape: [t.shape[0]!, size], nchw: false };
      }
      case 'Reshape': {
        const t = toNhwc(x);
        const target: number[] = c.target_shape;
        const shp = g.initI64(`${lname}/shape`, [0, ...target]);
        let out: KTensor = { name: g.op('Reshape', [t.name, shp], {}, lname), shape: [t.shape[0]!, ...target.map((d) => (d < 0 ? null : d))], nchw: false };
        if (out.shape.length === 4) out = toNchw(out);
        return out;
      }
      case 'Dense': {
        const t = x.shape.length === 4 ? toNhwc(x) : x;
        const k = getWeight(lname, 'kernel')!;
        let y = g.op('MatMul', [t.name, g.initF32(`${lname}/kernel`, k.shape, k.data as Float32Array)], {}, lname);
        if (c.use_bias !== false) {
          const b = getWeight(lname, 'bias')!;
          y = g.op('Add', [y, g.initF32(`${lname}/bias`, b.shape, b.data as Float32Array)], {}, lname);
        }
        let out: KTensor = { name: y, shape: [...t.shape.slice(0, -1), k.shape[1]!], nchw: false };
        if (out.shape.length === 4) out = toNchw(out);
        return activation(out, c.activation, lname);
      }
      default:
        throw unsupported('layer', layer.class_name, lname, modelFile);
    }
  }

  const outputs: LayersConversion['outputs'] = [];
  for (const [lname, nodeIdx, idx] of outputLayers) {
    const t = tensors.get(key(lname, nodeIdx, idx));
    if (!t) throw invalid(`${modelFile}: output layer '${lname}' was not computed`);
    if (t.nchw) g.op('Transpose', [t.name], { perm: NCHW_TO_NHWC }, lname, lname);
    else g.op('Identity', [t.name], {}, lname, lname);
    const shape = dimsOut(t.shape);
    g.addOutput(lname, shape);
    outputs.push({ name: lname, shape });
  }
  void inputLayers;
  return { builder: g, inputs, outputs };
}
