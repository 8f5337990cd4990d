// eval/labels.toml: the hand labels, checked on read.

import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';

const SAFETY = ['ordinary'];

export function loadLabels(file) {
  const doc = parse(readFileSync(file, 'utf8'));
  const photos = doc.photo ?? [];
  const seen = new Set();
  return photos.map((p, i) => {
    const where = `${file}: photo ${i + 1} (${p.file ?? 'no file'})`;
    if (typeof p.file !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256 ?? '')) throw new Error(`${where}: needs file and a sha256`);
    if (seen.has(p.file)) throw new Error(`${where}: labelled twice`);
    seen.add(p.file);
    const o = p.objects ?? {};
    const must = o.must ?? [], may = o.may ?? [];
    for (const l of must) if (may.includes(l)) throw new Error(`${where}: "${l}" is both must and may`);
    if (p.nsfw !== undefined && !SAFETY.includes(p.nsfw)) throw new Error(`${where}: nsfw must be one of ${SAFETY.join(', ')}`);
    const faces = { must: p.faces?.must ?? 0, may: p.faces?.may ?? 0 };
    for (const k of ['must', 'may']) if (!Number.isInteger(faces[k]) || faces[k] < 0) throw new Error(`${where}: faces.${k} must be a whole number >= 0`);
    let emotion;
    if (p.emotion !== undefined) {
      emotion = { must: p.emotion.must ?? [], may: p.emotion.may ?? [] };
      if (faces.must === 0) throw new Error(`${where}: emotion labels the expression of a must face, and it has none`);
      for (const l of emotion.must) if (emotion.may.includes(l)) throw new Error(`${where}: emotion "${l}" is both must and may`);
    }
    return { file: p.file, sha256: p.sha256, note: p.note ?? '', must, may, nsfw: p.nsfw, faces, emotion };
  });
}
