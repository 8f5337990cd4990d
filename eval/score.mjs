// Scoring of one plugin's scores against the hand labels (eval/labels.toml).
// Pure functions: no engine, no files, so tests can check them on known inputs.
//
// Definitions (docs/accuracy.md repeats them):
//   reported(photo)  the labels the plugin reports under a policy (per-label
//                    threshold, exclude list, top_k), best first
//   recall           reported ∩ must, over all must labels
//   precision        reported ∩ (must ∪ may), over all reported labels
//   top-1            photos with a must label whose best reported label is in must ∪ may
//   wrong photo      a photo with a reported label outside must ∪ may

/** Reporting rule of a plugin: what it keeps of one photo's scores. */
export function policyOf(output) {
  return {
    threshold: output.threshold,
    thresholds: output.thresholds ?? {},
    exclude: output.exclude ?? [],
    topK: output.topK ?? 0,
  };
}

export function thresholdFor(policy, label) {
  return policy.thresholds[label] ?? policy.threshold;
}

/** scores: { label: score } for one photo. Returns [[label, score], ...] best first. */
export function reported(scores, policy) {
  const kept = Object.entries(scores)
    .filter(([l, s]) => !policy.exclude.includes(l) && s >= thresholdFor(policy, l))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return policy.topK ? kept.slice(0, policy.topK) : kept;
}

/**
 * photos: [{ file, must: [], may: [] }]; scores: Map file -> { label: score }.
 * Photos without scores (the plugin failed on them) are counted in `failed`.
 */
export function scoreTags(photos, scores, policy) {
  let mustTotal = 0, mustFound = 0, reportedTotal = 0, reportedRight = 0, top1Of = 0, top1Hit = 0;
  const wrong = [], missed = [], failed = [];
  for (const p of photos) {
    const s = scores.get(p.file);
    if (!s) {
      failed.push(p.file);
      continue;
    }
    const rep = reported(s, policy);
    const ok = new Set([...p.must, ...p.may]);
    const got = new Set(rep.map(([l]) => l));
    mustTotal += p.must.length;
    mustFound += p.must.filter((l) => got.has(l)).length;
    reportedTotal += rep.length;
    reportedRight += rep.filter(([l]) => ok.has(l)).length;
    if (p.must.length) {
      top1Of++;
      if (rep.length && ok.has(rep[0][0])) top1Hit++;
    }
    const bad = rep.filter(([l]) => !ok.has(l));
    if (bad.length) wrong.push({ file: p.file, labels: bad });
    const lost = p.must.filter((l) => !got.has(l));
    if (lost.length) missed.push({ file: p.file, labels: lost.map((l) => [l, s[l] ?? 0]) });
  }
  const recall = mustTotal ? mustFound / mustTotal : 0;
  const precision = reportedTotal ? reportedRight / reportedTotal : 0;
  const f1 = recall + precision ? (2 * recall * precision) / (recall + precision) : 0;
  return { recall, precision, f1, mustTotal, mustFound, reportedTotal, reportedRight, top1: { hit: top1Hit, of: top1Of }, wrong, missed, failed };
}

/** The single threshold (for every label; exclude and top_k kept) with the best F1. */
export function bestF1Threshold(photos, scores, policy, grid = thresholdGrid()) {
  let best = { threshold: grid[0], f1: -1 };
  for (const t of grid) {
    const r = scoreTags(photos, scores, { ...policy, threshold: t, thresholds: {} });
    if (r.f1 > best.f1 + 1e-12) best = { threshold: t, f1: r.f1, recall: r.recall, precision: r.precision };
  }
  return best;
}

export function thresholdGrid(from = 0.05, to = 0.95, step = 0.01) {
  const g = [];
  for (let t = from; t <= to + 1e-9; t += step) g.push(Math.round(t * 100) / 100);
  return g;
}

/**
 * Per-label thresholds: for each label, the threshold on the grid that keeps
 * the most right reports minus wrong ones (ties: the one nearest `base`).
 * Labels never seen on the set keep `base`. Tuned on the set it is scored
 * on, so figures with them are optimistic; leaveOneOut() gives the honest one.
 */
export function tuneThresholds(photos, scores, base, grid = thresholdGrid(0.1, 0.95, 0.05)) {
  const byLabel = new Map();
  for (const p of photos) {
    const s = scores.get(p.file);
    if (!s) continue;
    const ok = new Set([...p.must, ...p.may]);
    for (const [l, v] of Object.entries(s)) {
      if (!byLabel.has(l)) byLabel.set(l, []);
      byLabel.get(l).push({ v, right: ok.has(l), must: p.must.includes(l) });
    }
  }
  const out = {};
  for (const [l, xs] of byLabel) {
    let best = { t: base, gain: gainAt(xs, base) };
    for (const t of grid) {
      const g = gainAt(xs, t);
      if (g > best.gain || (g === best.gain && Math.abs(t - base) < Math.abs(best.t - base))) best = { t, gain: g };
    }
    if (best.t !== base) out[l] = best.t;
  }
  return out;
}

function gainAt(xs, t) {
  let g = 0;
  for (const x of xs) if (x.v >= t) g += x.right ? (x.must ? 1 : 0) : -1;
  return g;
}

/** Per-label thresholds tuned without each photo in turn, scored on that photo. */
export function leaveOneOut(photos, scores, policy) {
  const all = new Map();
  for (const p of photos) {
    const rest = photos.filter((q) => q !== p);
    const thresholds = tuneThresholds(rest, scores, policy.threshold);
    const r = scoreTags([p], scores, { ...policy, thresholds });
    all.set(p.file, r);
  }
  return sumScores([...all.values()]);
}

function sumScores(rs) {
  const n = (k) => rs.reduce((a, r) => a + r[k], 0);
  const mustTotal = n('mustTotal'), mustFound = n('mustFound'), reportedTotal = n('reportedTotal'), reportedRight = n('reportedRight');
  const recall = mustTotal ? mustFound / mustTotal : 0;
  const precision = reportedTotal ? reportedRight / reportedTotal : 0;
  return {
    recall,
    precision,
    f1: recall + precision ? (2 * recall * precision) / (recall + precision) : 0,
    top1: { hit: rs.reduce((a, r) => a + r.top1.hit, 0), of: rs.reduce((a, r) => a + r.top1.of, 0) },
    wrongPhotos: rs.filter((r) => r.wrong.length).length,
  };
}

/**
 * Safety classifiers on ordinary photos: a false alarm is a photo whose best
 * reported class is one of `unsafe` (reported: at or above its threshold).
 */
export function scoreSafety(photos, scores, policy, unsafe) {
  const alarms = [];
  let of = 0;
  const failed = [];
  for (const p of photos) {
    if (p.nsfw !== 'ordinary') continue;
    const s = scores.get(p.file);
    if (!s) {
      failed.push(p.file);
      continue;
    }
    of++;
    const rep = reported(s, policy);
    if (rep.length && unsafe.includes(rep[0][0])) alarms.push({ file: p.file, label: rep[0][0], score: rep[0][1] });
  }
  return { of, alarms, rate: of ? alarms.length / of : 0, failed };
}

/**
 * The lowest single threshold for the unsafe classes at which false alarms on
 * ordinary photos stay at or under `maxRate`.
 */
export function safetyThreshold(photos, scores, policy, unsafe, maxRate, grid = thresholdGrid(0.3, 0.99, 0.01)) {
  for (const t of grid) {
    const thresholds = { ...policy.thresholds };
    for (const u of unsafe) thresholds[u] = t;
    const r = scoreSafety(photos, scores, { ...policy, thresholds }, unsafe);
    if (r.rate <= maxRate) return { threshold: t, ...r };
  }
  return undefined;
}
