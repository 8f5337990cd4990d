#include "napi/detect_js.h"

#include <cmath>
#include <cstring>

#include "core/errors.h"

namespace imlage {
namespace {

std::string Joined(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s.empty() ? "(none)" : s;
}

// A number within [min, max]; `integer` also refuses fractions.
double Bounded(const Napi::Object& obj, const char* key, double min, double max, bool integer) {
  Napi::Value v = obj.Get(key);
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max) || (integer && std::floor(d) != d)) {
    ThrowTypeError(obj.Env(), std::string("postprocess.regions.") + key + " must be " +
                                  (integer ? "an integer" : "a number") + " in " + std::to_string(min) +
                                  ".." + std::to_string(max));
  }
  return d;
}

}  // namespace

std::optional<DetectSpec> ReadDetectSpec(const Napi::Value& value) {
  if (value.IsUndefined()) return std::nullopt;
  Napi::Env env = value.Env();
  if (!value.IsObject()) ThrowTypeError(env, "postprocess.regions must be an object or undefined");
  Napi::Object obj = value.As<Napi::Object>();
  DetectSpec spec;
  Napi::Value decoder = obj.Get("decoder");
  spec.decoder = decoder.IsString() ? decoder.As<Napi::String>().Utf8Value() : std::string();
  if (FindDecoder(spec.decoder) == nullptr) {
    ThrowTypeError(env, "postprocess.regions.decoder '" + spec.decoder + "' is not a known detection head; known: " +
                            Joined(DecoderNames()));
  }
  Napi::Value outputs = obj.Get("outputs");
  if (!outputs.IsArray() || outputs.As<Napi::Array>().Length() == 0) {
    ThrowTypeError(env, "postprocess.regions.outputs must be a non-empty array of output names");
  }
  Napi::Array arr = outputs.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) ThrowTypeError(env, "postprocess.regions.outputs must contain strings");
    spec.outputs.push_back(v.As<Napi::String>().Utf8Value());
  }
  spec.scoreThreshold = static_cast<float>(Bounded(obj, "threshold", 0, 1, false));
  spec.iou = static_cast<float>(Bounded(obj, "iou", 0, 1, false));
  spec.maxDetections = static_cast<uint32_t>(Bounded(obj, "maxDetections", 1, 100000, true));
  Napi::Value perClass = obj.Get("perClass");
  if (!perClass.IsBoolean()) ThrowTypeError(env, "postprocess.regions.perClass must be a boolean");
  spec.perClass = perClass.As<Napi::Boolean>().Value();
  return spec;
}

std::string DetectSpecKey(const std::optional<DetectSpec>& spec) {
  if (!spec) return "";
  std::string key = "regions:" + std::to_string(spec->decoder.size()) + ':' + spec->decoder;
  for (const std::string& o : spec->outputs) key += ',' + std::to_string(o.size()) + ':' + o;
  for (float f : {spec->scoreThreshold, spec->iou}) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    key += ',' + std::to_string(bits);
  }
  return key + ',' + std::to_string(spec->maxDetections) + (spec->perClass ? 'c' : 'a');
}

Napi::Array DetectionsToJs(Napi::Env env, const std::vector<Detection>& detections) {
  Napi::Array out = Napi::Array::New(env, detections.size());
  for (size_t i = 0; i < detections.size(); ++i) {
    const Detection& d = detections[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("label", Napi::Number::New(env, d.label));
    o.Set("score", Napi::Number::New(env, d.score));
    Napi::Array box = Napi::Array::New(env, 4);
    const float values[4] = {d.box.x, d.box.y, d.box.w, d.box.h};
    for (uint32_t k = 0; k < 4; ++k) box.Set(k, Napi::Number::New(env, values[k]));
    o.Set("box", box);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value DetectDecoders(const Napi::CallbackInfo& info) {
  const std::vector<std::string> names = DecoderNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

}  // namespace imlage
