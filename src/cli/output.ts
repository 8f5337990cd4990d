// Writing results: to stdout or a file, with back-pressure, and quietly
// stopping when a pipe reader (e.g. `| head`) goes away. Results meant for
// stdout go through a private descriptor (divertStdout): fd 1 itself then
// points at stderr, so whatever a plugin prints cannot corrupt them.
// A file is written under a temporary name in its own folder and renamed
// over the target only by commit(): a failed run leaves an earlier file as it was.

import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadAddon } from '../binding/binding.js';

/** Moves fd 1 to stderr and returns a descriptor on the real stdout, for results only. */
export function divertStdout(): number {
  return loadAddon().divertStdout();
}

/** Resolves on `event`, or when the stream closes or fails (the error handler records why). */
function settled(stream: NodeJS.WritableStream, event: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off(event, done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on(event, done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

export class ResultWriter {
  private stream: NodeJS.WritableStream;
  private file?: WriteStream;
  private broken = false;
  private failure?: Error;
  /** The temporary file and its final name, for -o. */
  private temp?: { path: string; target: string };

  /** path: write to this file; else to `fd` (from divertStdout), else to process.stdout. */
  constructor(path?: string, fd?: number) {
    if (path) {
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
      this.temp = { path: tmp, target: path };
      this.file = createWriteStream(tmp, { flags: 'wx' });
      this.stream = this.file;
    } else if (fd !== undefined) {
      this.file = createWriteStream('', { fd });
      this.stream = this.file;
    } else {
      this.stream = process.stdout;
    }
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.broken = true;
      else this.failure = err;
    });
  }

  /** The reader of stdout went away (EPIPE): nothing more can be written. */
  get closedByReader(): boolean {
    return this.broken;
  }

  /** The temporary file that -o writes to until commit() (removed if the process is killed mid-way by a second Ctrl-C). */
  get tempPath(): string | undefined {
    return this.temp?.path;
  }

  async write(text: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.broken) return;
    // Waits until the bytes are handed to the OS: a progress bar drawn on
    // stderr afterwards cannot land in the middle of a result line.
    await new Promise<void>((resolve) => this.stream.write(text, () => resolve()));
  }

  private async end(): Promise<void> {
    if (this.file && !this.file.closed) {
      const closed = settled(this.file, 'close');
      this.file.end();
      await closed;
    }
    if (this.failure) throw this.failure;
  }

  /** Finishes the output; -o: renames the temporary file over the target. */
  async commit(): Promise<void> {
    try {
      await this.end();
      if (this.temp) renameSync(this.temp.path, this.temp.target);
    } catch (err) {
      this.discardSync();
      throw err;
    }
  }

  /** Gives up: -o leaves the target untouched. */
  async abort(): Promise<void> {
    await this.end().catch(() => {});
    this.discardSync();
  }

  discardSync(): void {
    if (this.temp) rmSync(this.temp.path, { force: true });
  }
}
