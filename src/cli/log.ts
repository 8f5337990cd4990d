// What the CLI prints on stderr, by level: --quiet keeps errors only,
// --verbose adds debug lines (cache hits, thread plan, plugins' debug logs).

export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warn(message: string): void;
  /** For the engine's onLog: each message sorted into its level by what it says. */
  engine(message: string): void;
}

const DEBUG = [/: debug: /, /: using cached ONNX model /, /^threads: /, /: wrote \S+\.onnx /];
const WARN = [/^warning: /, /: warn: /, /: error: /];

/** `before` runs before each line (the progress bar clears itself there). */
export function makeLogger(verbosity: Verbosity, before: () => void = () => {}): Logger {
  const put = (m: string) => {
    before();
    process.stderr.write(`imlage: ${m}\n`);
  };
  const log: Logger = {
    info: (m) => verbosity !== 'quiet' && put(m),
    debug: (m) => verbosity === 'verbose' && put(m),
    warn: (m) => verbosity !== 'quiet' && put(m.startsWith('warning: ') ? m : `warning: ${m}`),
    engine: (m) => {
      if (WARN.some((re) => re.test(m))) log.warn(m);
      else if (DEBUG.some((re) => re.test(m))) log.debug(m);
      else log.info(m);
    },
  };
  return log;
}

export function verbosityOf(o: { quiet?: boolean; verbose?: boolean }): Verbosity {
  return o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal';
}
