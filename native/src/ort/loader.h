// Loads ONNX Runtime at run time (dlopen) and hands out its C API table.
//
// ORT is a process-wide resource: one shared library, one OrtEnv. That state
// is native-only (no JS handles), so it lives in a process global guarded by a
// mutex, while everything JS-facing is per-environment addon instance data.
#pragma once

#include <string>
#include <vector>

#include "onnxruntime_c_api.h"

namespace imlage {

struct OrtRuntime {
  const OrtApi* api = nullptr;
  OrtEnv* env = nullptr;
  std::string libraryPath;  // absolute (canonical when it can be resolved)
  std::string version;      // GetVersionString()
  uint32_t apiVersion = ORT_API_VERSION;
  std::vector<std::string> providers;  // our names: cpu, cuda, tensorrt, coreml, ...
};

// dlopen()s libraryPath once per process. A second call with the same library
// returns the same runtime; with a different one it throws
// NativeError(IMLAGE_ERR_ORT_CONFLICT). Throws IMLAGE_ERR_ORT_LOAD or
// IMLAGE_ERR_ORT_VERSION on failure. Thread-safe.
const OrtRuntime& LoadOrt(const std::string& libraryPath);

// The loaded runtime; throws NativeError(IMLAGE_ERR_ORT_NOT_LOADED) if none.
const OrtRuntime& CurrentOrt();

// "CUDAExecutionProvider" -> "cuda"; unknown names are lower-cased without the suffix.
std::string ProviderShortName(const std::string& ortName);

}  // namespace imlage
