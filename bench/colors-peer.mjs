// What a careful JS user writes for the colors plugin's output (dominant
// colour names and tones, plugins/colors/src/colors.c) on pixels sharp has
// decoded to 256×256: the same palette rules and statistics, with the
// per-pixel palette choice looked up in a table of every 24-bit colour
// (16 MiB, built once at set-up, not timed) instead of computed per pixel.

const f = Math.fround;
const NAMES = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'gray'];
/** Every label the plugin can give (its model_info), colours first. */
export const COLORS_LABELS = [...NAMES, 'dark', 'bright', 'low key', 'high key', 'high contrast', 'low contrast', 'black and white', 'colorful'];
const [RED, ORANGE, YELLOW, GREEN, CYAN, BLUE, PURPLE, PINK, BROWN, BLACK, WHITE, GRAY] = NAMES.keys();

/** colors.c's classify(), in float32 as the C code computes it. */
function classify(r, g, b) {
  const mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const chroma = f(mx - mn);
  const sat = mx > 0 ? f(chroma / mx) : 0;
  if (mx < f(0.16)) return BLACK;
  if (sat < f(0.2) || chroma < f(0.08)) return mx > f(0.85) ? WHITE : mx < f(0.25) ? BLACK : GRAY;
  let hue;
  if (mx === r) {
    const q = f(f(g - b) / chroma);
    hue = f(60 * f(q % 6));
  } else if (mx === g) hue = f(60 * f(f(f(b - r) / chroma) + 2));
  else hue = f(60 * f(f(f(r - g) / chroma) + 4));
  if (hue < 0) hue = f(hue + 360);
  if (hue >= 8 && hue < 50 && mx < f(0.62)) return BROWN;
  if (hue < 12 || hue >= 345) return sat < f(0.5) && mx > f(0.7) ? PINK : RED;
  if (hue < 40) return ORANGE;
  if (hue < 70) return YELLOW;
  if (hue < 165) return GREEN;
  if (hue < 195) return CYAN;
  if (hue < 255) return BLUE;
  if (hue < 290) return PURPLE;
  return PINK;
}

let palette;
/** The palette entry of every 24-bit colour (r << 16 | g << 8 | b). */
export function colorsTable() {
  if (palette) return palette;
  palette = new Uint8Array(1 << 24);
  const v = Float32Array.from({ length: 256 }, (_, i) => i / 255);
  for (let r = 0; r < 256; r++) for (let g = 0; g < 256; g++) for (let b = 0; b < 256; b++) palette[(r << 16) | (g << 8) | b] = classify(v[r], v[g], v[b]);
  return palette;
}

const LUMA = [0.2126, 0.7152, 0.0722].map((k) => Float64Array.from({ length: 256 }, (_, i) => k * (i / 255)));

/** colors.c's analyse() on RGB uint8 pixels (alpha already removed): its tags, and the index in COLORS_LABELS of the most confident (-1: none). */
export function colorsAnalyse(px, maxColors = 3, minFraction = 0.08) {
  const table = colorsTable();
  const counts = new Uint32Array(12);
  const [lr, lg, lb] = LUMA;
  let dark = 0, bright = 0, lowish = 0, highish = 0, veryDark = 0, veryBright = 0, neutral = 0;
  let sy = 0, sy2 = 0, srg = 0, srg2 = 0, syb = 0, syb2 = 0;
  const total = px.length / 3;
  for (let i = 0; i < px.length; i += 3) {
    const r = px[i], g = px[i + 1], b = px[i + 2];
    counts[table[(r << 16) | (g << 8) | b]]++;
    const y = lr[r] + lg[g] + lb[b];
    sy += y;
    sy2 += y * y;
    if (y < 0.25) dark++;
    if (y > 0.75) bright++;
    if (y <= 0.4) lowish++;
    if (y >= 0.6) highish++;
    if (y < 0.1) veryDark++;
    if (y > 0.9) veryBright++;
    const mx = r > g ? (r > b ? r : b) : (g > b ? g : b);
    const mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (mx - mn < 17.85) neutral++; // 0.07 on 0-1
    const rg = r - g;
    const yb = 0.5 * (r + g) - b;
    srg += rg;
    srg2 += rg * rg;
    syb += yb;
    syb2 += yb * yb;
  }
  const tags = [];
  const order = [...counts.keys()].sort((a, b) => counts[b] - counts[a]);
  for (const c of order.slice(0, maxColors)) {
    const share = counts[c] / total;
    if (share <= 0 || share < minFraction) break;
    tags.push({ label: NAMES[c], confidence: share });
  }
  const mean = sy / total;
  const sd = Math.sqrt(Math.max(0, sy2 / total - mean * mean));
  const push = (label, v) => tags.push({ label, confidence: Math.min(1, Math.max(0, v)) });
  if (dark / total >= 0.5) push('dark', dark / total);
  if (bright / total >= 0.5) push('bright', bright / total);
  if (lowish / total >= 0.75 && veryBright / total < 0.05) push('low key', lowish / total);
  if (highish / total >= 0.75 && veryDark / total < 0.05) push('high key', highish / total);
  if (sd >= 0.25) push('high contrast', sd / 0.5);
  if (sd <= 0.1) push('low contrast', 1 - sd / 0.5);
  if (neutral / total >= 0.97) push('black and white', neutral / total);
  const mrg = srg / total, myb = syb / total;
  const colourfulness = Math.sqrt(Math.max(0, srg2 / total - mrg * mrg) + Math.max(0, syb2 / total - myb * myb)) + 0.3 * Math.sqrt(mrg * mrg + myb * myb);
  if (colourfulness >= 59) push('colorful', colourfulness / 109);
  const best = tags.reduce((a, t) => (!a || t.confidence > a.confidence ? t : a), undefined);
  return { tags, top: best ? COLORS_LABELS.indexOf(best.label) : -1 };
}
