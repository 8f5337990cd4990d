// Which labels a plugin is scored on, and every figure of its section.

import { bestEmotionThreshold, scoreEmotions } from './emotion.mjs';
import { bestFaceThreshold, scoreFaces } from './faces.mjs';
import { bestF1Threshold, leaveOneOut, policyOf, safetyThreshold, scoreSafety, scoreTags, tuneThresholds } from './score.mjs';

/** The nsfw classes that mean "not safe"; the others (Drawing, Neutral) are ordinary. */
export const UNSAFE = ['Porn', 'Sexy', 'Hentai'];
/** Target of docs/accuracy.md: false alarms on ordinary photos. */
export const MAX_FALSE_ALARMS = 0.02;

/** 'objects' (COCO labels of eval/labels.toml), 'faces' (face counts), 'emotion' (expressions of faces), 'nsfw' (ordinary photos), or undefined: not scored. */
export function taskOf(m) {
  if (m.kind !== 'onnx') return undefined;
  if (m.capabilities.includes('emotion')) return 'emotion';
  if (m.capabilities.includes('objects')) return 'objects';
  if (m.capabilities.includes('faces')) return 'faces';
  if (m.capabilities.includes('nsfw')) return 'nsfw';
  return undefined;
}

export function evaluatePlugin(m, run, photos) {
  const task = taskOf(m);
  const policy = policyOf(m.output);
  const head = { name: m.name, task, model: run.info.model, version: m.version, seconds: run.seconds, errors: run.errors, policy, description: m.description };
  if (task === 'objects') {
    const vocab = new Set(m.output.labels.map((l) => m.output.aliases?.[l] ?? l));
    for (const p of photos) {
      for (const l of [...p.must, ...p.may]) if (!vocab.has(l)) throw new Error(`eval/labels.toml: ${p.file}: "${l}" is not a label of plugin ${m.name}`);
    }
    const atDefault = scoreTags(photos, run.scores, policy);
    const best = bestF1Threshold(photos, run.scores, policy);
    // Tuned around the manifest's own threshold, so a manifest carrying these
    // per-label thresholds scores exactly the tuned row.
    const tuned = tuneThresholds(photos, run.scores, policy.threshold);
    const atTuned = scoreTags(photos, run.scores, { ...policy, thresholds: tuned });
    const loo = leaveOneOut(photos, run.scores, policy);
    return { ...head, atDefault, best, tuned, atTuned, loo };
  }
  if (task === 'emotion') {
    const vocab = new Set(m.output.labels);
    for (const p of photos) {
      for (const l of [...(p.emotion?.must ?? []), ...(p.emotion?.may ?? [])]) if (!vocab.has(l)) throw new Error(`eval/labels.toml: ${p.file}: emotion "${l}" is not a label of plugin ${m.name}`);
    }
    return { ...head, atDefault: scoreEmotions(photos, run.scores, policy), best: bestEmotionThreshold(photos, run.scores, policy) };
  }
  if (task === 'faces') {
    const atDefault = scoreFaces(photos, run.regions, policy.threshold);
    const best = bestFaceThreshold(photos, run.regions);
    return { ...head, atDefault, best };
  }
  const safety = scoreSafety(photos, run.scores, policy, UNSAFE);
  const topOnly = scoreSafety(photos, run.scores, { ...policy, threshold: 0, thresholds: {} }, UNSAFE);
  const needed = safetyThreshold(photos, run.scores, { ...policy, threshold: 0, thresholds: {} }, UNSAFE, MAX_FALSE_ALARMS);
  return { ...head, safety, topOnly, needed };
}
