// Result formats. json: one document at the end (an object with an
// "interrupted" marker when the run was cut short); jsonl: one line per
// image as it finishes; csv: one row per tag (with a detector's count; its
// regions only in json and jsonl, as a box is not a tag); table: a compact view for
// people, one line per image with each plugin's top tags.

import { displayName } from '../engine/file-name.js';
import { isFailure, type TagResult } from '../engine/types.js';

export const FORMATS = ['json', 'jsonl', 'csv', 'table'] as const;
export type Format = (typeof FORMATS)[number];

export interface Formatter {
  /** Text to write first (a header). */
  begin(): string;
  /** Text for one result, written as soon as it is done ('' while buffering). */
  item(r: TagResult): string;
  /** The rest; `interrupted` names the signal when the run was cut short. */
  end(interrupted?: string): string;
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvFormatter(): Formatter {
  const row = (cells: (string | number | undefined)[]) => cells.map(csvCell).join(',') + '\r\n';
  return {
    begin: () => row(['file', 'plugin', 'label', 'confidence', 'count', 'error']),
    item: (r) => {
      if (r.error) return row([r.file, '', '', '', '', r.error]);
      let out = '';
      for (const [plugin, res] of Object.entries(r.results)) {
        if (isFailure(res)) out += row([r.file, plugin, '', '', '', res.error]);
        else for (const t of res.tags) out += row([r.file, plugin, t.label, t.confidence, t.count, undefined]);
      }
      return out;
    },
    end: () => '',
  };
}

function fit(s: string, width: number): string {
  s = s.replace(/\s+/g, ' ');
  return s.length <= width ? s.padEnd(width) : `${s.slice(0, Math.max(0, width - 1))}…`;
}

/** File names keep their end (the name), cut at the front. */
function fitPath(s: string, width: number): string {
  return s.length <= width ? s.padEnd(width) : `…${s.slice(s.length - width + 1)}`;
}

export const TABLE_TOP_TAGS = 3;

function tableFormatter(plugins: string[], columns: number): Formatter {
  const fileWidth = Math.max(16, Math.min(48, Math.floor(columns * 0.35)));
  const cell = Math.max(12, Math.floor((columns - fileWidth - 2 * plugins.length) / Math.max(1, plugins.length)));
  const line = (file: string, cells: string[]) =>
    (fitPath(file, fileWidth) + cells.map((c) => `  ${fit(c, cell)}`).join('')).trimEnd() + '\n';
  return {
    begin: () => line('FILE', plugins.map((p) => p.toUpperCase())),
    item: (r) => {
      if (r.error) return line(displayName(r.file), [`error: ${r.error.split('\n')[0]}`]);
      return line(displayName(r.file), plugins.map((p) => {
        const res = r.results[p];
        if (!res) return '-';
        if (isFailure(res)) return `error: ${res.error.split('\n')[0]}`;
        return res.tags.slice(0, TABLE_TOP_TAGS).map((t) => `${t.label}${t.count !== undefined && t.count > 1 ? ` ×${t.count}` : ''} ${t.confidence.toFixed(2)}`).join(', ') || '-';
      }));
    },
    end: (interrupted) => (interrupted ? `(interrupted by ${interrupted})\n` : ''),
  };
}

function jsonFormatter(): Formatter {
  const all: TagResult[] = [];
  return {
    begin: () => '',
    item: (r) => {
      all.push(r);
      return '';
    },
    end: (interrupted) =>
      JSON.stringify(interrupted ? { interrupted, completed: all.length, results: all } : all, null, 2) + '\n',
  };
}

export function makeFormatter(format: Format, plugins: string[], columns = 100): Formatter {
  switch (format) {
    case 'json':
      return jsonFormatter();
    case 'jsonl':
      return { begin: () => '', item: (r) => JSON.stringify(r) + '\n', end: () => '' };
    case 'csv':
      return csvFormatter();
    case 'table':
      return tableFormatter(plugins, columns);
  }
}
