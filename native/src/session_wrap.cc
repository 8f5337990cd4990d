#include "session_wrap.h"

#include "errors.h"
#include "workers/workers.h"

namespace imlage {
namespace {

Napi::Array TensorInfos(Napi::Env env, const std::vector<TensorMeta>& metas) {
  Napi::Array arr = Napi::Array::New(env, metas.size());
  for (size_t i = 0; i < metas.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", metas[i].name);
    Napi::Array shape = Napi::Array::New(env, metas[i].shape.size());
    for (size_t d = 0; d < metas[i].shape.size(); ++d) {
      shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(metas[i].shape[d])));
    }
    o.Set("shape", shape);
    o.Set("type", ElementTypeName(metas[i].type));
    arr.Set(static_cast<uint32_t>(i), o);
  }
  return arr;
}

}  // namespace

Napi::Function SessionWrap::DefineClass(Napi::Env env) {
  return ObjectWrap<SessionWrap>::DefineClass(
      env, "NativeSession",
      {
          InstanceMethod<&SessionWrap::Run>("run"),
          InstanceMethod<&SessionWrap::RunTensors>("runTensors"),
          InstanceMethod<&SessionWrap::Submit>("submit"),
          InstanceMethod<&SessionWrap::Flush>("flush"),
          InstanceMethod<&SessionWrap::Close>("close"),
      });
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    ThrowTypeError(env, "NativeSession cannot be constructed directly; use createSession()");
  }
  session_ = *info[0].As<Napi::External<std::shared_ptr<Session>>>().Data();
  if (!session_) ThrowTypeError(env, "NativeSession: missing native session");

  Napi::Array warnings = Napi::Array::New(env, session_->warnings().size());
  for (size_t i = 0; i < session_->warnings().size(); ++i) {
    warnings.Set(static_cast<uint32_t>(i), session_->warnings()[i]);
  }
  const auto ro = napi_enumerable;
  info.This().As<Napi::Object>().DefineProperties({
      Napi::PropertyDescriptor::Value("inputs", TensorInfos(env, session_->inputs()), ro),
      Napi::PropertyDescriptor::Value("outputs", TensorInfos(env, session_->outputs()), ro),
      Napi::PropertyDescriptor::Value("provider", Napi::String::New(env, session_->provider()), ro),
      Napi::PropertyDescriptor::Value("warnings", warnings, ro),
  });
}

void SessionWrap::RunSettled() {
  life_.End();
  ReleaseIfIdle();
}

void SessionWrap::ReleaseIfIdle() {
  if (!life_.TakeFinish()) return;
  if (queue_) queue_->Join();  // its thread has nothing left to do
  session_.reset();  // frees the OrtSession (workers hold no copy any more)
  life_.Finished(Env());
}

Napi::Value SessionWrap::Run(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    life_.ThrowIfClosed("session");
    Napi::Promise p = QueueRun(this, info.This().As<Napi::Object>(), session_, info);
    life_.Begin();
    return p;
  });
}

Napi::Value SessionWrap::RunTensors(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    life_.ThrowIfClosed("session");
    Napi::Promise p = QueueRunTensors(this, info.This().As<Napi::Object>(), session_, info);
    life_.Begin();
    return p;
  });
}

Napi::Value SessionWrap::Submit(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    life_.ThrowIfClosed("session");
    if (!queue_) {
      queue_ = std::make_unique<BatchQueue>(session_, info.This().As<Napi::Object>(), [this] { RunSettled(); });
    }
    Napi::Promise p = queue_->Submit(info);
    life_.Begin();
    return p;
  });
}

Napi::Value SessionWrap::Flush(const Napi::CallbackInfo& info) {
  if (queue_) queue_->Flush();
  return info.Env().Undefined();
}

Napi::Value SessionWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Promise closed = life_.Close(info.Env());
  if (queue_) queue_->Stop();  // queued submits run at once and resolve
  ReleaseIfIdle();
  return closed;
}

}  // namespace imlage
