// Progress on stderr: a bar redrawn in place on a terminal (count/total,
// percent, images/s, ETA), cleared before anything else is written; plain
// lines at every tenth of the way when stderr is not a terminal.

export interface ProgressSink {
  /** One image done. */
  tick(failed: boolean): void;
  /** Removes the bar (before results or other lines are written). */
  clear(): void;
  /** Draws the bar again after a clear(). */
  redraw(): void;
  done(): void;
}

const NONE: ProgressSink = { tick() {}, clear() {}, redraw() {}, done() {} };

function duration(s: number): string {
  if (!Number.isFinite(s)) return '--';
  s = Math.round(s);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(done: number, total: number, failed: number, elapsedS: number, width: number, unit = 'images'): string {
  const pct = total ? Math.floor((100 * done) / total) : 100;
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  const tail = ` ${done}/${total} ${String(pct).padStart(3)}% ${rate.toFixed(1)} ${unit}/s ETA ${duration(eta)}${failed ? `, ${failed} failed` : ''}`;
  const barWidth = Math.max(10, Math.min(40, width - tail.length - 3));
  const filled = total ? Math.round((barWidth * done) / total) : barWidth;
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`.slice(0, Math.max(1, width - 1));
}

export function makeProgress(total: number, mode: 'bar' | 'lines' | 'none', unit = 'images'): ProgressSink {
  if (mode === 'none' || total === 0) return NONE;
  const t0 = Date.now();
  let done = 0;
  let failed = 0;
  let shown = false;
  let lastDraw = 0;
  let lastTenth = 0;
  const err = process.stderr;
  const line = () => progressLine(done, total, failed, (Date.now() - t0) / 1000, err.columns || 80, unit);
  const draw = () => {
    err.write(`\r${line()}\x1b[K`);
    shown = true;
    lastDraw = Date.now();
  };
  if (mode === 'lines') {
    return {
      tick(f) {
        done++;
        if (f) failed++;
        const tenth = Math.floor((10 * done) / total);
        if (tenth > lastTenth) {
          lastTenth = tenth;
          err.write(`imlage: progress: ${done}/${total} ${unit} (${Math.floor((100 * done) / total)}%)${failed ? `, ${failed} failed` : ''}\n`);
        }
      },
      clear() {},
      redraw() {},
      done() {},
    };
  }
  return {
    tick(f) {
      done++;
      if (f) failed++;
      // At most ~12 redraws a second; the last one always.
      if (done === total || Date.now() - lastDraw >= 80) draw();
    },
    clear() {
      if (shown) err.write('\r\x1b[K');
      shown = false;
    },
    redraw() {
      if (done < total) draw();
    },
    done() {
      this.clear();
    },
  };
}
