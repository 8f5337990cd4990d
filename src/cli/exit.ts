// The exit statuses (README "Exit status"): one place, so that every command agrees.

import { errorCode, isPluginLoadFailure, type ErrorCode } from '../errors.js';

export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** Some or all images failed (the summary names them), or a plugin could not load. */
  failed: 1,
  /** Usage and configuration errors, commander's included. */
  usage: 2,
  /** Ctrl-C (SIGINT): what was finished is written. */
  interrupted: 130,
  /** SIGTERM, handled the same way (128 + 15). */
  terminated: 143,
} as const;

const USAGE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'IMLAGE_ERR_INVALID_ARG', 'IMLAGE_ERR_CONFIG', 'IMLAGE_ERR_UNKNOWN_PLUGIN', 'IMLAGE_ERR_INPUT', 'IMLAGE_ERR_MANIFEST',
]);

/** The status for an error that ended a command. */
export function exitStatusFor(err: unknown): number {
  if (isPluginLoadFailure(err)) return EXIT.failed;
  const code = errorCode(err);
  return code && USAGE.has(code) ? EXIT.usage : EXIT.failed;
}
