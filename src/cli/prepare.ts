// `imlage prepare`: convert and load every enabled plugin's model once, so
// the first `imlage tag` starts at full speed. The install step runs it.

import { Engine } from '../engine/engine.js';

export async function prepareCommand(opts: { plugin?: string[]; config?: string; quiet?: boolean }): Promise<number> {
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`imlage: ${m}\n`);
  };
  const engine = await Engine.create({ plugins: opts.plugin, config: opts.config, onLog: say });
  try {
    for (const p of engine.plugins) say(`ready: ${p.name} ${p.version} (${p.model}) on ${p.provider}`);
  } finally {
    await engine.close();
  }
  return 0;
}
