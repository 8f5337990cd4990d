// The TS copy of smi.h's bounds (src/binding/smi-limits.ts) is the header's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as limits from '../../src/binding/smi-limits.js';
import { root } from '../helpers/paths.js';

const header = readFileSync(join(root, 'native', 'include', 'imlage', 'smi.h'), 'utf8');

describe('SMI limits', () => {
  it.each(Object.entries(limits))('%s is the header\'s', (name, value) => {
    const m = header.match(new RegExp(`#define ${name} (\\d+)u?\\b`));
    expect(m, `${name} in smi.h`).not.toBeNull();
    expect(Number(m![1])).toBe(value);
  });
});
