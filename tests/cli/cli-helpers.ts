// Running the real CLI with stdin, through a shell pipe, or in a pseudo-terminal (util-linux `script`).
import { spawn, type ChildProcess } from 'node:child_process';
import { cli } from '../helpers/paths.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function collect(child: ChildProcess): Promise<Ran> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runWithStdin(args: string[], input: Buffer | string, env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(input);
  return collect(child);
}

export function runShell(command: string, env: Record<string, string> = {}): Promise<Ran> {
  return collect(spawn('bash', ['-c', command], { env: { ...process.env, IMLAGE: `${process.execPath} ${cli}`, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `imlage ARGS` with stdout and stderr on a pseudo-terminal of `columns` columns; everything it shows comes back as stdout. */
export function spawnInPty(args: string[], columns = 120): ChildProcess {
  const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return spawn('script', ['-qefc', `stty cols ${columns} rows 40; exec ${quoted}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** What a terminal would show at the end: \r returns to column 0, ESC[K erases to the end of the line. */
export function screen(raw: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    const row = lines.length - 1;
    if (c === '\r') col = 0;
    else if (c === '\n') {
      lines.push('');
      col = 0;
    } else if (raw.startsWith('\x1b[K', i)) {
      lines[row] = lines[row]!.slice(0, col);
      i += 2;
    } else {
      const l = lines[row]!.padEnd(col);
      lines[row] = l.slice(0, col) + c + l.slice(col + 1);
      col++;
    }
  }
  return lines;
}
