import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const photos = join(root, 'tests', 'fixtures', 'photos');
export const cli = join(root, 'dist', 'cli', 'main.js');

export function photo(name: string): string {
  const p = join(photos, name);
  if (!existsSync(p)) throw new Error(`missing fixture ${p}: run \`bash scripts/fetch-fixtures.sh\``);
  return p;
}
