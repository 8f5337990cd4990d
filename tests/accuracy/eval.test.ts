// npm run eval on a few photos: the scoring rules on known inputs, the
// labels file, and the whole eval run on a small corpus made of the test
// photos (the same opencv-doc files the shared corpus holds). Only stable
// things are asserted, never accuracy figures.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabels } from '../../eval/labels.mjs';
import { locatePhotos } from '../../eval/corpus.mjs';
import { bestEmotionThreshold, scoreEmotions } from '../../eval/emotion.mjs';
import { bestFaceThreshold, scoreFaces } from '../../eval/faces.mjs';
import { bestF1Threshold, reported, scoreSafety, scoreTags } from '../../eval/score.mjs';
import { photo, root } from '../helpers/paths.js';

const LABELS = join(root, 'eval', 'labels.toml');
const FIXTURES = ['messi5.jpg', 'apple.jpg', 'baboon.jpg'];

describe('eval scoring rules', () => {
  const photos = [
    { file: 'a', must: ['cat'], may: ['bed'], nsfw: 'ordinary' },
    { file: 'b', must: [], may: [], nsfw: 'ordinary' },
  ];
  const scores = new Map([
    ['a', { cat: 0.9, bed: 0.5, dog: 0.4 }],
    ['b', { dog: 0.6, cat: 0.1 }],
  ]);
  const policy = { threshold: 0.45, thresholds: {}, exclude: [], topK: 0 };

  it('counts recall over must labels and precision over must and may', () => {
    const r = scoreTags(photos, scores, policy);
    // reported: a -> cat, bed (both right); b -> dog (wrong)
    expect(r).toMatchObject({ mustTotal: 1, mustFound: 1, reportedTotal: 3, reportedRight: 2, top1: { hit: 1, of: 1 } });
    expect(r.wrong).toEqual([{ file: 'b', labels: [['dog', 0.6]] }]);
  });

  it('applies per-label thresholds, exclude and top_k as a manifest does', () => {
    expect(reported(scores.get('a'), { ...policy, thresholds: { cat: 0.95 } })).toEqual([['bed', 0.5]]);
    expect(reported(scores.get('a'), { ...policy, threshold: 0.3, exclude: ['bed'], topK: 1 })).toEqual([['cat', 0.9]]);
  });

  it('finds the single threshold with the best F1', () => {
    expect(bestF1Threshold(photos, scores, policy).threshold).toBeGreaterThan(0.6);
  });

  it('counts a false alarm when an unsafe class is the best reported one', () => {
    const s = new Map([['a', { Neutral: 0.3, Porn: 0.7 }], ['b', { Neutral: 0.9, Porn: 0.1 }]]);
    const r = scoreSafety(photos, s, { ...policy, threshold: 0 }, ['Porn']);
    expect(r).toMatchObject({ of: 2, rate: 0.5, alarms: [{ file: 'a', label: 'Porn', score: 0.7 }] });
    expect(scoreSafety(photos, s, { ...policy, threshold: 0, thresholds: { Porn: 0.8 } }, ['Porn']).alarms).toEqual([]);
  });
});

describe('eval face scoring', () => {
  const photos = [
    { file: 'one', faces: { must: 1, may: 0 } },
    { file: 'crowd', faces: { must: 1, may: 5 } },
    { file: 'none', faces: { must: 0, may: 0 } },
    { file: 'hidden', faces: { must: 0, may: 1 } },
  ];
  const regions = new Map([
    ['one', [0.9, 0.4]],
    ['crowd', [0.8, 0.75, 0.3]],
    ['none', [0.72]],
    ['hidden', []],
  ]);

  it('scores found faces, false alarms and counts at a threshold', () => {
    const r = scoreFaces(photos, regions, 0.7);
    expect(r).toMatchObject({ withFace: 2, found: 2, recall: 1, reported: 3, precision: 2 / 3, empty: 1, falseAlarms: 1, countRight: 3, scored: 4 });
    expect(r.wrong).toEqual([{ file: 'none', must: 0, may: 0, found: 1, scores: [0.72] }]);
    // lower: 'one' finds a second face it does not have
    expect(scoreFaces(photos, regions, 0.35).wrong.map((w: { file: string }) => w.file)).toEqual(['one', 'none']);
  });

  it('finds the threshold that keeps every face and drops the false one', () => {
    expect(bestFaceThreshold(photos, regions)).toMatchObject({ threshold: 0.73, recall: 1, precision: 1, countRight: 4 });
  });
});

describe('eval emotion scoring', () => {
  const none = { must: 0, may: 0 };
  const photos = [
    { file: 'smile', faces: { must: 1, may: 0 }, emotion: { must: ['happy'], may: [] } },
    { file: 'calm', faces: { must: 1, may: 0 }, emotion: { must: ['neutral'], may: ['sad'] } },
    { file: 'unsure', faces: { must: 1, may: 0 }, emotion: { must: ['neutral'], may: [] } },
    { file: 'cat', faces: none },
    { file: 'wall', faces: none },
  ];
  const scores = new Map([
    ['smile', { happy: 0.95, neutral: 0.03 }],
    ['calm', { sad: 0.6, neutral: 0.3 }],
    ['unsure', { angry: 0.45, neutral: 0.4 }],
    ['cat', { angry: 0.8 }],
    ['wall', {}],
  ]);
  const policy = { threshold: 0.5, thresholds: {}, exclude: [], topK: 1 };

  it('counts right, wrong and nothing on labelled faces, and expressions where there is no face', () => {
    const r = scoreEmotions(photos, scores, policy);
    expect(r).toMatchObject({ labelled: 3, right: 2, none: 1, wrong: [], onNoFace: [{ file: 'cat', labels: [['angry', 0.8]] }] });
    const low = scoreEmotions(photos, scores, { ...policy, threshold: 0.3 });
    expect(low.wrong).toEqual([{ file: 'unsure', must: ['neutral'], labels: [['angry', 0.45]] }]);
  });

  it('finds the threshold with the most right answers less wrong ones', () => {
    // 0.5 and 0.85 both net 1 (two right less the cat, or one right): the lower wins
    expect(bestEmotionThreshold(photos, scores, policy)).toMatchObject({ threshold: 0.5, right: 2, wrong: [] });
  });
});

describe('eval labels', () => {
  it('label at least 60 corpus photos, each with a sha256', () => {
    const labels = loadLabels(LABELS);
    expect(labels.length).toBeGreaterThanOrEqual(60);
    expect(labels.filter((p: { must: string[] }) => p.must.length).length).toBeGreaterThan(20);
    expect(labels.find((p: { file: string }) => p.file === 'opencv-doc__messi5.jpg')).toMatchObject({ must: ['person', 'sports ball'], faces: { must: 1, may: 30 } });
    expect(labels.find((p: { file: string }) => p.file === 'opencv-doc__apple.jpg')).toMatchObject({ faces: { must: 0, may: 0 } });
    expect(labels.filter((p: { faces: { must: number } }) => p.faces.must > 0).length).toBeGreaterThanOrEqual(7);
    expect(labels.find((p: { file: string }) => p.file === 'python3-skimage__astronaut.png')).toMatchObject({ emotion: { must: ['happy'], may: [] } });
    // expressions are labelled only on photos with a must face
    for (const p of labels.filter((l: { emotion?: unknown }) => l.emotion)) expect(p.faces.must).toBeGreaterThan(0);
  });

  it('skips a photo whose bytes differ from the labelled ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imlage-eval-'));
    copyFileSync(photo('baboon.jpg'), join(dir, 'opencv-doc__messi5.jpg'));
    const labels = loadLabels(LABELS).filter((p: { file: string }) => p.file === 'opencv-doc__messi5.jpg');
    const { paths, problems } = locatePhotos(dir, labels);
    expect(paths.size).toBe(0);
    expect(problems[0]).toMatch(/opencv-doc__messi5\.jpg: sha256 .* differs from the labelled/);
  });
});

describe('npm run eval', () => {
  it('runs the shipped objects plugin on a small corpus and scores a known photo', () => {
    const corpus = mkdtempSync(join(tmpdir(), 'imlage-eval-corpus-'));
    mkdirSync(join(corpus, 'real'));
    for (const f of FIXTURES) copyFileSync(photo(f), join(corpus, 'real', `opencv-doc__${f}`));
    writeFileSync(join(corpus, 'manifest.tsv'), 'name\n');
    const json = join(corpus, 'scores.json');
    const out = execFileSync(process.execPath, [join(root, 'eval', 'run.mjs'), '--corpus', corpus, '--only', 'objects', '--no-write', '--json', json], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('== objects');
    expect(out).toMatch(/\| shipped default: threshold [0-9.]+/);
    // 2 of the 3 photos have a must label (messi5: person, sports ball; apple: apple).
    expect(out).toMatch(/\| \d\/2 \|/);
    const scores = JSON.parse(readFileSync(json, 'utf8'));
    expect(Object.keys(scores.scores.objects).sort()).toEqual(FIXTURES.map((f) => `opencv-doc__${f}`).sort());
    const messi = scores.scores.objects['opencv-doc__messi5.jpg'];
    expect(Object.entries(messi).sort((a: any, b: any) => b[1] - a[1])[0]![0]).toBe('person');
  });

  it('scores the faces plugin on the same small corpus: messi5 has the one face', () => {
    const corpus = mkdtempSync(join(tmpdir(), 'imlage-eval-corpus-'));
    mkdirSync(join(corpus, 'real'));
    for (const f of FIXTURES) copyFileSync(photo(f), join(corpus, 'real', `opencv-doc__${f}`));
    writeFileSync(join(corpus, 'manifest.tsv'), 'name\n');
    const out = execFileSync(process.execPath, [join(root, 'eval', 'run.mjs'), '--corpus', corpus, '--only', 'faces', '--no-write'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain('== faces');
    // one of the three photos has a face (messi5); two have none
    expect(out).toMatch(/\| shipped default: threshold [0-9.]+ \| 1\/1 \(1\.00\) \|/);
    expect(out).toMatch(/\| \d\/2 \| \d\/3 \|/);
  });
});
