#include "core/errors.h"

#include "onnxruntime_c_api.h"

namespace imlage {

const char* CodeForOrtErrorCode(int ortCode) {
  switch (static_cast<OrtErrorCode>(ortCode)) {
    case ORT_NO_SUCHFILE:
      return code::kModelNotFound;
    case ORT_NO_MODEL:
    case ORT_INVALID_PROTOBUF:
    case ORT_MODEL_LOADED:
      return code::kModelInvalid;
    case ORT_INVALID_ARGUMENT:
      return code::kInvalidArg;
    case ORT_NOT_IMPLEMENTED:
      return code::kNotImplemented;
    case ORT_RUNTIME_EXCEPTION:
    case ORT_ENGINE_ERROR:
      return code::kOrtRuntime;
    default:
      return code::kOrt;
  }
}

void ThrowIfFailed(const OrtApi& api, OrtStatus* status, const std::string& what) {
  if (status == nullptr) return;
  const int ortCode = static_cast<int>(api.GetErrorCode(status));
  std::string message = what + ": " + api.GetErrorMessage(status);
  api.ReleaseStatus(status);
  throw NativeError(CodeForOrtErrorCode(ortCode), message);
}

std::string TakeStatusMessage(const OrtApi& api, OrtStatus* status) {
  if (status == nullptr) return std::string();
  std::string message = api.GetErrorMessage(status);
  api.ReleaseStatus(status);
  return message;
}

Napi::Error MakeError(Napi::Env env, const std::string& errCode, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, errCode));
  return error;
}

void ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, code::kInvalidArg));
  throw error;
}

Napi::Value RejectedPromise(Napi::Env env, const Napi::Value& error) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  d.Reject(error);
  return d.Promise();
}

}  // namespace imlage
