// Scoring of an expression plugin (emotion) against the emotion labels of
// eval/labels.toml. Pure functions, like score.mjs.
//
// Definitions (docs/accuracy.md repeats them):
//   expressions(photo)  the labels the plugin reports at a threshold: its
//                       best top_k over the photo's faces (the labelled
//                       photos show one face each)
//   right      a labelled photo whose every reported expression is must or may
//   wrong      a labelled photo with a reported expression that is neither
//   none       a labelled photo with nothing reported
//   on no face an expression reported on a photo without any face (must 0, may 0)

import { reported, thresholdGrid } from './score.mjs';

/** photos: [{ file, emotion: { must, may } | undefined, faces }]; scores: Map file -> { label: best score over its faces }. */
export function scoreEmotions(photos, scores, policy) {
  let labelled = 0, right = 0, none = 0;
  const wrong = [], onNoFace = [], failed = [];
  for (const p of photos) {
    const s = scores.get(p.file);
    if (!s) {
      failed.push(p.file);
      continue;
    }
    const given = reported(s, policy);
    if (p.emotion) {
      labelled++;
      const ok = new Set([...p.emotion.must, ...p.emotion.may]);
      if (given.length === 0) none++;
      else if (given.every(([l]) => ok.has(l))) right++;
      else wrong.push({ file: p.file, must: p.emotion.must, labels: given });
    } else if (p.faces.must === 0 && p.faces.may === 0 && given.length) {
      onNoFace.push({ file: p.file, labels: given });
    }
  }
  return { threshold: policy.threshold, labelled, right, wrong, none, onNoFace, failed };
}

/** The threshold with the most right minus wrong (expressions on no face count as wrong); ties: the lower threshold. */
export function bestEmotionThreshold(photos, scores, policy, grid = thresholdGrid(0.1, 0.95, 0.05)) {
  let best;
  const net = (r) => r.right - r.wrong.length - r.onNoFace.length;
  for (const t of grid) {
    const r = scoreEmotions(photos, scores, { ...policy, threshold: t });
    if (!best || net(r) > net(best)) best = r;
  }
  return best;
}
