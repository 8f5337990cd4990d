// Reads an input file into memory, and nothing else: libvips then gets bytes,
// never a path, so no loader can open a file beside it. The file is opened
// non-blocking (a FIFO would otherwise hang open() forever) and checked with
// fstat on that same descriptor before one byte is read, so what is read is
// the regular file that was checked.

import { constants } from 'node:fs';
import { lstat, open, readlink, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ImlageError } from '../errors.js';
import { displayName, type FilePath } from './file-name.js';
import { RAISE } from './limits.js';

const MIB = 1024 * 1024;

export function formatMiB(bytes: number): string {
  const m = bytes / MIB;
  return m >= 100 ? String(Math.round(m)) : String(Number(m.toPrecision(3)));
}

function kind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

async function isSymlink(path: FilePath): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Why `path` is not a regular file, in words. */
async function notRegular(path: FilePath, st: Stats): Promise<string> {
  const viaLink = await isSymlink(path);
  if (st.isDirectory()) {
    return viaLink
      ? 'it is a symlink to a folder; folders reached through symlinks are not read (give the folder itself)'
      : 'it is a folder, not an image file';
  }
  return viaLink ? `it is a symlink to ${kind(st)}, not to a regular file` : `it is ${kind(st)}, not a regular file`;
}

async function openFailure(path: FilePath, err: NodeJS.ErrnoException): Promise<string> {
  switch (err.code) {
    case 'ELOOP':
      return 'it is a symlink loop (too many levels of symbolic links)';
    case 'ENOENT':
      if (await isSymlink(path)) return `it is a symlink to a missing file (${displayName(await readlink(path, { encoding: 'buffer' }))})`;
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENXIO':
      // open() of a socket; stat says what it is.
      try {
        return await notRegular(path, await stat(path));
      } catch {
        return 'it is not a regular file';
      }
    case 'ENOTDIR':
      return 'a folder in its path is a file';
    default:
      return err.message;
  }
}

/**
 * The whole file, at most `maxBytes` long. Throws IMLAGE_ERR_INPUT with
 * `cannot read <name>: <why>` for anything but a readable regular file.
 */
export async function readImageFile(path: FilePath, maxBytes: number): Promise<Buffer> {
  const fail = (why: string, cause?: unknown) =>
    new ImlageError('IMLAGE_ERR_INPUT', `cannot read ${displayName(path)}: ${why}`, { cause });
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw fail(await openFailure(path, err as NodeJS.ErrnoException), err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw fail(await notRegular(path, st));
    if (st.size > maxBytes) {
      throw fail(`the file is ${formatMiB(st.size)} MiB, more than the ${formatMiB(maxBytes)} MiB limit (${RAISE.maxFileMiB})`);
    }
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break; // the file shrank while being read: keep what is there
      got += bytesRead;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } catch (err) {
    if (err instanceof ImlageError) throw err;
    throw fail((err as Error).message, err);
  } finally {
    await fh.close();
  }
}
