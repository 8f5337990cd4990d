// File names as people can read them. On POSIX a name is bytes, not always
// UTF-8: such a path travels as a Buffer (so the file can still be opened)
// and is shown with each byte that is not UTF-8 as \xNN. Control characters
// are shown the same way, so a name cannot rewrite a terminal line.

import { isUtf8 } from 'node:buffer';

export type FilePath = string | Buffer;

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

/** A path's bytes as a string: the string itself when they are UTF-8, else a Buffer. */
export function pathFromBytes(bytes: Buffer): FilePath {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

/** The name to show for a path (in results and messages). */
export function displayName(p: FilePath): string {
  if (typeof p === 'string') return p.replace(CONTROL, (c) => hex(c.charCodeAt(0)));
  let out = '';
  let i = 0;
  while (i < p.length) {
    const n = utf8Length(p, i);
    if (n === 0) out += hex(p[i++]!);
    else {
      out += displayName(p.toString('utf8', i, i + n));
      i += n;
    }
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i`, or 0. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  return isUtf8(b.subarray(i, i + n)) ? n : 0;
}
