// Every error a user sees carries a stable code; messages say what failed,
// where (file, key, plugin) and how to fix it.

export type ErrorCode =
  | 'IMLAGE_ERR_ADDON_LOAD'
  | 'IMLAGE_ERR_ORT_LOAD'
  | 'IMLAGE_ERR_ORT_VERSION'
  | 'IMLAGE_ERR_ORT'
  | 'IMLAGE_ERR_CLOSED'
  | 'IMLAGE_ERR_INVALID_ARG'
  | 'IMLAGE_ERR_MANIFEST'
  | 'IMLAGE_ERR_CONFIG'
  | 'IMLAGE_ERR_UNKNOWN_PLUGIN'
  | 'IMLAGE_ERR_MODEL_SOURCE'
  | 'IMLAGE_ERR_CONVERT_UNSUPPORTED'
  | 'IMLAGE_ERR_DECODE'
  | 'IMLAGE_ERR_INPUT'
  | 'IMLAGE_ERR_PLUGIN_LIBRARY'
  | 'IMLAGE_ERR_PLUGIN_CRASHED'
  | 'IMLAGE_ERR_PLUGIN_TIMEOUT';

export class ImlageError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImlageError';
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
