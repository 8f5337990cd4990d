// libFuzzer target: Postprocess, Softmax/Sigmoid and TopK (native/src/core/postprocess.cc).
// Tensors are shaped as ONNX Runtime hands them over (data.size() equals the
// product of the shape; any shape, any float including NaN and infinities),
// the spec as js_args.cc reads it. A shape the spec cannot use must be
// refused with NativeError, never read out of bounds; a result must keep
// TopK's promises: scores >= threshold, best first, at most topK, indices in range.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/errors.h"
#include "core/postprocess.h"

using imlage::FloatTensor;
using imlage::PostprocessSpec;

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "postprocess_fuzz: %s\n", what);
  std::abort();
}

float PickFloat(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return in.ConsumeFloatingPoint<float>();
    case 1: return static_cast<float>(in.ConsumeIntegralInRange<int>(-40, 40)) / 4;
    case 2: return in.ConsumeBool() ? INFINITY : -INFINITY;
    default: return in.ConsumeBool() ? NAN : 0.0f;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  PostprocessSpec spec;
  spec.activation = static_cast<imlage::Activation>(in.ConsumeIntegralInRange<int>(0, 2));
  spec.reduce = static_cast<imlage::Reduce>(in.ConsumeIntegralInRange<int>(0, 1));
  spec.threshold = in.ConsumeBool() ? in.ConsumeFloatingPoint<double>() : in.ConsumeProbability<double>();
  spec.topK = in.ConsumeIntegralInRange<uint32_t>(0, 40);
  const int64_t row = in.ConsumeIntegralInRange<int64_t>(0, 3);

  std::vector<FloatTensor> tensors(in.ConsumeIntegralInRange<size_t>(1, 3));
  for (size_t t = 0; t < tensors.size(); ++t) {
    FloatTensor& tensor = tensors[t];
    tensor.name = "out" + std::to_string(t);
    const size_t rank = in.ConsumeIntegralInRange<size_t>(0, 4);
    size_t count = 1;
    for (size_t d = 0; d < rank; ++d) {
      tensor.shape.push_back(in.ConsumeIntegralInRange<int64_t>(0, 9));
      count *= static_cast<size_t>(tensor.shape.back());
    }
    tensor.data.resize(count);
    for (float& v : tensor.data) v = PickFloat(in);
  }
  std::vector<const FloatTensor*> views;
  for (const FloatTensor& t : tensors) views.push_back(&t);

  imlage::ImageScores result;
  try {
    result = imlage::Postprocess(views, row, spec);
  } catch (const imlage::NativeError& e) {
    if (e.code() != imlage::code::kUnsupportedModel) Fail("unexpected error code");
    return 0;
  }
  if (spec.topK > 0 && result.top.size() > spec.topK) Fail("more than topK results");
  for (size_t i = 0; i < result.top.size(); ++i) {
    const imlage::ClassScore& c = result.top[i];
    if (c.index < 0 || static_cast<size_t>(c.index) >= result.scores.size()) Fail("index out of range");
    if (result.scores[static_cast<size_t>(c.index)] != c.score) Fail("top score differs from its class score");
    if (!(static_cast<double>(c.score) >= spec.threshold)) Fail("top score below the threshold");
    if (i > 0 && result.top[i - 1].score < c.score) Fail("top not sorted best first");
  }
  // Activated scores are probabilities; NaN logits give NaN (reduce 'none')
  // or are passed over by the maximum (reduce 'max'), where a class that no
  // position scored keeps -inf, the maximum of nothing. TopK reports neither.
  if (spec.activation != imlage::Activation::kNone) {
    for (float s : result.scores) {
      if (s == -INFINITY && spec.reduce == imlage::Reduce::kMax) continue;
      if (s < 0.0f || s > 1.0f) Fail("activated score outside [0,1]");
    }
  }
  return 0;
}
