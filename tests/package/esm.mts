// A TypeScript ESM consumer (module nodenext, .mts): the public API and its types.
import { Engine, isFailure, type TagResult } from 'imlage';

const engine = await Engine.create({ plugins: ['nsfw'] });
const out: TagResult[] = [];
// threshold 0: all five classes (the manifest reports Porn, Sexy and Hentai from 0.65 on).
for await (const r of engine.tag([process.argv[2]!], { threshold: 0 })) out.push(r);
await engine.close();
const nsfw = out[0]?.results.nsfw;
if (!nsfw || isFailure(nsfw) || nsfw.tags.length !== 5) throw new Error(`esm consumer: unexpected ${JSON.stringify(out)}`);
console.log(`esm ok: ${nsfw.tags[0]!.label}`);
