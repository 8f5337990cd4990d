// The host's ONNX Runtime services (smi_host_api.session_*): a C plugin that
// links no ORT runs PaddleOCR's direction classifier through them and must
// match the addon's own session on the same pixels.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import type { ImageInput } from '../../src/binding/types.js';
import { addonWithOrt, CLS_MODEL, CLS_POST, CLS_PRE, photo } from '../native/helpers.js';
import { addon, rejection, testPlugin } from './helpers.js';

async function decode192x48(file: string): Promise<ImageInput> {
  const { data, info } = await sharp(file).removeAlpha().resize(192, 48, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
}

describe('SMI host ONNX Runtime services', () => {
  it('session_create fails with the host reason before ORT is loaded, and for a missing file', async () => {
    const plugin = await addon().loadPlugin(testPlugin('ort_cls'), { configJson: '{}' });
    await plugin.registerModel({ id: 'cls', files: [CLS_MODEL] });
    let e = await rejection(plugin.loadModel('cls'));
    expect(e.code).toBe('IMLAGE_ERR_PLUGIN_CALL');
    expect(e.message).toMatch(/SMI_ERROR_NOT_SUPPORTED: session_create: .*ONNX Runtime is not loaded/);

    addonWithOrt();
    await plugin.registerModel({ id: 'missing', files: ['/nonexistent/model.onnx'] });
    e = await rejection(plugin.loadModel('missing'));
    expect(e.message).toMatch(/session_create: .*\/nonexistent\/model\.onnx/);
    await plugin.close();
  });

  it('runs a model through host sessions, matching the addon session', async () => {
    const native = addonWithOrt();
    const plugin = await addon().loadPlugin(testPlugin('ort_cls'), { configJson: '{}' });
    expect(plugin.info.frameworks).toEqual(['onnx']);
    await plugin.registerModel({ id: 'cls', files: [CLS_MODEL] });
    await plugin.loadModel('cls');
    expect(await plugin.modelInfo('cls')).toEqual({
      inputs: 1,
      outputs: 1,
      input: { name: 'x', dtype: 1, shape: [-1, 3, -1, -1] }, // -1: dynamic
      output: { name: 'softmax_0.tmp_0', rank: 2 },
    });

    const images = await Promise.all(['messi5.jpg', 'building.jpg'].map((f) => decode192x48(photo(f))));
    const viaPlugin = await plugin.run('cls', images);
    const session = await native.createSession(CLS_MODEL, { intraOpThreads: 1 });
    // The model ends in a softmax: compare probabilities, no second activation.
    const viaSession = await session.run(images, CLS_PRE, { ...CLS_POST, activation: 'none' });
    for (let i = 0; i < images.length; ++i) {
      const tags = viaPlugin.results[i].tags;
      expect(tags.map((t) => t.label)).toEqual(['0', '180']);
      expect(tags[0].score).toBeCloseTo(viaSession.results[i].scores[0], 5);
      expect(tags[1].score).toBeCloseTo(viaSession.results[i].scores[1], 5);
    }
    const wrong = await plugin.run('cls', [{ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }]);
    expect(wrong.results[0].error).toBe('inference failed with SMI_ERROR_INVALID_ARGUMENT: expected a 192x48 RGB image, got 2x2x3');
    await plugin.unloadModel('cls');
    await session.close();
    await plugin.close();
  });
});
