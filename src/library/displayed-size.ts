// A photo's size as displayed (EXIF orientation applied): what a detector's
// region boxes are in pixels of, and what the library outputs normalise
// them against. Read as the engine reads it (src/engine/probe.ts): libvips'
// header of the file, nothing decoded, and orientations 5-8 swap width and
// height, for every format that carries an orientation (JPEG, PNG, WebP, TIFF).

import sharp from 'sharp';

/** [width, height] as displayed, or undefined when the header cannot be read. */
export async function displayedSizeOf(path: string): Promise<[number, number] | undefined> {
  try {
    const m = await sharp(path, { limitInputPixels: false }).metadata();
    if (!m.width || !m.height) return undefined;
    return (m.orientation ?? 1) >= 5 ? [m.height, m.width] : [m.width, m.height];
  } catch {
    return undefined;
  }
}
