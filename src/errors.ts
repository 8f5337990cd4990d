// Every error a user sees carries a stable code; messages say what failed,
// where (file, key, plugin) and how to fix it.

// The catalogue of codes is native/src/core/error_codes.def (with each code's
// meaning and fix, and docs/errors.md made from it); this union lists the
// same codes, in the same order, which tests/unit/error-catalogue.test.ts checks.
export type ErrorCode =
  | 'IMLAGE_ERR_ADDON_LOAD'
  | 'IMLAGE_ERR_ORT_LOAD'
  | 'IMLAGE_ERR_ORT_VERSION'
  | 'IMLAGE_ERR_ORT_CONFLICT'
  | 'IMLAGE_ERR_ORT_NOT_LOADED'
  | 'IMLAGE_ERR_ORT'
  | 'IMLAGE_ERR_ORT_RUNTIME'
  | 'IMLAGE_ERR_MODEL_NOT_FOUND'
  | 'IMLAGE_ERR_MODEL_INVALID'
  | 'IMLAGE_ERR_UNSUPPORTED_MODEL'
  | 'IMLAGE_ERR_NOT_IMPLEMENTED'
  | 'IMLAGE_ERR_MODEL_SOURCE'
  | 'IMLAGE_ERR_INVALID_ARG'
  | 'IMLAGE_ERR_CLOSED'
  | 'IMLAGE_ERR_DETACHED'
  | 'IMLAGE_ERR_INPUT'
  | 'IMLAGE_ERR_DECODE'
  | 'IMLAGE_ERR_STDOUT'
  | 'IMLAGE_ERR_CONFIG'
  | 'IMLAGE_ERR_MANIFEST'
  | 'IMLAGE_ERR_UNKNOWN_PLUGIN'
  | 'IMLAGE_ERR_PLUGIN_LIBRARY'
  | 'IMLAGE_ERR_PLUGIN_NOT_FOUND'
  | 'IMLAGE_ERR_PLUGIN_LOAD'
  | 'IMLAGE_ERR_PLUGIN_NO_INIT'
  | 'IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR'
  | 'IMLAGE_ERR_PLUGIN_VERSION'
  | 'IMLAGE_ERR_PLUGIN_INIT'
  | 'IMLAGE_ERR_PLUGIN_CALL'
  | 'IMLAGE_ERR_PLUGIN_CRASHED'
  | 'IMLAGE_ERR_PLUGIN_TIMEOUT'
  | 'IMLAGE_ERR_CONVERT_UNSUPPORTED'
  | 'IMLAGE_ERR_CONVERT_INVALID'
  | 'IMLAGE_ERR_UNAUTHORIZED'
  | 'IMLAGE_ERR_FORBIDDEN'
  | 'IMLAGE_ERR_TOO_LARGE'
  | 'IMLAGE_ERR_BUSY'
  | 'IMLAGE_ERR_TIMEOUT'
  | 'IMLAGE_ERR_NOT_READY'
  | 'IMLAGE_ERR_SHUTDOWN'
  | 'IMLAGE_ERR_CANCELLED'
  | 'IMLAGE_ERR_NOT_FOUND'
  | 'IMLAGE_ERR_INTERNAL'
  | 'IMLAGE_ERR_REQUEST';

export class ImlageError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImlageError';
    this.code = code;
  }
}

/** The IMLAGE_ERR_* code an error carries (ImlageError, or a native Error with `code`), if any. */
export function errorCode(err: unknown): ErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('IMLAGE_ERR_') ? (code as ErrorCode) : undefined;
}

const PLUGIN_LOAD_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'IMLAGE_ERR_PLUGIN_NOT_FOUND', 'IMLAGE_ERR_PLUGIN_LOAD', 'IMLAGE_ERR_PLUGIN_NO_INIT', 'IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR',
  'IMLAGE_ERR_PLUGIN_VERSION', 'IMLAGE_ERR_PLUGIN_INIT', 'IMLAGE_ERR_PLUGIN_CALL', 'IMLAGE_ERR_PLUGIN_CRASHED',
  'IMLAGE_ERR_PLUGIN_TIMEOUT', 'IMLAGE_ERR_PLUGIN_LIBRARY',
]);

/** A plugin that could not be loaded or run (not a usage error). */
export function isPluginLoadFailure(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && PLUGIN_LOAD_CODES.has(code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
