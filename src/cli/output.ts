// Writing results: to stdout or a file, with back-pressure, and quietly
// stopping when a pipe reader (e.g. `| head`) goes away. Results meant for
// stdout go through a private descriptor (divertStdout): fd 1 itself then
// points at stderr, so whatever a plugin prints cannot corrupt them.

import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { loadAddon } from '../native/binding.js';

/** Moves fd 1 to stderr and returns a descriptor on the real stdout, for results only. */
export function divertStdout(): number {
  return loadAddon().divertStdout();
}

export class ResultWriter {
  private stream: NodeJS.WritableStream;
  private file?: WriteStream;
  private broken = false;

  /** path: write to this file; else to `fd` (from divertStdout), else to process.stdout. */
  constructor(path?: string, fd?: number) {
    if (path) {
      this.file = createWriteStream(path);
      this.stream = this.file;
    } else if (fd !== undefined) {
      this.file = createWriteStream('', { fd });
      this.stream = this.file;
    } else {
      this.stream = process.stdout;
    }
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.broken = true;
      else throw err;
    });
  }

  async write(text: string): Promise<void> {
    if (this.broken) return;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    if (this.file) {
      this.file.end();
      await once(this.file, 'close');
    }
  }
}
