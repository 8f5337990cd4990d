// Native postprocessing against a JS reference, on real ORT outputs.
import { describe, expect, it } from 'vitest';

import type { ClassScore, PostprocessSpec, RawTensor } from '../../src/binding/types.js';
import { CLS_MODEL, CLS_PRE, REC_MODEL, addonWithOrt, allPhotos, decode } from './helpers.js';

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
const sigmoid = (v: number[]) => v.map((x) => 1 / (1 + Math.exp(-x)));
function activate(v: number[], a: PostprocessSpec['activation']): number[] {
  return a === 'softmax' ? softmax(v) : a === 'sigmoid' ? sigmoid(v) : v;
}
function topK(scores: number[], threshold: number, k: number): ClassScore[] {
  const top = scores.map((score, index) => ({ index, score })).filter((c) => c.score >= threshold);
  top.sort((a, b) => b.score - a.score || a.index - b.index);
  return k > 0 ? top.slice(0, k) : top;
}
function expectClose(actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected[i]!)));
  }
}

/** Preprocess with the addon (already verified against TF.js) and run raw. */
async function rawOutputs(model: string, width: number, files: string[]) {
  const addon = addonWithOrt();
  const session = await addon.createSession(model, {});
  const pre = { ...CLS_PRE, width };
  const images = await Promise.all(files.map(decode));
  const per = 3 * 48 * width;
  const batch = new Float32Array(per * images.length);
  images.forEach((img, i) => batch.set(addon.preprocess(img, pre), i * per));
  const outputs = await session.runTensors({ [session.inputs[0]!.name]: { data: batch, shape: [images.length, 3, 48, width] } });
  return { session, pre, images, outputs };
}

describe('native postprocess vs JS reference', () => {
  it("reduce 'none': activations, threshold and top-k on the cls model", async () => {
    const files = allPhotos().slice(0, 4);
    const { session, pre, images, outputs } = await rawOutputs(CLS_MODEL, 192, files);
    const out = outputs['softmax_0.tmp_0'] as RawTensor;
    expect(out.shape).toEqual([files.length, 2]);
    for (const activation of ['none', 'softmax', 'sigmoid'] as const) {
      const post: PostprocessSpec = { outputs: ['softmax_0.tmp_0'], activation, reduce: 'none', threshold: 0.3, topK: 1 };
      const { results } = await session.run(images, pre, post);
      results.forEach((r, i) => {
        const expected = activate(Array.from(out.data.subarray(i * 2, i * 2 + 2)), activation);
        expectClose(r.scores, expected);
        const ref = topK(Array.from(r.scores), 0.3, 1);
        expect(r.top).toEqual(ref);
      });
    }
    await session.close();
  });

  it("reduce 'max' over [batch, positions, classes] (rec model), across several outputs", async () => {
    const files = allPhotos().slice(0, 2);
    const { session, pre, images, outputs } = await rawOutputs(REC_MODEL, 320, files);
    const name = session.outputs[0]!.name;
    const out = outputs[name] as RawTensor;
    expect(out.shape.length).toBe(3);
    const [batch, positions, classes] = out.shape as [number, number, number];
    expect(batch).toBe(files.length);
    for (const activation of ['none', 'softmax', 'sigmoid'] as const) {
      const post: PostprocessSpec = { outputs: [name], activation, reduce: 'max', threshold: 1e-4, topK: 5 };
      const { results } = await session.run(images, pre, post);
      // Listing the output twice concatenates positions: the max is unchanged.
      const twice = await session.run(images, pre, { ...post, outputs: [name, name] });
      for (let b = 0; b < batch; b++) {
        const expected = new Array<number>(classes).fill(-Infinity);
        for (let p = 0; p < positions; p++) {
          const off = (b * positions + p) * classes;
          const row = activate(Array.from(out.data.subarray(off, off + classes)), activation);
          for (let c = 0; c < classes; c++) expected[c] = Math.max(expected[c]!, Math.fround(row[c]!));
        }
        const r = results[b]!;
        expectClose(r.scores, expected);
        expect(r.top).toEqual(topK(Array.from(r.scores), 1e-4, 5));
        expect(r.top.length).toBeGreaterThan(0);
        expect(Array.from(twice.results[b]!.scores)).toEqual(Array.from(r.scores));
      }
    }
    await session.close();
  });
});
