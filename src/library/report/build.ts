// A report from a results store: every current image, with its thumbnail.

import { writeFileSync } from 'node:fs';
import { ResultStore } from '../store/store.js';
import { renderReport, type ReportImage } from './html.js';
import { thumbnail } from './thumbnails.js';
import { displayedSizeOf } from '../displayed-size.js';
import { writeAtomic } from '../xmp/sidecar.js';

export interface ReportOptions {
  /** Only these paths (default: every image in the store). */
  paths?: Set<string>;
  title?: string;
  thumbsDir?: string;
}

export async function buildReport(store: ResultStore, output: string, opts: ReportOptions = {}): Promise<{ images: number; failures: number }> {
  const images: ReportImage[] = [];
  for (const img of store.images()) {
    if (opts.paths && !opts.paths.has(img.path)) continue;
    images.push(img);
  }
  // Thumbnails a few at a time: sharp has its own threads.
  for (let i = 0; i < images.length; i += 8) {
    await Promise.all(images.slice(i, i + 8).map(async (img) => {
      const t = await thumbnail(img.path, img.hash, opts.thumbsDir);
      if (t) img.thumb = t;
      const shown = Object.values(img.plugins).some((p) => p.regions?.length) ? await displayedSizeOf(img.path) : undefined;
      if (shown) img.shown = shown;
    }));
  }
  const html = renderReport(images, opts.title);
  // Never leave a half-written report where an old one was.
  try {
    writeAtomic(output, html);
  } catch {
    writeFileSync(output, html);
  }
  const failures = images.reduce((n, i) => n + (i.error ? 1 : 0) + Object.values(i.plugins).filter((p) => p.error).length, 0);
  return { images: images.length, failures };
}
