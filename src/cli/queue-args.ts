// Options shared by `imlage worker`, `enqueue` and `results`: where the
// queue is, and integer arguments.

import { InvalidArgumentError, Option, type Command } from 'commander';

export function integer(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

export function fraction(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a number from 0 to 1, got "${v}"`);
  return n;
}

export const collect = (v: string, prev: string[] = []) => [...prev, v];

/** --redis (default $IMLAGE_REDIS_URL) and --queue. */
export function queueOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379').env('IMLAGE_REDIS_URL').makeOptionMandatory())
    .option('--queue <name>', 'queue name', 'imlage');
}
