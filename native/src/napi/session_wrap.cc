#include "napi/session_wrap.h"

#include "napi/addon.h"
#include "core/compiled_spec.h"
#include "core/errors.h"
#include "ort/session_runner.h"
#include "napi/workers/workers.h"

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
          InstanceMethod<&SessionWrap::CompileSpec>("compileSpec"),
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

Napi::Value SessionWrap::CompileSpec(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    life_.ThrowIfClosed("session");
    SpecWrap::Made made{imlage::CompileSpec(*session_, info[0], info[1]), this, info.This().As<Napi::Object>()};
    return env.GetInstanceData<Addon>()->specConstructor.New({Napi::External<SpecWrap::Made>::New(env, &made)});
  } catch (const NativeError& e) {
    throw MakeError(env, e);
  }
}

BatchQueue& SessionWrap::QueueFor(const Napi::Object& self) {
  life_.ThrowIfClosed("session");
  if (!queue_) queue_ = std::make_unique<BatchQueue>(MakeSessionRunner(session_), self, [this] { RunSettled(); });
  return *queue_;
}

Napi::Promise SessionWrap::Expect(const Napi::Object& self, BatchQueue::Request& r, BatchQueue** queue) {
  BatchQueue& q = QueueFor(self);
  Napi::Promise p = q.Expect(self.Env(), r);
  life_.Begin();
  *queue = &q;
  return p;
}

Napi::Value SessionWrap::Submit(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    SpecWrap* spec = SpecWrap::From(info[1], "submit's spec");
    if (spec->session() != this) {
      throw NativeError(code::kInvalidArg, "submit's spec was compiled by another session; compile it with this one");
    }
    if (!info[2].IsObject()) throw NativeError(code::kInvalidArg, "submit options must be an object");
    std::shared_ptr<const CompiledSpec> compiled = spec->spec();
    Napi::Promise p = QueueFor(info.This().As<Napi::Object>()).Submit(info[0], info[2].As<Napi::Object>(), [&](BatchRequest& r) {
      r.key = compiled->key;
      r.spec = compiled;
    });
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
