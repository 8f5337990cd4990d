// Bit-exactness notes. TF.js's CPU backend computes element-wise ops in JS
// doubles on float32 inputs and stores float32 results, so every op below is:
// widen operands to double, compute one operation, round to float. This file
// is compiled with -ffp-contract=off so a*b+c is never fused into an FMA
// (which would skip a rounding step JS performs).
//
//   normalise(p, c) = f32(f32(f32(p / scale) - mean[c]) / std[c])
//     == TF.js x.div(scale).sub(mean).div(std) with scalar float32 tensors;
//     for mean 0 / std 1 it is exactly f32(p / scale) = img.toFloat().div(255).
//   resize = tfjs-backend-cpu kernels/ResizeBilinear.js, index math and
//     interpolation in double, inputs float32, result rounded to float32.
#include "core/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace imlage {
namespace {

inline float F32(double v) { return static_cast<float>(v); }

struct Normalizer {
  // Scalars are float32 tensors in TF.js, so they are rounded to float first.
  // They are stored as float (not as double holding a rounded value): GCC 12's
  // SLP vectoriser was seen to drop the double->float->double rounding of the
  // latter at -O3, which changed results by one ulp.
  float scale;
  float mean[3];
  float std[3];
  bool identity[3];  // mean 0, std 1: only the division by scale

  explicit Normalizer(const PreprocessSpec& spec) {
    scale = F32(spec.scale);
    for (int c = 0; c < 3; ++c) {
      mean[c] = F32(spec.mean[c]);
      std[c] = F32(spec.std[c]);
      identity[c] = spec.mean[c] == 0.0 && spec.std[c] == 1.0;
    }
  }
  // v is a float32 value (a pixel, or a resized pixel); c is the output channel.
  float operator()(double v, int c) const {
    const float scaled = F32(v / static_cast<double>(scale));
    if (identity[c]) return scaled;
    const float centered = F32(static_cast<double>(scaled) - static_cast<double>(mean[c]));
    return F32(static_cast<double>(centered) / static_cast<double>(std[c]));
  }
};

// Output channel oc reads source channel SourceChannel(oc).
inline int SourceChannel(const PreprocessSpec& spec, int oc) { return spec.bgr ? 2 - oc : oc; }

inline size_t OutIndex(const PreprocessSpec& spec, int64_t y, int64_t x, int oc) {
  if (spec.nchw) {
    return static_cast<size_t>((oc * spec.height + y) * spec.width + x);
  }
  return static_cast<size_t>((y * spec.width + x) * 3 + oc);
}

// One axis of TF.js's bilinear sampling: floor/ceil source indices and fraction.
struct Sample {
  int64_t lo;
  int64_t hi;
  double frac;
};

std::vector<Sample> AxisSamples(int64_t oldSize, int64_t newSize, ResizeMode mode) {
  const bool alignCorners = mode == ResizeMode::kBilinearAlignCorners;
  const bool halfPixel = mode == ResizeMode::kBilinearHalfPixel;
  const double effIn = static_cast<double>((alignCorners && newSize > 1) ? oldSize - 1 : oldSize);
  const double effOut = static_cast<double>((alignCorners && newSize > 1) ? newSize - 1 : newSize);
  const double ratio = effIn / effOut;
  std::vector<Sample> samples(static_cast<size_t>(newSize));
  for (int64_t i = 0; i < newSize; ++i) {
    double src;
    if (halfPixel) {
      src = ratio * (static_cast<double>(i) + 0.5) - 0.5;
    } else {
      src = ratio * static_cast<double>(i);
    }
    const double lo = std::max(0.0, std::floor(src));
    const double hi = std::min(static_cast<double>(oldSize - 1), std::ceil(src));
    samples[static_cast<size_t>(i)] = Sample{static_cast<int64_t>(lo), static_cast<int64_t>(hi), src - lo};
  }
  return samples;
}

inline double Lerp2D(double topLeft, double topRight, double bottomLeft, double bottomRight,
                     double colFrac, double rowFrac) {
  const double top = topLeft + (topRight - topLeft) * colFrac;
  const double bottom = bottomLeft + (bottomRight - bottomLeft) * colFrac;
  return top + (bottom - top) * rowFrac;
}

}  // namespace

std::string ValidateImage(const ImageView& image, const PreprocessSpec& spec) {
  if (image.data == nullptr && image.length != 0) return "image data is missing";
  if (image.width <= 0 || image.height <= 0) {
    return "image has zero size (" + std::to_string(image.width) + "x" +
           std::to_string(image.height) + ")";
  }
  if (image.channels != 3 && image.channels != 4) {
    return "image has " + std::to_string(image.channels) + " channels; expected 3 or 4";
  }
  const uint64_t expected = static_cast<uint64_t>(image.width) *
                            static_cast<uint64_t>(image.height) *
                            static_cast<uint64_t>(image.channels);
  if (image.length != expected) {
    return "image data has " + std::to_string(image.length) + " bytes; " +
           std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
           std::to_string(image.channels) + " needs " + std::to_string(expected);
  }
  if (spec.resize == ResizeMode::kNone &&
      (image.width != spec.width || image.height != spec.height)) {
    return "image is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
           " but the model needs " + std::to_string(spec.width) + "x" +
           std::to_string(spec.height) + " and resize is 'none'";
  }
  return std::string();
}

void Preprocess(const ImageView& image, const PreprocessSpec& spec, float* out) {
  const Normalizer norm(spec);
  const int64_t ch = image.channels;  // 3 or 4; alpha (if any) is ignored
  const uint8_t* px = image.data;

  if (spec.resize == ResizeMode::kNone) {
    for (int64_t y = 0; y < spec.height; ++y) {
      for (int64_t x = 0; x < spec.width; ++x) {
        const uint8_t* p = px + (y * image.width + x) * ch;
        for (int oc = 0; oc < 3; ++oc) {
          out[OutIndex(spec, y, x, oc)] = norm(p[SourceChannel(spec, oc)], oc);
        }
      }
    }
    return;
  }

  const std::vector<Sample> rows = AxisSamples(image.height, spec.height, spec.resize);
  const std::vector<Sample> cols = AxisSamples(image.width, spec.width, spec.resize);

  // normalizeFirst: the image is normalised to float32 before resizing. A
  // pixel's normalised value depends only on (value, channel): use a table.
  float table[3][256];
  if (spec.normalizeFirst) {
    for (int oc = 0; oc < 3; ++oc) {
      for (int v = 0; v < 256; ++v) table[oc][v] = norm(v, oc);
    }
  }

  for (int64_t y = 0; y < spec.height; ++y) {
    const Sample& r = rows[static_cast<size_t>(y)];
    const uint8_t* topRow = px + r.lo * image.width * ch;
    const uint8_t* botRow = px + r.hi * image.width * ch;
    for (int64_t x = 0; x < spec.width; ++x) {
      const Sample& c = cols[static_cast<size_t>(x)];
      const uint8_t* tl = topRow + c.lo * ch;
      const uint8_t* tr = topRow + c.hi * ch;
      const uint8_t* bl = botRow + c.lo * ch;
      const uint8_t* br = botRow + c.hi * ch;
      for (int oc = 0; oc < 3; ++oc) {
        const int sc = SourceChannel(spec, oc);
        float value;
        if (spec.normalizeFirst) {
          const float* t = table[oc];
          value = F32(Lerp2D(t[tl[sc]], t[tr[sc]], t[bl[sc]], t[br[sc]], c.frac, r.frac));
        } else {
          const float resized = F32(Lerp2D(tl[sc], tr[sc], bl[sc], br[sc], c.frac, r.frac));
          value = norm(resized, oc);
        }
        out[OutIndex(spec, y, x, oc)] = value;
      }
    }
  }
}

}  // namespace imlage
