// Files a JSON request names, read only from under the server's root
// folder: the path is resolved, then its real path (every symlink followed)
// must still lie inside the root's real path, and the file is opened without
// following a last-moment symlink and read only up to the size limit.

import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ImlageError, errorMessage } from '../errors.js';

function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' ? false : !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/** The bytes of `name` (relative to `root`, which must be a real path), or an error naming why not. */
export async function readUnderRoot(root: string, name: string, maxBytes: number): Promise<Uint8Array> {
  const refuse = (why: string) => new ImlageError('IMLAGE_ERR_INPUT', `${name}: ${why}`);
  if (name.includes('\0')) throw refuse('file names cannot contain NUL');
  if (isAbsolute(name)) throw refuse("absolute paths are refused: name files relative to the server's root folder");
  const target = resolve(root, name);
  if (!inside(root, target)) throw refuse("the path leads outside the server's root folder");
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    throw refuse((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file under the server\'s root folder' : `cannot read it: ${errorMessage(err)}`);
  }
  if (!inside(root, real)) throw refuse("a symlink leads outside the server's root folder");
  let fh;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw refuse(`cannot open it: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw refuse('not a regular file');
    if (st.size > maxBytes) throw refuse(`${st.size} bytes is over the server's limit of ${maxBytes} bytes per image ([serve] max_body_mib)`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}
