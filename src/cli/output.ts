// Writing results: to stdout or a file, with back-pressure, and quietly
// stopping when a pipe reader (e.g. `| head`) goes away.

import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

export class ResultWriter {
  private stream: NodeJS.WritableStream;
  private file?: WriteStream;
  private broken = false;

  constructor(path?: string) {
    if (path) {
      this.file = createWriteStream(path);
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
