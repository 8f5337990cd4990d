import type { ErrorCode } from '../errors.js';

/** Error raised for layer classes / ops the converter does not know. */
export const ERR_UNSUPPORTED: ErrorCode = 'IMLAGE_ERR_CONVERT_UNSUPPORTED';
/** Error raised for malformed or inconsistent model artifacts. */
export const ERR_INVALID: ErrorCode = 'IMLAGE_ERR_CONVERT_INVALID';

export class ConvertError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ConvertError';
    this.code = code;
  }
}

export function unsupported(kind: 'layer' | 'op', type: string, node: string, modelFile: string, detail?: string): ConvertError {
  return new ConvertError(
    ERR_UNSUPPORTED,
    `unsupported TF.js ${kind} type '${type}' (node '${node}') in ${modelFile}${detail ? `: ${detail}` : ''}`,
  );
}

export function invalid(message: string): ConvertError {
  return new ConvertError(ERR_INVALID, message);
}
