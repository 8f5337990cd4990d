#include "napi/outcome_js.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace imlage {
namespace {

// The shortest decimal that reads back as the same float (0.2f -> 0.2, not
// 0.20000000298023224): what a JS user expects a float32 score to print as.
double ShortestDouble(float v) {
  char buf[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
    if (std::strtof(buf, nullptr) == v) break;
  }
  return std::strtod(buf, nullptr);
}

// {label, confidence, box: [x, y, width, height]} per region, as the TS Region.
Napi::Array RegionArray(Napi::Env env, const std::vector<SmiRegionOut>& regions) {
  Napi::Array arr = Napi::Array::New(env, regions.size());
  for (size_t k = 0; k < regions.size(); ++k) {
    const SmiRegionOut& g = regions[k];
    Napi::Object o = Napi::Object::New(env);
    o.Set("label", g.label);
    o.Set("confidence", Napi::Number::New(env, ShortestDouble(g.confidence)));
    Napi::Array box = Napi::Array::New(env, 4);
    box.Set(0u, Napi::Number::New(env, g.x));
    box.Set(1u, Napi::Number::New(env, g.y));
    box.Set(2u, Napi::Number::New(env, g.width));
    box.Set(3u, Napi::Number::New(env, g.height));
    o.Set("box", box);
    arr.Set(static_cast<uint32_t>(k), o);
  }
  return arr;
}

}  // namespace

Napi::Object OutcomeToJs(Napi::Env env, const SmiImageOutcome& o) {
  Napi::Object r = Napi::Object::New(env);
  Napi::Array tags = Napi::Array::New(env, o.tags.size());
  for (size_t k = 0; k < o.tags.size(); ++k) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("label", o.tags[k].label);
    t.Set("score", Napi::Number::New(env, ShortestDouble(o.tags[k].score)));
    tags.Set(static_cast<uint32_t>(k), t);
  }
  r.Set("tags", tags);
  if (!o.outputs.empty()) {
    Napi::Array outputs = Napi::Array::New(env, o.outputs.size());
    for (size_t k = 0; k < o.outputs.size(); ++k) {
      const SmiTensorOut& src = o.outputs[k];
      Napi::Object t = Napi::Object::New(env);
      t.Set("name", src.name);
      Napi::Array shape = Napi::Array::New(env, src.shape.size());
      for (size_t d = 0; d < src.shape.size(); ++d) {
        shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(src.shape[d])));
      }
      t.Set("shape", shape);
      Napi::Float32Array data = Napi::Float32Array::New(env, src.data.size());
      if (!src.data.empty()) std::memcpy(data.Data(), src.data.data(), src.data.size() * sizeof(float));
      t.Set("data", data);
      outputs.Set(static_cast<uint32_t>(k), t);
    }
    r.Set("outputs", outputs);
  }
  if (!o.regions.empty()) r.Set("regions", RegionArray(env, o.regions));
  if (!o.error.empty()) r.Set("error", o.error);
  return r;
}

}  // namespace imlage
