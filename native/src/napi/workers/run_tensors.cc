// session.runTensors({name: {data, shape}}): plain float32 inference on a
// worker thread, returning every model output. Input Float32Arrays are
// referenced (not copied) until the run settles; see run.cc for the reasoning.
#include <cmath>
#include <cstring>

#include "core/errors.h"
#include "napi/js_args.h"
#include "napi/session_wrap.h"
#include "napi/workers/promise_worker.h"
#include "napi/workers/workers.h"

namespace imlage {
namespace {

struct HeldTensor {
  std::string name;
  float* data = nullptr;
  size_t count = 0;
  std::vector<int64_t> shape;
  Napi::ObjectReference ref;
};

class RunTensorsWorker : public PromiseWorker {
 public:
  RunTensorsWorker(Napi::Env env, SessionWrap* wrap, Napi::Object self,
                   std::shared_ptr<Session> session)
      : PromiseWorker(env), wrap_(wrap), self_(Napi::Persistent(self)), session_(std::move(session)) {}

  std::vector<HeldTensor> inputs;

 protected:
  void Work() override {
    std::vector<ValuePtr> values;
    std::vector<const OrtValue*> raw;
    std::vector<std::string> names;
    for (HeldTensor& t : inputs) {
      values.push_back(session_->WrapFloat(t.data, t.count, t.shape));
      raw.push_back(values.back().get());
      names.push_back(t.name);
    }
    std::vector<std::string> outputNames;
    for (const auto& o : session_->outputs()) outputNames.push_back(o.name);
    outputs_ = session_->Run(names, raw, outputNames);
  }

  Napi::Value Result() override {
    Napi::Env env = Env();
    for (const HeldTensor& t : inputs) {
      if (IsDetached(t.ref)) {
        throw NativeError(code::kDetached, "input '" + t.name + "' was detached during the run");
      }
    }
    Napi::Object out = Napi::Object::New(env);
    for (const FloatTensor& t : outputs_) {
      Napi::Float32Array data = Napi::Float32Array::New(env, t.data.size());
      if (!t.data.empty()) std::memcpy(data.Data(), t.data.data(), t.data.size() * sizeof(float));
      Napi::Array shape = Napi::Array::New(env, t.shape.size());
      for (size_t d = 0; d < t.shape.size(); ++d) {
        shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(t.shape[d])));
      }
      Napi::Object tensor = Napi::Object::New(env);
      tensor.Set("data", data);
      tensor.Set("shape", shape);
      out.Set(t.name, tensor);
    }
    return out;
  }

  void Settled() override {
    session_.reset();
    wrap_->RunSettled();
  }

 private:
  SessionWrap* wrap_;
  Napi::ObjectReference self_;
  std::shared_ptr<Session> session_;
  std::vector<FloatTensor> outputs_;
};

}  // namespace

Napi::Promise QueueRunTensors(SessionWrap* wrap, Napi::Object self,
                              std::shared_ptr<Session> session, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) ThrowTypeError(env, "runTensors expects {name: {data, shape}}");
  Napi::Object obj = info[0].As<Napi::Object>();
  Napi::Array keys = obj.GetPropertyNames();
  std::vector<HeldTensor> held;
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    HeldTensor t;
    t.name = keys.Get(i).ToString().Utf8Value();
    Napi::Value v = obj.Get(t.name);
    if (!v.IsObject()) ThrowTypeError(env, "input '" + t.name + "' must be {data, shape}");
    Napi::Value data = v.As<Napi::Object>().Get("data");
    Napi::Value shape = v.As<Napi::Object>().Get("shape");
    if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      ThrowTypeError(env, "input '" + t.name + "'.data must be a Float32Array");
    }
    if (!shape.IsArray()) ThrowTypeError(env, "input '" + t.name + "'.shape must be an array");
    Napi::Array dims = shape.As<Napi::Array>();
    double elements = 1;
    for (uint32_t d = 0; d < dims.Length(); ++d) {
      Napi::Value dim = dims.Get(d);
      const double x = dim.IsNumber() ? dim.As<Napi::Number>().DoubleValue() : -1;
      if (!(x >= 0) || std::floor(x) != x || x > 1e12) {
        ThrowTypeError(env, "input '" + t.name + "'.shape must hold non-negative integers");
      }
      t.shape.push_back(static_cast<int64_t>(x));
      elements *= x;
    }
    Napi::Float32Array arr = data.As<Napi::Float32Array>();
    t.count = arr.ElementLength();
    if (elements != static_cast<double>(t.count)) {
      ThrowTypeError(env, "input '" + t.name + "' has " + std::to_string(t.count) +
                              " values but its shape needs " + std::to_string(static_cast<int64_t>(elements)));
    }
    t.data = arr.Data();
    t.ref = Napi::Persistent(arr.As<Napi::Object>());
    held.push_back(std::move(t));
  }
  auto* worker = new RunTensorsWorker(env, wrap, self, std::move(session));
  worker->inputs = std::move(held);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace imlage
