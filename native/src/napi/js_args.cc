#include "napi/js_args.h"

#include <cmath>

#include "napi/detect_js.h"
#include "core/errors.h"

namespace imlage {
namespace {

Napi::Object RequireObject(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) ThrowTypeError(value.Env(), what + " must be an object");
  return value.As<Napi::Object>();
}

double RequireNumber(const Napi::Object& obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) ThrowTypeError(obj.Env(), what + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t RequireInt(const Napi::Object& obj, const char* key, const std::string& what, double min) {
  const double d = RequireNumber(obj, key, what);
  if (!std::isfinite(d) || std::floor(d) != d || d < min || d > 1e12) {
    ThrowTypeError(obj.Env(), what + "." + key + " must be an integer >= " +
                                  std::to_string(static_cast<int64_t>(min)));
  }
  return static_cast<int64_t>(d);
}

std::string RequireString(const Napi::Object& obj, const char* key, const std::string& what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsString()) ThrowTypeError(obj.Env(), what + "." + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

void ReadTriple(const Napi::Object& obj, const char* key, double out[3], bool nonZero) {
  Napi::Value v = obj.Get(key);
  if (!v.IsArray() || v.As<Napi::Array>().Length() != 3) {
    ThrowTypeError(obj.Env(), std::string("preprocess.") + key + " must be an array of 3 numbers");
  }
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber() || !std::isfinite(e.As<Napi::Number>().DoubleValue()) ||
        (nonZero && e.As<Napi::Number>().DoubleValue() == 0)) {
      ThrowTypeError(obj.Env(), std::string("preprocess.") + key + "[" + std::to_string(i) +
                                    "] must be a finite" + (nonZero ? " non-zero" : "") + " number");
    }
    out[i] = e.As<Napi::Number>().DoubleValue();
  }
}

}  // namespace

HeldImage ReadImage(const Napi::Value& value, PixelCopy copy) {
  HeldImage held;
  if (!value.IsObject()) {
    held.error = "image must be an object {data, width, height, channels}";
    return held;
  }
  Napi::Object obj = value.As<Napi::Object>();
  Napi::Value data = obj.Get("data");
  if (!data.IsTypedArray() ||
      (data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array &&
       data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_clamped_array)) {
    held.error = "image.data must be a Uint8Array";
    return held;
  }
  auto num = [&](const char* key) -> int64_t {
    Napi::Value v = obj.Get(key);
    if (!v.IsNumber()) return -1;
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > 1e9) return -1;
    return static_cast<int64_t>(d);
  };
  held.view.width = num("width");
  held.view.height = num("height");
  held.view.channels = num("channels");
  if (held.view.width < 0 || held.view.height < 0 || held.view.channels < 0) {
    held.error = "image.width, image.height and image.channels must be non-negative integers";
    return held;
  }
  const int64_t originalWidth = obj.Has("originalWidth") ? num("originalWidth") : 0;
  const int64_t originalHeight = obj.Has("originalHeight") ? num("originalHeight") : 0;
  if (originalWidth < 0 || originalHeight < 0) {
    held.error = "image.originalWidth and image.originalHeight must be non-negative integers";
    return held;
  }
  held.originalWidth = static_cast<uint32_t>(originalWidth);
  held.originalHeight = static_cast<uint32_t>(originalHeight);
  Napi::TypedArray array = data.As<Napi::TypedArray>();
  if (array.ArrayBuffer().IsDetached()) {
    held.error = "image.data's ArrayBuffer is detached (it was transferred); pass pixels that stay put";
    return held;
  }
  held.view.length = array.ByteLength();
  // Data() of a zero-length array may be null; ValidateImage reports the size.
  const uint8_t* pixels = static_cast<const uint8_t*>(array.ArrayBuffer().Data());
  if (pixels != nullptr) pixels += array.ByteOffset();
  if (copy == PixelCopy::kCopy) {
    if (pixels != nullptr) held.owned.assign(pixels, pixels + held.view.length);
    held.view.data = held.owned.empty() ? nullptr : held.owned.data();
  } else {
    held.view.data = pixels;
    held.data = Napi::Persistent(array.As<Napi::Object>());
  }
  return held;
}

std::vector<HeldImage> ReadImages(const Napi::Value& value, PixelCopy copy) {
  if (!value.IsArray()) ThrowTypeError(value.Env(), "images must be an array");
  Napi::Array arr = value.As<Napi::Array>();
  std::vector<HeldImage> images;
  images.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) images.push_back(ReadImage(arr.Get(i), copy));
  return images;
}

PreprocessSpec ReadPreprocessSpec(const Napi::Value& value) {
  Napi::Object obj = RequireObject(value, "preprocess");
  PreprocessSpec spec;
  spec.width = RequireInt(obj, "width", "preprocess", 1);
  spec.height = RequireInt(obj, "height", "preprocess", 1);
  const std::string layout = RequireString(obj, "layout", "preprocess");
  if (layout != "nchw" && layout != "nhwc") {
    ThrowTypeError(obj.Env(), "preprocess.layout must be 'nchw' or 'nhwc'");
  }
  spec.nchw = layout == "nchw";
  const std::string channels = RequireString(obj, "channels", "preprocess");
  if (channels != "rgb" && channels != "bgr") {
    ThrowTypeError(obj.Env(), "preprocess.channels must be 'rgb' or 'bgr'");
  }
  spec.bgr = channels == "bgr";
  const std::string resize = RequireString(obj, "resize", "preprocess");
  if (resize == "none") {
    spec.resize = ResizeMode::kNone;
  } else if (resize == "bilinear") {
    spec.resize = ResizeMode::kBilinear;
  } else if (resize == "bilinear-align-corners") {
    spec.resize = ResizeMode::kBilinearAlignCorners;
  } else if (resize == "bilinear-half-pixel") {
    spec.resize = ResizeMode::kBilinearHalfPixel;
  } else {
    ThrowTypeError(obj.Env(), "preprocess.resize must be 'none', 'bilinear', "
                              "'bilinear-align-corners' or 'bilinear-half-pixel'");
  }
  Napi::Value nf = obj.Get("normalizeFirst");
  if (!nf.IsBoolean()) ThrowTypeError(obj.Env(), "preprocess.normalizeFirst must be a boolean");
  spec.normalizeFirst = nf.As<Napi::Boolean>().Value();
  spec.scale = RequireNumber(obj, "scale", "preprocess");
  if (!std::isfinite(spec.scale) || spec.scale == 0) {
    ThrowTypeError(obj.Env(), "preprocess.scale must be a finite non-zero number");
  }
  ReadTriple(obj, "mean", spec.mean, false);
  ReadTriple(obj, "std", spec.std, true);
  return spec;
}

PostprocessSpec ReadPostprocessSpec(const Napi::Value& value) {
  Napi::Object obj = RequireObject(value, "postprocess");
  PostprocessSpec spec;
  Napi::Value outputs = obj.Get("outputs");
  if (!outputs.IsArray()) ThrowTypeError(obj.Env(), "postprocess.outputs must be an array of names");
  Napi::Array arr = outputs.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) ThrowTypeError(obj.Env(), "postprocess.outputs must contain strings");
    spec.outputs.push_back(v.As<Napi::String>().Utf8Value());
  }
  const std::string activation = RequireString(obj, "activation", "postprocess");
  if (activation == "none") {
    spec.activation = Activation::kNone;
  } else if (activation == "softmax") {
    spec.activation = Activation::kSoftmax;
  } else if (activation == "sigmoid") {
    spec.activation = Activation::kSigmoid;
  } else {
    ThrowTypeError(obj.Env(), "postprocess.activation must be 'none', 'softmax' or 'sigmoid'");
  }
  const std::string reduce = RequireString(obj, "reduce", "postprocess");
  if (reduce == "none") {
    spec.reduce = Reduce::kNone;
  } else if (reduce == "max") {
    spec.reduce = Reduce::kMax;
  } else {
    ThrowTypeError(obj.Env(), "postprocess.reduce must be 'none' or 'max'");
  }
  spec.threshold = RequireNumber(obj, "threshold", "postprocess");
  spec.topK = static_cast<uint32_t>(RequireInt(obj, "topK", "postprocess", 0));
  spec.regions = ReadDetectSpec(obj.Get("regions"));
  return spec;
}

SessionConfig ReadSessionConfig(const Napi::Value& value) {
  SessionConfig config;
  if (value.IsUndefined() || value.IsNull()) return config;
  Napi::Object obj = RequireObject(value, "options");
  auto optInt = [&](const char* key, int& out) {
    if (obj.Get(key).IsUndefined()) return;
    out = static_cast<int>(RequireInt(obj, key, "options", 0));
  };
  optInt("intraOpThreads", config.intraOpThreads);
  optInt("interOpThreads", config.interOpThreads);
  if (!obj.Get("allowSpinning").IsUndefined()) {
    Napi::Value v = obj.Get("allowSpinning");
    if (!v.IsBoolean()) ThrowTypeError(obj.Env(), "options.allowSpinning must be a boolean");
    config.allowSpinning = v.As<Napi::Boolean>().Value();
  }
  if (!obj.Get("graphOptimization").IsUndefined()) {
    const std::string level = RequireString(obj, "graphOptimization", "options");
    if (level == "disable") {
      config.graphOptimization = ORT_DISABLE_ALL;
    } else if (level == "basic") {
      config.graphOptimization = ORT_ENABLE_BASIC;
    } else if (level == "extended") {
      config.graphOptimization = ORT_ENABLE_EXTENDED;
    } else if (level == "all") {
      config.graphOptimization = ORT_ENABLE_ALL;
    } else {
      ThrowTypeError(obj.Env(),
                     "options.graphOptimization must be 'disable', 'basic', 'extended' or 'all'");
    }
  }
  Napi::Value providers = obj.Get("providers");
  if (!providers.IsUndefined()) {
    if (!providers.IsArray()) ThrowTypeError(obj.Env(), "options.providers must be an array");
    Napi::Array arr = providers.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
      if (name != "cpu" && name != "cuda" && name != "tensorrt" && name != "coreml") {
        ThrowTypeError(obj.Env(),
                       "options.providers entries must be 'cpu', 'cuda', 'tensorrt' or 'coreml'");
      }
      config.providers.push_back(name);
    }
  }
  return config;
}

bool ReadBorrow(const Napi::Object& options) {
  Napi::Value v = options.Get("borrowPixels");
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) throw NativeError(code::kInvalidArg, "borrowPixels must be true or false");
  return v.As<Napi::Boolean>().Value();
}

bool IsDetached(const Napi::ObjectReference& ref) {
  if (ref.IsEmpty()) return false;
  Napi::Value v = ref.Value();
  if (!v.IsTypedArray()) return false;
  return v.As<Napi::TypedArray>().ArrayBuffer().IsDetached();
}

}  // namespace imlage
