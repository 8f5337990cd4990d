// createSession(model, options): builds the ORT session on a worker thread.
#include "napi/addon.h"
#include "core/errors.h"
#include "napi/js_args.h"
#include "napi/workers/promise_worker.h"
#include "napi/workers/workers.h"

namespace imlage {
namespace {

class CreateSessionWorker : public PromiseWorker {
 public:
  CreateSessionWorker(Napi::Env env, Addon& addon, const OrtRuntime& ort)
      : PromiseWorker(env), addon_(addon), ort_(ort) {}

  std::string modelPath;
  // Model bytes: the Uint8Array stays referenced until the worker is destroyed
  // (JS thread); ORT reads them only inside CreateSessionFromArray (Work()).
  Napi::ObjectReference bytesRef;
  const void* bytes = nullptr;
  size_t length = 0;
  SessionConfig config;

 protected:
  void Work() override {
    session_ = std::make_shared<Session>(ort_, modelPath, bytes, length, config);
  }
  Napi::Value Result() override {
    if (!bytesRef.IsEmpty() && IsDetached(bytesRef)) {
      throw NativeError(code::kDetached,
                        "the model's buffer was detached while the session was being created");
    }
    return addon_.sessionConstructor.New(
        {Napi::External<std::shared_ptr<Session>>::New(Env(), &session_)});
  }

 private:
  Addon& addon_;
  const OrtRuntime& ort_;
  std::shared_ptr<Session> session_;
};

}  // namespace

Napi::Promise QueueCreateSession(Addon& addon, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const OrtRuntime& ort = CurrentOrt();  // throws IMLAGE_ERR_ORT_NOT_LOADED
  SessionConfig config = ReadSessionConfig(info[1]);
  auto* worker = new CreateSessionWorker(env, addon, ort);
  worker->config = std::move(config);
  if (info[0].IsString()) {
    worker->modelPath = info[0].As<Napi::String>().Utf8Value();
  } else if (info[0].IsTypedArray() &&
             info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
    worker->length = arr.ByteLength();
    worker->bytes = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    worker->bytesRef = Napi::Persistent(arr.As<Napi::Object>());
    if (worker->length == 0) {
      delete worker;
      ThrowTypeError(env, "model bytes are empty");
    }
  } else {
    delete worker;
    ThrowTypeError(env, "model must be a file path (string) or the model's bytes (Uint8Array)");
  }
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace imlage
