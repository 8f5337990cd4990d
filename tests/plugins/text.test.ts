// The text (OCR) plugin through the engine: a scanned book paragraph gives
// its words back, each line with its box (SMI 1.2 regions); a photo without
// text gives no confident text tags.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import type { PluginSuccess } from '../../src/engine/types.js';
import { photo } from '../helpers/paths.js';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ plugins: ['text'], config: false });
});
afterAll(() => engine?.close());

async function tagText(file: string): Promise<PluginSuccess> {
  const out: TagResult[] = [];
  for await (const r of engine.tag([photo(file)])) out.push(r);
  const res = out[0]!.results.text;
  if (!res || isFailure(res)) throw new Error(`text failed on ${file}: ${JSON.stringify(res)}`);
  return res;
}

describe('text plugin', () => {
  it('reads the words of a scanned paragraph, each line with its box', async () => {
    const { tags, regions } = await tagText('text/imageTextN.png');
    const lines = tags.filter((t) => t.label !== 'text');
    const joined = lines.map((t) => t.label).join('\n').toLowerCase();
    for (const word of ['technical', 'students', 'projects', 'implementation', 'complexity', 'photographs']) {
      expect(joined).toContain(word);
    }
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(20); // max_lines
    const text = tags.find((t) => t.label === 'text');
    expect(text?.confidence).toBeGreaterThan(0.9);
    expect(text?.confidence).toBeCloseTo(Math.max(...lines.map((t) => t.confidence)), 5);
    for (const t of lines) expect(t.confidence).toBeGreaterThanOrEqual(0.5); // min_score

    // Every line tag has its box, inside the page, as wide as a line of text
    // and about one line high; the lines of a paragraph stand one below the other.
    const { width, height } = await sharp(photo('text/imageTextN.png')).metadata();
    for (const t of lines) {
      const boxes = regions!.filter((g) => g.label === t.label);
      expect(boxes.length, t.label).toBeGreaterThanOrEqual(1);
      expect(Math.max(...boxes.map((g) => g.confidence))).toBeCloseTo(t.confidence, 5);
    }
    for (const { box: [x, y, w, h] } of regions!) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(width!);
      expect(y + h).toBeLessThanOrEqual(height!);
      expect(w).toBeGreaterThan(2 * h);
      expect(h).toBeLessThan(height! / 5);
    }
    const tops = new Set(regions!.map((g) => Math.round(g.box[1] / 10)));
    expect(tops.size).toBeGreaterThanOrEqual(10);
  });

  it('finds no confident text in a photo without any', async () => {
    const { tags } = await tagText('baboon.jpg');
    expect(tags.filter((t) => t.confidence >= 0.5).length).toBeLessThanOrEqual(1);
  });
});
