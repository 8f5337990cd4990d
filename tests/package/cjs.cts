// A TypeScript CommonJS consumer (module nodenext, .cts): compiled to
// require('imlage'), which Node >= 20.19 loads through require(esm).
import { Engine, isFailure, type TagResult } from 'imlage';

async function main(file: string): Promise<void> {
  const engine = await Engine.create({ plugins: ['nsfw'] });
  const out: TagResult[] = [];
  // threshold 0: all five classes (the manifest reports Porn, Sexy and Hentai from 0.65 on).
  for await (const r of engine.tag([file], { threshold: 0 })) out.push(r);
  await engine.close();
  const nsfw = out[0]?.results.nsfw;
  if (!nsfw || isFailure(nsfw) || nsfw.tags.length !== 5) throw new Error(`cjs consumer: unexpected ${JSON.stringify(out)}`);
  console.log(`cjs ok: ${nsfw.tags[0]!.label}`);
}

main(process.argv[2]!).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
