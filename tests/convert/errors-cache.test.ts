import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCached, convertTfjs, CONVERTER_VERSION, ERR_UNSUPPORTED } from '../../src/convert/index.js';
import { NSFW } from './helpers.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'imlage-convert-'));
}

describe('converter errors', () => {
  it('names the unsupported op, node and model file', async () => {
    const dir = tmp();
    try {
      const modelFile = join(dir, 'model.json');
      writeFileSync(
        modelFile,
        JSON.stringify({
          format: 'graph-model',
          modelTopology: {
            node: [
              { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '1' }, { size: '4' }] } } } },
              { name: 'weird/op', op: 'FrobnicateV9', input: ['x'], attr: { T: { type: 'DT_FLOAT' } } },
              { name: 'Identity', op: 'Identity', input: ['weird/op'], attr: { T: { type: 'DT_FLOAT' } } },
            ],
          },
          weightsManifest: [],
        }),
      );
      const err = await convertTfjs({ modelFile }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(err).toBeInstanceOf(Error);
      expect(err!.code).toBe(ERR_UNSUPPORTED);
      expect(err!.code).toBe('IMLAGE_ERR_CONVERT_UNSUPPORTED');
      expect(err!.message).toContain('FrobnicateV9');
      expect(err!.message).toContain('weird/op');
      expect(err!.message).toContain(modelFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the unsupported Keras layer class', async () => {
    const dir = tmp();
    try {
      const modelFile = join(dir, 'model.json');
      writeFileSync(
        modelFile,
        JSON.stringify({
          format: 'layers-model',
          modelTopology: {
            model_config: {
              class_name: 'Model',
              config: {
                name: 'm',
                layers: [
                  { name: 'in', class_name: 'InputLayer', config: { batch_input_shape: [null, 4], name: 'in' }, inbound_nodes: [] },
                  { name: 'magic', class_name: 'MyMagicLayer', config: { name: 'magic' }, inbound_nodes: [[['in', 0, 0, {}]]] },
                ],
                input_layers: [['in', 0, 0]],
                output_layers: [['magic', 0, 0]],
              },
            },
          },
          weightsManifest: [],
        }),
      );
      await expect(convertTfjs({ modelFile })).rejects.toMatchObject({
        code: 'IMLAGE_ERR_CONVERT_UNSUPPORTED',
        message: expect.stringMatching(/MyMagicLayer.*magic.*model\.json/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('convertCached', () => {
  it('converts once, then serves the same bytes from the cache', async () => {
    const cacheDir = tmp();
    try {
      const src = { modelFile: join(NSFW, 'mobilenet_v2', 'model.min.js') };
      const progress: string[] = [];
      const first = await convertCached(src, { cacheDir, onProgress: (m) => progress.push(m) });
      expect(first.fromCache).toBe(false);
      expect(first.path.startsWith(join(cacheDir, 'models'))).toBe(true);
      const bytes1 = readFileSync(first.path);
      const second = await convertCached(src, { cacheDir });
      expect(second.fromCache).toBe(true);
      expect(second.path).toBe(first.path);
      expect(second.inputs).toEqual(first.inputs);
      expect(second.outputs).toEqual([{ name: 'dense_3', shape: ['batch', 5] }]);
      expect(Buffer.compare(readFileSync(second.path), bytes1)).toBe(0);
      // deterministic: a fresh conversion yields the cached bytes
      const fresh = await convertTfjs(src);
      expect(Buffer.compare(Buffer.from(fresh.onnx), bytes1)).toBe(0);
      // explicit weightFiles (UMD shard bundles) give the same model as manifest resolution
      const explicit = await convertTfjs({ ...src, weightFiles: [join(NSFW, 'mobilenet_v2', 'group1-shard1of1.min.js')] });
      expect(Buffer.compare(Buffer.from(explicit.onnx), bytes1)).toBe(0);
      expect(progress.length).toBeGreaterThan(0);
      expect(CONVERTER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
