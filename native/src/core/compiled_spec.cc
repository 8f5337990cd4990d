#include "core/compiled_spec.h"

#include <cstring>

#include "napi/addon.h"
#include "napi/detect_js.h"
#include "core/errors.h"
#include "napi/js_args.h"

namespace imlage {
namespace {

void AppendBits(std::string& key, double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  key += std::to_string(bits);
  key += ',';
}

std::string SpecKey(const PreprocessSpec& pre, const PostprocessSpec& post) {
  std::string key;
  key += std::to_string(pre.width) + ',' + std::to_string(pre.height) + ',' + (pre.nchw ? 'c' : 'h') +
         (pre.bgr ? 'b' : 'r') + std::to_string(static_cast<int>(pre.resize)) + (pre.normalizeFirst ? 'n' : 'r') + ',';
  AppendBits(key, pre.scale);
  for (int c = 0; c < 3; ++c) AppendBits(key, pre.mean[c]);
  for (int c = 0; c < 3; ++c) AppendBits(key, pre.std[c]);
  key += std::to_string(static_cast<int>(post.activation)) + ',' + std::to_string(static_cast<int>(post.reduce)) + ',';
  AppendBits(key, post.threshold);
  key += std::to_string(post.topK) + ';';
  for (const std::string& o : post.outputs) key += std::to_string(o.size()) + ':' + o;
  return key + ';' + DetectSpecKey(post.regions);
}

}  // namespace

std::shared_ptr<const CompiledSpec> CompileSpec(const Session& session, const Napi::Value& pre, const Napi::Value& post) {
  auto spec = std::make_shared<CompiledSpec>();
  spec->pre = ReadPreprocessSpec(pre);
  spec->post = ReadPostprocessSpec(post);
  spec->plan = PlanRun(session, spec->pre, spec->post);
  spec->key = SpecKey(spec->pre, spec->post);
  return spec;
}

Napi::Function SpecWrap::DefineClass(Napi::Env env) { return ObjectWrap<SpecWrap>::DefineClass(env, "NativeSpec", {}); }

SpecWrap::SpecWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SpecWrap>(info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    ThrowTypeError(info.Env(), "NativeSpec cannot be constructed directly; use session.compileSpec()");
  }
  const Made& made = *info[0].As<Napi::External<Made>>().Data();
  spec_ = made.spec;
  session_ = made.session;
  sessionRef_ = Napi::Persistent(made.sessionObject);
}

SpecWrap* SpecWrap::From(const Napi::Value& value, const char* what) {
  Addon* addon = value.Env().GetInstanceData<Addon>();
  if (!value.IsObject() || addon == nullptr ||
      !value.As<Napi::Object>().InstanceOf(addon->specConstructor.Value())) {
    throw NativeError(code::kInvalidArg, std::string(what) + " must be a spec from session.compileSpec(pre, post)");
  }
  return ObjectWrap<SpecWrap>::Unwrap(value.As<Napi::Object>());
}

}  // namespace imlage
