// The text (OCR) plugin through the engine: a scanned book paragraph gives
// its words back; a photo without text gives no confident text tags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, isFailure, type TagResult } from '../../src/index.js';
import { photo } from '../helpers/paths.js';

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create({ plugins: ['text'], config: false });
});
afterAll(() => engine?.close());

async function tagText(file: string): Promise<{ label: string; confidence: number }[]> {
  const out: TagResult[] = [];
  for await (const r of engine.tag([photo(file)])) out.push(r);
  const res = out[0]!.results.text;
  if (!res || isFailure(res)) throw new Error(`text failed on ${file}: ${JSON.stringify(res)}`);
  return res.tags;
}

describe('text plugin', () => {
  it('reads the words of a scanned paragraph', async () => {
    const tags = await tagText('text/imageTextN.png');
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
  });

  it('finds no confident text in a photo without any', async () => {
    const tags = await tagText('baboon.jpg');
    expect(tags.filter((t) => t.confidence >= 0.5).length).toBeLessThanOrEqual(1);
  });
});
