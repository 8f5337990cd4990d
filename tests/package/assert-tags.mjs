// Checks the JSON of `imlage tag` run by a consumer install (consumer.sh):
// every photo tagged by every plugin asked for, with the tags the photos
// are known to carry. Usage: node assert-tags.mjs RESULTS.json PLUGIN...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const [file, ...plugins] = process.argv.slice(2);
const results = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
const labels = (r, p) => (r.results?.[p]?.tags ?? []).map((t) => t.label);
const byName = new Map(results.map((r) => [basename(r.file), r]));

if (results.length < 3) problems.push(`expected at least 3 images, got ${results.length}`);
for (const r of results) {
  if (r.error) problems.push(`${r.file}: ${r.error}`);
  for (const p of plugins) {
    const res = r.results?.[p];
    if (!res) problems.push(`${r.file}: no result from ${p}`);
    else if (res.error) problems.push(`${r.file}: ${p} failed: ${res.error}`);
    else if (!Array.isArray(res.tags)) problems.push(`${r.file}: ${p} has no tags array`);
  }
}
const expect = (name, plugin, check, what) => {
  const r = byName.get(name);
  if (!plugins.includes(plugin)) return;
  if (!r) problems.push(`${name} missing from the results`);
  else if (!check(labels(r, plugin), r.results[plugin])) problems.push(`${name}: ${plugin} ${what}; got ${JSON.stringify(labels(r, plugin))}`);
};
expect('messi5.jpg', 'objects', (l) => l[0] === 'person', 'top label should be person');
// nsfw reports Drawing and Neutral always, Porn, Sexy and Hentai from 0.65 on (plugins/nsfw/plugin.toml).
expect('baboon.jpg', 'nsfw', (l, res) => l[0] === 'Neutral' && l.includes('Drawing') &&
  res.tags.every((t) => ['Drawing', 'Neutral'].includes(t.label) || t.confidence >= 0.65), 'should give Neutral first, Drawing, and no unsafe class under 0.65');
expect('imageTextN.png', 'text', (l) => l.includes('text') && l.join(' ').toLowerCase().includes('students'), 'should read "students"');
expect('imageTextN.png', 'colors', (l) => l.includes('white'), 'should name white');
expect('messi5.jpg', 'quality', (l) => l.includes('landscape'), 'should tag the orientation landscape');

if (problems.length > 0) {
  process.stderr.write(`assert-tags: ${problems.length} problem(s):\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stderr.write(`assert-tags: ${results.length} images, plugins ${plugins.join(', ')}: ok\n`);
