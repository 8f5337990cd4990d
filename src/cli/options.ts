// Option parsers shared by the commands: a bad value is commander's
// InvalidArgumentError, which main.ts turns into exit status 2.

import { InvalidArgumentError } from 'commander';

export function number(min: number, max: number, integer = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || Number.isNaN(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${v}"`);
    }
    return n;
  };
}

/** Execution providers a command may be asked to try. */
export const PROVIDER_CHOICES = ['cpu', 'cuda', 'tensorrt', 'coreml'];

export const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A repeatable option whose values must be among `choices`. */
export function collectChoice(choices: readonly string[]) {
  return (v: string, prev: string[] = []): string[] => {
    if (!choices.includes(v)) throw new InvalidArgumentError(`Allowed choices are ${choices.join(', ')}.`);
    return [...prev, v];
  };
}
