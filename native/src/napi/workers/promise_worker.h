// Base for the addon's AsyncWorkers: each settles a promise, and failures on
// the worker thread carry an IMLAGE_ERR_* code to the rejection.
#pragma once

#include <napi.h>

#include <string>

#include "core/errors.h"

namespace imlage {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Worker thread. May throw NativeError.
  virtual void Work() = 0;
  // JS thread. Builds the resolution value; may throw NativeError / Napi::Error.
  virtual Napi::Value Result() = 0;
  // JS thread, after the promise settled either way.
  virtual void Settled() {}

 private:
  void Execute() final {
    try {
      Work();
    } catch (const NativeError& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::exception& e) {
      code_ = code::kOrt;
      SetError(e.what());
    }
  }
  void OnOK() final {
    try {
      deferred_.Resolve(Result());
    } catch (const NativeError& e) {
      deferred_.Reject(MakeError(Env(), e).Value());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
    Settled();
  }
  void OnError(const Napi::Error& e) final {
    deferred_.Reject(MakeError(Env(), code_, e.Message()).Value());
    Settled();
  }

  Napi::Promise::Deferred deferred_;
  std::string code_ = code::kOrt;
};

}  // namespace imlage
