// Every score a plugin gives each photo: the plugin runs through imlage's
// public API with threshold 0 and no top_k, so the eval can apply the
// manifest's reporting rule itself (and try others) without re-running.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, isFailure } from '../dist/index.js';

/**
 * Returns { info, scores: Map file -> { label: score }, regions: Map file -> [box confidence, ...], errors: [] }.
 * `source`: the plugin a crops plugin ([input.crops]) crops, run beside it
 * with its shipped thresholds, so only the crops plugin scores with 0.
 */
export async function collectScores(plugin, paths, { pluginDirs = [], mode = 'exact', cacheDir, source } = {}) {
  let engine;
  if (source) {
    const dir = mkdtempSync(join(tmpdir(), 'imlage-eval-'));
    writeFileSync(join(dir, 'config.toml'), `[plugins.${plugin}]\nthreshold = 0\ntop_k = 0\n`);
    try {
      engine = await Engine.create({ plugins: [source, plugin], pluginDirs, config: join(dir, 'config.toml'), mode, cacheDir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    engine = await Engine.create({ plugins: [plugin], pluginDirs, threshold: 0, topK: 0, config: false, mode, cacheDir });
  }
  const scores = new Map();
  const regions = new Map();
  const errors = [];
  const files = [...paths.keys()];
  const t0 = Date.now();
  try {
    const info = engine.plugins.find((p) => p.name === plugin);
    let k = 0;
    for await (const r of engine.tag(files.map((f) => paths.get(f)))) {
      const file = files[k++];
      const res = r.results[plugin];
      if (r.error || !res || isFailure(res)) {
        errors.push(`${file}: ${r.error ?? res?.error ?? 'no result'}`);
        continue;
      }
      const s = {};
      for (const t of res.tags) s[t.label] = Math.max(s[t.label] ?? 0, t.confidence);
      scores.set(file, s);
      if (res.regions) regions.set(file, res.regions.map((r) => r.confidence));
    }
    return { info, scores, regions, errors, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await engine.close();
  }
}
