// libFuzzer target: ValidateImage + Preprocess (native/src/core/preprocess.cc).
// The input decides a spec within the bounds js_args.cc enforces (and small
// sizes, for speed) and an image whose declared size may lie about its
// bytes. ValidateImage must refuse every image Preprocess cannot read
// safely; for the rest, every output must be finite and lie within the range
// the normaliser maps 0..255 onto (bilinear interpolation never overshoots).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/preprocess.h"

using imlage::ImageView;
using imlage::PreprocessSpec;
using imlage::ResizeMode;

namespace {

// A double that js_args.cc would accept: finite, and non-zero when asked.
double PickFinite(FuzzedDataProvider& in, bool nonZero) {
  double v = in.ConsumeBool() ? in.ConsumeFloatingPoint<double>()
                              : static_cast<double>(in.ConsumeIntegralInRange<int>(-300, 300)) / 4;
  if (!std::isfinite(v)) v = 1;
  if (nonZero && v == 0) v = 1;
  return v;
}

[[noreturn]] void Fail(const char* what, double value) {
  std::fprintf(stderr, "preprocess_fuzz: %s (%g)\n", what, value);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  PreprocessSpec spec;
  spec.width = in.ConsumeIntegralInRange<int64_t>(1, 48);
  spec.height = in.ConsumeIntegralInRange<int64_t>(1, 48);
  spec.nchw = in.ConsumeBool();
  spec.bgr = in.ConsumeBool();
  spec.resize = static_cast<ResizeMode>(in.ConsumeIntegralInRange<int>(0, 3));
  spec.normalizeFirst = in.ConsumeBool();
  spec.scale = PickFinite(in, true);
  for (int c = 0; c < 3; ++c) spec.mean[c] = PickFinite(in, false);
  for (int c = 0; c < 3; ++c) spec.std[c] = PickFinite(in, true);

  ImageView image;
  image.width = in.ConsumeIntegralInRange<int64_t>(0, 64);
  image.height = in.ConsumeIntegralInRange<int64_t>(0, 64);
  image.channels = in.ConsumeIntegralInRange<int64_t>(0, 5);
  // The pixels are exactly the rest of the input, in their own allocation,
  // so a read past what the image declares is caught by ASan.
  std::vector<uint8_t> pixels = in.ConsumeRemainingBytes<uint8_t>();
  image.data = pixels.empty() ? nullptr : pixels.data();
  image.length = pixels.size();

  if (!imlage::ValidateImage(image, spec).empty()) return 0;
  std::vector<float> out(spec.OutputCount());
  imlage::Preprocess(image, spec, out.data());

  // The range the normaliser gives channel oc over all pixel values 0..255,
  // computed the way Preprocess rounds (float scalars, double ops).
  for (size_t i = 0; i < out.size(); ++i) {
    const int oc = static_cast<int>(spec.nchw ? i / static_cast<size_t>(spec.width * spec.height) : i % 3);
    const float scale = static_cast<float>(spec.scale);
    const float mean = static_cast<float>(spec.mean[oc]);
    const float stdv = static_cast<float>(spec.std[oc]);
    auto norm = [&](double v) {
      const float s = static_cast<float>(v / scale);
      return static_cast<float>(static_cast<double>(static_cast<float>(s - static_cast<double>(mean))) / stdv);
    };
    if (!std::isfinite(scale) || scale == 0 || !std::isfinite(mean) || !std::isfinite(stdv) || stdv == 0 ||
        !std::isfinite(norm(0)) || !std::isfinite(norm(255))) {
      continue;  // scalars float32 cannot hold (e.g. scale 1e-50 rounds to 0): no range to check
    }
    const float lo = std::min(norm(0), norm(255));
    const float hi = std::max(norm(0), norm(255));
    // One float ulp of slack: the normaliser is monotonic only up to rounding.
    const float slack = std::max(std::fabs(lo), std::fabs(hi)) * 1e-6f;
    if (!std::isfinite(out[i])) Fail("non-finite output for a representable spec", out[i]);
    if (out[i] < lo - slack || out[i] > hi + slack) Fail("output outside the normalised pixel range", out[i]);
  }
  return 0;
}
