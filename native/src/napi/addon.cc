// Module initialisation: exports loadOrt, createSession, preprocess,
// loadPlugin, smiVersion, divertStdout, buildInfo, mallocTuning, trimMemory,
// detectDecoders (the detection heads [output.regions] may name), and the
// fast path's decoding (decodeToSize, submitEncoded, decoderInfo,
// setDecodeThreads). All JS handles live in the per-environment Addon
// instance (Napi::Addon), so the addon works in several worker_threads at
// once; the only process-wide state is the dlopen'ed ONNX Runtime itself
// (ort/loader.cc).
#include "napi/addon.h"

#include "core/compiled_spec.h"
#include "napi/submit_encoded.h"

#include <cstring>
#include <string>
#include <vector>

#include "napi/detect_js.h"
#include "core/errors.h"
#include "napi/js_args.h"
#include "napi/malloc_tuning.h"
#include "imlage/smi.h"
#include "ort/loader.h"
#include "napi/plugin_wrap.h"
#include "core/preprocess.h"
#include "napi/session_wrap.h"
#include "napi/workers/workers.h"

namespace imlage {

Addon::Addon(Napi::Env env, Napi::Object exports) {
  sessionConstructor = Napi::Persistent(SessionWrap::DefineClass(env));
  specConstructor = Napi::Persistent(SpecWrap::DefineClass(env));
  pluginConstructor = Napi::Persistent(PluginWrap::DefineClass(env));
  DefineAddon(exports, {
                           InstanceMethod<&Addon::LoadOrt>("loadOrt"),
                           InstanceMethod<&Addon::CreateSession>("createSession"),
                           InstanceMethod<&Addon::Preprocess>("preprocess"),
                           InstanceMethod<&Addon::LoadPlugin>("loadPlugin"),
                           InstanceMethod<&Addon::SmiVersion>("smiVersion"),
                           InstanceMethod<&Addon::DivertStdout>("divertStdout"),
                           InstanceMethod<&Addon::BuildInfo>("buildInfo"),
                           InstanceMethod<&Addon::DecodeToSize>("decodeToSize"),
                           InstanceMethod<&Addon::SubmitEncoded>("submitEncoded"),
                           InstanceMethod<&Addon::DecoderInfo>("decoderInfo"),
                           InstanceMethod<&Addon::SetDecodeThreads>("setDecodeThreads"),
                       });
  TuneMalloc();
  exports.Set("mallocTuning", Napi::Function::New(env, MallocTuning, "mallocTuning"));
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory, "trimMemory"));
  exports.Set("detectDecoders", Napi::Function::New(env, DetectDecoders, "detectDecoders"));
}

Napi::Value Addon::LoadOrt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowTypeError(env, "loadOrt(libraryPath) needs the path of the ONNX Runtime library");
  }
  try {
    const OrtRuntime& ort = imlage::LoadOrt(info[0].As<Napi::String>().Utf8Value());
    Napi::Object out = Napi::Object::New(env);
    out.Set("version", ort.version);
    out.Set("apiVersion", Napi::Number::New(env, ort.apiVersion));
    out.Set("libraryPath", ort.libraryPath);
    Napi::Array providers = Napi::Array::New(env, ort.providers.size());
    for (size_t i = 0; i < ort.providers.size(); ++i) {
      providers.Set(static_cast<uint32_t>(i), ort.providers[i]);
    }
    out.Set("providers", providers);
    return out;
  } catch (const NativeError& e) {
    throw MakeError(env, e);
  }
}

Napi::Value Addon::CreateSession(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&] { return QueueCreateSession(*this, info); });
}

Napi::Value Addon::Preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HeldImage image = ReadImage(info[0]);
  PreprocessSpec spec = ReadPreprocessSpec(info[1]);
  if (image.error.empty()) image.error = ValidateImage(image.view, spec);
  if (!image.error.empty()) throw MakeError(env, code::kInvalidArg, image.error);
  Napi::Float32Array out = Napi::Float32Array::New(env, spec.OutputCount());
  imlage::Preprocess(image.view, spec, out.Data());
  return out;
}

Napi::Value Addon::LoadPlugin(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&] { return QueueLoadPlugin(*this, info); });
}

Napi::Value Addon::DivertStdout(const Napi::CallbackInfo& info) { return imlage::DivertStdout(info); }

Napi::Value Addon::SmiVersion(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("major", Napi::Number::New(info.Env(), SMI_VERSION_MAJOR));
  out.Set("minor", Napi::Number::New(info.Env(), SMI_VERSION_MINOR));
  return out;
}

// `imlage --version` names the compiler a binary came from, so a report
// tells a prebuilt binary from a local build.
Napi::Value Addon::BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
#if defined(__clang__)
  out.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  out.Set("compiler", "gcc " __VERSION__);
#elif defined(_MSC_VER)
  out.Set("compiler", "msvc " + std::to_string(_MSC_FULL_VER));
#else
  out.Set("compiler", "unknown");
#endif
  out.Set("napiVersion", Napi::Number::New(info.Env(), NAPI_VERSION));
  return out;
}

Napi::Value Addon::DecodeToSize(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&] { return decodePool.Submit(info); });
}

Napi::Value Addon::SubmitEncoded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    return imlage::SubmitEncoded(*this, info);
  } catch (const NativeError& e) {
    throw MakeError(env, e);
  }
}

Napi::Value Addon::DecoderInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const decode::Compiled c = decode::CompiledDecoders();
  out.Set("jpeg", Napi::Boolean::New(env, c.jpeg));
  if (c.jpeg) out.Set("libjpegTurbo", c.jpegVersion);
  out.Set("png", Napi::Boolean::New(env, c.png));
  out.Set("threads", Napi::Number::New(env, decodePool.Threads()));
  return out;
}

Napi::Value Addon::SetDecodeThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowTypeError(env, "setDecodeThreads(n) needs a number");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= decode::DecodePool::kMaxThreads) || n != static_cast<int>(n)) {
    ThrowTypeError(env, "setDecodeThreads: n must be an integer from 1 to " + std::to_string(decode::DecodePool::kMaxThreads));
  }
  decodePool.Resize(static_cast<int>(n));
  return Napi::Number::New(env, decodePool.Threads());
}

}  // namespace imlage

// The macro pastes its argument into a function name: no qualified names.
using ImlageAddon = imlage::Addon;
NODE_API_ADDON(ImlageAddon)
