#include "ort/loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <cctype>
#include <memory>
#include <mutex>

#include "core/errors.h"

namespace imlage {
namespace {

std::mutex g_mutex;
// Never freed: ORT's OrtEnv and the library stay loaded for the process's
// lifetime (unloading ORT while thread pools may still exist is unsafe).
OrtRuntime* g_runtime = nullptr;
std::string g_requestedPath;

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return std::string(buf);
  return path;
}

using GetApiBaseFn = const OrtApiBase* (*)();

}  // namespace

std::string ProviderShortName(const std::string& ortName) {
  if (ortName == "CPUExecutionProvider") return "cpu";
  if (ortName == "CUDAExecutionProvider") return "cuda";
  if (ortName == "TensorrtExecutionProvider") return "tensorrt";
  if (ortName == "CoreMLExecutionProvider") return "coreml";
  std::string name = ortName;
  const std::string suffix = "ExecutionProvider";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
  }
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

const OrtRuntime& LoadOrt(const std::string& libraryPath) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::string canonical = Canonical(libraryPath);
  if (g_runtime != nullptr) {
    if (canonical == g_runtime->libraryPath || libraryPath == g_requestedPath) return *g_runtime;
    throw NativeError(code::kOrtConflict,
                      "ONNX Runtime is already loaded from " + g_runtime->libraryPath +
                          " (version " + g_runtime->version + "); cannot also load " +
                          libraryPath + ": only one ONNX Runtime can be used per process");
  }

  dlerror();
  void* handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    throw NativeError(code::kOrtLoad, "cannot load ONNX Runtime library " + libraryPath + ": " +
                                          (err != nullptr ? err : "unknown dlopen error"));
  }
  auto getApiBase = reinterpret_cast<GetApiBaseFn>(dlsym(handle, "OrtGetApiBase"));
  if (getApiBase == nullptr) {
    const char* err = dlerror();
    std::string message = "library " + libraryPath +
                          " does not export OrtGetApiBase (is it ONNX Runtime?): " +
                          (err != nullptr ? err : "symbol not found");
    dlclose(handle);
    throw NativeError(code::kOrtLoad, message);
  }
  const OrtApiBase* base = getApiBase();
  const char* versionStr = base != nullptr && base->GetVersionString != nullptr
                               ? base->GetVersionString()
                               : nullptr;
  const std::string version = versionStr != nullptr ? versionStr : "unknown";
  const OrtApi* api = base != nullptr ? base->GetApi(ORT_API_VERSION) : nullptr;
  if (api == nullptr) {
    dlclose(handle);
    throw NativeError(code::kOrtVersion,
                      "ONNX Runtime library " + libraryPath + " is version " + version +
                          ", which does not provide C API version " +
                          std::to_string(ORT_API_VERSION) +
                          " required by this imlage build; install a newer onnxruntime");
  }

  auto runtime = std::make_unique<OrtRuntime>();
  runtime->api = api;
  runtime->libraryPath = canonical;
  runtime->version = version;

  OrtStatus* status = api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "imlage", &runtime->env);
  if (status != nullptr) {
    std::string message = TakeStatusMessage(*api, status);
    dlclose(handle);
    throw NativeError(code::kOrtLoad, "ONNX Runtime " + version + " from " + libraryPath +
                                          " failed to create its environment: " + message);
  }

  char** names = nullptr;
  int count = 0;
  status = api->GetAvailableProviders(&names, &count);
  if (status == nullptr) {
    for (int i = 0; i < count; ++i) runtime->providers.push_back(ProviderShortName(names[i]));
    TakeStatusMessage(*api, api->ReleaseAvailableProviders(names, count));
  } else {
    TakeStatusMessage(*api, status);
    runtime->providers.push_back("cpu");
  }

  g_requestedPath = libraryPath;
  g_runtime = runtime.release();
  return *g_runtime;
}

const OrtRuntime& CurrentOrt() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_runtime == nullptr) {
    throw NativeError(code::kOrtNotLoaded,
                      "ONNX Runtime is not loaded; call loadOrt(libraryPath) first");
  }
  return *g_runtime;
}

}  // namespace imlage
