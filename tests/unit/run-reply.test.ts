// The engine's check of what an isolated plugin's child process sends back
// for run() and submit() (src/plugins/isolation/run-reply.ts): what the host's addon can
// produce passes unchanged; anything past smi.h's bounds fails that image,
// and a reply that is not one result per image fails the call.
import { describe, expect, it } from 'vitest';
import { SMI_MAX_REGIONS, SMI_MAX_TAGS } from '../../src/binding/smi-limits.js';
import { checkRunReply, checkSubmitReply } from '../../src/plugins/isolation/run-reply.js';

const region = { label: 'cat', confidence: 0.8, box: [1, 2, 30.5, 40] };
const good = { tags: [{ label: 'cat', score: 0.8 }], regions: [region] };
const reply = (...results: unknown[]) => ({ results, timing: { inferenceMs: 3 } });

describe('isolated run() replies', () => {
  it('pass unchanged when the host could have made them', () => {
    const failed = { tags: [], error: 'inference failed with SMI_ERROR' };
    const value = reply(good, { tags: [] }, failed);
    expect(checkRunReply(value, 3, 'boxes')).toEqual(value);
  });

  it.each([
    ['too many regions', { tags: [], regions: Array.from({ length: SMI_MAX_REGIONS + 1 }, () => region) }, `${SMI_MAX_REGIONS + 1} regions (at most ${SMI_MAX_REGIONS})`],
    ['too many tags', { tags: Array.from({ length: SMI_MAX_TAGS + 1 }, () => good.tags[0]) }, `${SMI_MAX_TAGS + 1} tags (at most ${SMI_MAX_TAGS})`],
    ['a box of three numbers', { tags: [], regions: [{ ...region, box: [1, 2, 3] }] }, 'a region box that is not [x, y, width, height]'],
    ['a NaN in a box', { tags: [], regions: [{ ...region, box: [1, NaN, 3, 4] }] }, 'a region box that is not'],
    ['a negative width', { tags: [], regions: [{ ...region, box: [1, 2, -3, 4] }] }, 'a region box that is not'],
    ['confidence 2', { tags: [], regions: [{ ...region, confidence: 2 }] }, 'region confidence 2 (must be within [0,1])'],
    ['a lone surrogate', { tags: [], regions: [{ ...region, label: 'ca\uD800t' }] }, 'a label that is not UTF-8'],
    ['a label too long', { tags: [{ label: 'é'.repeat(513), score: 0.5 }] }, 'a label that is not UTF-8 of at most 1024 bytes'],
    ['regions as an object', { tags: [], regions: { 0: region } }, 'regions that are not an array'],
    ['no tags', { regions: [region] }, 'tags that are not an array'],
    ['a number', 7, 'not an object'],
  ])('%s fails that image only', (_what, bad, why) => {
    const out = checkRunReply(reply(good, bad, good), 3, 'boxes');
    expect(out.results[0]).toEqual(good);
    expect(out.results[2]).toEqual(good);
    expect(out.results[1]!.tags).toEqual([]);
    expect(out.results[1]!.error).toContain('its isolated process returned a malformed result for this image: ');
    expect(out.results[1]!.error).toContain(why);
  });

  it.each([
    ['fewer results than images', reply(good)],
    ['no timing', { results: [good, good] }],
    ['not an object', 'results'],
  ])('%s fail the call, naming the plugin', (_what, value) => {
    expect(() => checkRunReply(value, 2, 'boxes')).toThrow(expect.objectContaining({
      code: 'IMLAGE_ERR_PLUGIN_CALL',
      message: 'plugin "boxes": its isolated process answered run() with something other than one result per image (2)',
    }));
  });
});

describe('isolated submit() replies', () => {
  const timing = { preprocessMs: 0, inferenceMs: 4, postprocessMs: 0 };
  const submitted = (...result: unknown[]) => ({ result, queueMs: 1.5, batchSize: 3, timing });

  it('pass unchanged when the host could have made them; a malformed model result fails that one only', () => {
    expect(checkSubmitReply(submitted(good, { tags: [] }), 2, 'boxes')).toEqual(submitted(good, { tags: [] }));
    const out = checkSubmitReply(submitted(good, { tags: [{ label: 'x', score: 3 }] }), 2, 'boxes');
    expect(out.result[0]).toEqual(good);
    expect(out.result[1]!.error).toContain('tag score 3 (must be within [0,1])');
  });

  it.each([
    ['fewer results than models', submitted(good)],
    ['a batch size of 0', { ...submitted(good, good), batchSize: 0 }],
    ['no timing', { result: [good, good], queueMs: 1, batchSize: 1 }],
    ['a NaN queue time', { ...submitted(good, good), queueMs: NaN }],
    ['not an object', 'result'],
  ])('%s fail the call, naming the plugin', (_what, value) => {
    expect(() => checkSubmitReply(value, 2, 'boxes')).toThrow(expect.objectContaining({
      code: 'IMLAGE_ERR_PLUGIN_CALL',
      message: 'plugin "boxes": its isolated process answered submit() with something other than one result per model (2) and its batch\'s timing',
    }));
  });
});
