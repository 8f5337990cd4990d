// imlage's error codes (the catalogue is error_codes.def) and the one place
// that turns ORT statuses and C++ failures into them.
#pragma once

#include <napi.h>

#include <stdexcept>
#include <string>

struct OrtStatus;
struct OrtApi;

namespace imlage {

// code::k<Name> for every entry of the catalogue (error_codes.def).
namespace code {
#define IMLAGE_ERROR(name, text, meaning, fix) inline constexpr const char* k##name = text;
#include "core/error_codes.def"
#undef IMLAGE_ERROR
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

// Throws a JS TypeError with code IMLAGE_ERR_INVALID_ARG (JS thread only).
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

}  // namespace imlage
