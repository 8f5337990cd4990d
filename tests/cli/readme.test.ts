// README's CLI section against `--help`: every command and every option the
// CLI has is in the README, and the README names none that it lacks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/paths.js';
import { runCli } from '../helpers/run-cli.js';

/** Options every command has, documented once below the block. */
const COMMON = ['--config', '--help'];

function flags(text: string): string[] {
  return [...new Set(text.match(/(?<![\w-])--[a-z0-9][a-z0-9-]*/g) ?? [])].filter((f) => !COMMON.includes(f)).sort();
}

/** The README's CLI block as command -> the text documenting it. */
function readmeCommands(): Map<string, string> {
  const md = readFileSync(join(root, 'README.md'), 'utf8');
  const section = md.slice(md.indexOf('\n## CLI\n'));
  const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
  const out = new Map<string, string>();
  let current = '';
  for (const line of block.split('\n')) {
    const m = /^imlage ((?:plugins |config |db )?[a-z]+)/.exec(line);
    if (m) out.set((current = m[1]!), line);
    else out.set(current, `${out.get(current)}\n${line}`);
  }
  return out;
}

async function helpOf(cmd: string): Promise<{ options: string; subcommands: string[] }> {
  const r = await runCli([...cmd.split(' ').filter(Boolean), '--help']);
  expect(r.code, r.stderr).toBe(0);
  const options = r.stdout.includes('Options:') ? r.stdout.slice(r.stdout.indexOf('Options:'), r.stdout.indexOf('Commands:') > 0 ? r.stdout.indexOf('Commands:') : undefined) : '';
  const subcommands = r.stdout.includes('Commands:')
    ? r.stdout.slice(r.stdout.indexOf('Commands:')).split('\n').slice(1).map((l) => /^ {2}([a-z]+)/.exec(l)?.[1]).filter((c): c is string => Boolean(c) && c !== 'help')
    : [];
  return { options, subcommands };
}

describe("README's CLI section", () => {
  it('lists every command with exactly the options its --help shows', async () => {
    const documented = readmeCommands();
    const tops = (await helpOf('')).subcommands;
    const commands = (await Promise.all(tops.map(async (top) => {
      const { subcommands } = await helpOf(top);
      return subcommands.length ? subcommands.map((s) => `${top} ${s}`) : [top];
    }))).flat();
    expect([...documented.keys()].sort()).toEqual([...commands].sort());
    const helps = await Promise.all(commands.map((cmd) => helpOf(cmd)));
    commands.forEach((cmd, i) => expect(flags(documented.get(cmd)!), cmd).toEqual(flags(helps[i]!.options)));
  });
});
