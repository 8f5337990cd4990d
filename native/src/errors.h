// The one place that names imlage's native error codes and turns ORT
// statuses and C++ failures into them.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>

struct OrtStatus;
struct OrtApi;

namespace imlage {

namespace code {
inline constexpr const char* kOrtLoad = "IMLAGE_ERR_ORT_LOAD";
inline constexpr const char* kOrtVersion = "IMLAGE_ERR_ORT_VERSION";
inline constexpr const char* kOrtNotLoaded = "IMLAGE_ERR_ORT_NOT_LOADED";
inline constexpr const char* kOrtConflict = "IMLAGE_ERR_ORT_CONFLICT";
inline constexpr const char* kOrt = "IMLAGE_ERR_ORT";
inline constexpr const char* kModelNotFound = "IMLAGE_ERR_MODEL_NOT_FOUND";
inline constexpr const char* kModelInvalid = "IMLAGE_ERR_MODEL_INVALID";
inline constexpr const char* kInvalidArgument = "IMLAGE_ERR_INVALID_ARGUMENT";
inline constexpr const char* kNotImplemented = "IMLAGE_ERR_NOT_IMPLEMENTED";
inline constexpr const char* kRuntime = "IMLAGE_ERR_ORT_RUNTIME";
inline constexpr const char* kClosed = "IMLAGE_ERR_CLOSED";
inline constexpr const char* kDetached = "IMLAGE_ERR_DETACHED";
inline constexpr const char* kUnsupportedModel = "IMLAGE_ERR_UNSUPPORTED_MODEL";
// SMI plugins (native/src/plugin/).
inline constexpr const char* kPluginNotFound = "IMLAGE_ERR_PLUGIN_NOT_FOUND";
inline constexpr const char* kPluginLoad = "IMLAGE_ERR_PLUGIN_LOAD";
inline constexpr const char* kPluginNoInit = "IMLAGE_ERR_PLUGIN_NO_INIT";
inline constexpr const char* kPluginBadDescriptor = "IMLAGE_ERR_PLUGIN_BAD_DESCRIPTOR";
inline constexpr const char* kPluginVersion = "IMLAGE_ERR_PLUGIN_VERSION";
inline constexpr const char* kPluginInit = "IMLAGE_ERR_PLUGIN_INIT";
// A plugin entry point returned a failure status (register/load/batch/...).
inline constexpr const char* kPluginCall = "IMLAGE_ERR_PLUGIN_CALL";
}  // namespace code

// A failure with an IMLAGE_ERR_* code. Safe to throw on worker threads; it is
// converted to a JS Error only on the JS thread (ToJs).
class NativeError : public std::runtime_error {
 public:
  NativeError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Maps an OrtErrorCode (as int, to keep ORT's header out of this one) to ours.
const char* CodeForOrtErrorCode(int ortCode);

// If status is non-null: release it and throw NativeError whose message is
// "<what>: <ORT message>". Returns normally on success (null status).
void ThrowIfFailed(const OrtApi& api, OrtStatus* status, const std::string& what);

// Releases a status and returns its message ("" for null). For warnings.
std::string TakeStatusMessage(const OrtApi& api, OrtStatus* status);

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& message);
inline Napi::Error MakeError(Napi::Env env, const NativeError& e) {
  return MakeError(env, e.code(), e.what());
}

// A promise already rejected with `error` (JS thread only).
Napi::Value RejectedPromise(Napi::Env env, const Napi::Value& error);

// Runs `start`, which queues async work and returns its promise. A failure
// thrown before the work is queued (bad arguments, closed object) becomes a
// rejected promise too, so callers of an async function see every failure
// the same way.
template <typename F>
Napi::Value PromiseOrRejection(Napi::Env env, F&& start) {
  try {
    return start();
  } catch (const NativeError& e) {
    return RejectedPromise(env, MakeError(env, e).Value());
  } catch (const Napi::Error& e) {
    return RejectedPromise(env, e.Value());
  }
}

// Throws a JS TypeError with code IMLAGE_ERR_INVALID_ARGUMENT (JS thread only).
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

}  // namespace imlage
