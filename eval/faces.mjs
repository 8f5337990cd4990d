// Scoring of a face detector against the faces labels (eval/labels.toml).
// Pure functions, like score.mjs.
//
// Definitions (docs/accuracy.md repeats them):
//   faces(photo)  the detector's regions at or above the threshold
//   recall        photos with a must face that get at least one face
//   precision     photos given a face that have a must or may face
//   false alarm   a face on a photo with no face at all (must 0, may 0)
//   count right   must <= faces(photo) <= must + may

import { thresholdGrid } from './score.mjs';

/** photos: [{ file, faces: { must, may } }]; regions: Map file -> [confidence, ...] (every box the plugin gave). */
export function scoreFaces(photos, regions, threshold) {
  let withFace = 0, found = 0, reported = 0, reportedRight = 0, empty = 0, countRight = 0, scored = 0;
  const wrong = [], failed = [];
  for (const p of photos) {
    const rs = regions.get(p.file);
    if (!rs) {
      failed.push(p.file);
      continue;
    }
    scored++;
    const { must, may } = p.faces;
    const kept = rs.filter((c) => c >= threshold).sort((a, b) => b - a);
    const n = kept.length;
    if (must > 0) {
      withFace++;
      if (n > 0) found++;
    }
    if (must === 0 && may === 0) empty++;
    if (n > 0) {
      reported++;
      if (must + may > 0) reportedRight++;
    }
    if (n >= must && n <= must + may) countRight++;
    else wrong.push({ file: p.file, must, may, found: n, scores: kept.length ? kept : rs.slice().sort((a, b) => b - a).slice(0, 1) });
  }
  const recall = withFace ? found / withFace : 0;
  const precision = reported ? reportedRight / reported : 0;
  const f1 = recall + precision ? (2 * recall * precision) / (recall + precision) : 0;
  const falseAlarms = wrong.filter((w) => w.must === 0 && w.may === 0);
  return { threshold, recall, precision, f1, withFace, found, reported, empty, falseAlarms: falseAlarms.length, countRight, scored, wrong, failed };
}

/** The threshold with the best F1 of the face / no-face decision; ties: more counts right, then the lower threshold. */
export function bestFaceThreshold(photos, regions, grid = thresholdGrid(0.3, 0.95, 0.01)) {
  let best;
  for (const t of grid) {
    const r = scoreFaces(photos, regions, t);
    if (!best || r.f1 > best.f1 + 1e-12 || (Math.abs(r.f1 - best.f1) <= 1e-12 && r.countRight > best.countRight)) best = r;
  }
  return best;
}
