/** Bump whenever the emitted ONNX bytes change for the same input (invalidates caches). */
export const CONVERTER_VERSION = '1.0.0';
