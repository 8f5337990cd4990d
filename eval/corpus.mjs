// The photos behind the labels: the shared corpus, built once by its script
// (real photos from Debian packages; nothing is kept in this repository).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_CORPUS = '/tmp/imlage-corpus';

/** Builds the corpus when its manifest is missing; returns the folder of photos. */
export function ensureCorpus(dir, script) {
  if (!existsSync(join(dir, 'manifest.tsv'))) {
    if (!script || !existsSync(script)) {
      throw new Error(`no corpus in ${dir} and no corpus script at ${script ?? '(none given)'}: ` +
        `build it with \`bash make-corpus.sh 100 ${dir}\` or pass --corpus-script`);
    }
    console.error(`eval: building the photo corpus (once): bash ${script} 100 ${dir}`);
    execFileSync('bash', [script, '100', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return join(dir, 'real');
}

/**
 * Path of each labelled photo, after checking its bytes against the label's
 * sha256: a label never scores a different picture than the one looked at.
 */
export function locatePhotos(photoDir, photos) {
  const paths = new Map();
  const problems = [];
  for (const p of photos) {
    const path = join(photoDir, p.file);
    if (!existsSync(path)) {
      problems.push(`${p.file}: not in ${photoDir}`);
      continue;
    }
    const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (sha !== p.sha256) {
      problems.push(`${p.file}: sha256 ${sha.slice(0, 12)}… differs from the labelled ${p.sha256.slice(0, 12)}… (another package version?)`);
      continue;
    }
    paths.set(p.file, path);
  }
  return { paths, problems };
}
