// Agreement between plugins: which labels two or more of them give the same
// image, and per pair of plugins the overlap of their labels (Jaccard),
// per image and averaged over the images both tagged.

import type { StoredImage } from '../store/store.js';

export interface ImageAgreement {
  /** Labels given by two plugins or more. */
  shared: string[];
}

export interface PairAgreement {
  a: string;
  b: string;
  images: number;
  /** Mean Jaccard index of the two label sets over the images both tagged. */
  meanJaccard: number;
  /** Images where they share a label. */
  imagesShared: number;
}

function labelSets(img: StoredImage): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const [name, p] of Object.entries(img.plugins)) if (!p.error) m.set(name, new Set(p.tags.map((t) => t.label)));
  return m;
}

export function imageAgreement(img: StoredImage): ImageAgreement {
  const count = new Map<string, number>();
  for (const s of labelSets(img).values()) for (const l of s) count.set(l, (count.get(l) ?? 0) + 1);
  return { shared: [...count].filter(([, n]) => n > 1).map(([l]) => l).sort() };
}

export function pairAgreement(images: StoredImage[]): PairAgreement[] {
  const acc = new Map<string, PairAgreement & { sum: number }>();
  for (const img of images) {
    const sets = [...labelSets(img)].sort(([a], [b]) => (a < b ? -1 : 1));
    for (let i = 0; i < sets.length; i++) {
      for (let j = i + 1; j < sets.length; j++) {
        const [a, sa] = sets[i]!;
        const [b, sb] = sets[j]!;
        const inter = [...sa].filter((l) => sb.has(l)).length;
        const union = new Set([...sa, ...sb]).size;
        const key = `${a}\0${b}`;
        const p = acc.get(key) ?? { a, b, images: 0, meanJaccard: 0, imagesShared: 0, sum: 0 };
        p.images++;
        p.sum += union ? inter / union : 1;
        if (inter) p.imagesShared++;
        acc.set(key, p);
      }
    }
  }
  return [...acc.values()].map(({ sum, ...p }) => ({ ...p, meanJaccard: p.images ? sum / p.images : 0 }));
}
