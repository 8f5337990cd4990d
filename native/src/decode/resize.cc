// ResizeArea: each output pixel is the mean of the source area it covers,
// partly covered source pixels weighted by the part covered (a box filter
// with exact fractional edges). Shrinking is what the fast path does after
// the DCT scale; a side the source is shorter on is stretched bilinearly
// (pixel centres aligned), since an area mean of less than one pixel is a
// nearest-neighbour copy.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode {
namespace {

// Source taps of one output index: first source index and its weights (summing to 1).
struct Taps {
  int first = 0;
  std::vector<float> weights;
};

std::vector<Taps> PlanAxis(int in, int out) {
  std::vector<Taps> plan(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    Taps& t = plan[static_cast<size_t>(o)];
    if (in >= out) {
      const double lo = o * scale;
      const double hi = std::min<double>(in, (o + 1) * scale);
      const int first = static_cast<int>(std::floor(lo));
      const int last = std::min(in - 1, static_cast<int>(std::ceil(hi)) - 1);
      t.first = first;
      for (int s = first; s <= last; ++s) {
        const double cover = std::min<double>(hi, s + 1) - std::max<double>(lo, s);
        t.weights.push_back(static_cast<float>(std::max(0.0, cover) / (hi - lo)));
      }
    } else {
      const double centre = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const int first = std::min(in - 1, static_cast<int>(centre));
      const double frac = centre - first;
      t.first = first;
      t.weights.push_back(static_cast<float>(1 - frac));
      if (first + 1 < in) t.weights.push_back(static_cast<float>(frac));
    }
  }
  return plan;
}

uint8_t ToByte(float v) { return static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f)); }

}  // namespace

void ResizeArea(const Image& in, int width, int height, Image* out) {
  out->width = width;
  out->height = height;
  out->pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  if (in.width <= 0 || in.height <= 0 || width <= 0 || height <= 0) return;
  const std::vector<Taps> cols = PlanAxis(in.width, width);
  const std::vector<Taps> rows = PlanAxis(in.height, height);
  // Horizontal pass into floats (in.height × width), then vertical.
  const size_t midStride = static_cast<size_t>(width) * 3;
  std::vector<float> mid(static_cast<size_t>(in.height) * midStride);
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* src = in.pixels.data() + static_cast<size_t>(y) * in.width * 3;
    float* dst = mid.data() + static_cast<size_t>(y) * midStride;
    for (int x = 0; x < width; ++x) {
      const Taps& t = cols[static_cast<size_t>(x)];
      float r = 0, g = 0, b = 0;
      const uint8_t* p = src + static_cast<size_t>(t.first) * 3;
      for (float w : t.weights) {
        r += w * p[0];
        g += w * p[1];
        b += w * p[2];
        p += 3;
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }
  std::vector<float> acc(midStride);
  for (int y = 0; y < height; ++y) {
    const Taps& t = rows[static_cast<size_t>(y)];
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t k = 0; k < t.weights.size(); ++k) {
      const float w = t.weights[k];
      const float* src = mid.data() + static_cast<size_t>(t.first + static_cast<int>(k)) * midStride;
      for (size_t i = 0; i < midStride; ++i) acc[i] += w * src[i];
    }
    uint8_t* dst = out->pixels.data() + static_cast<size_t>(y) * midStride;
    for (size_t i = 0; i < midStride; ++i) dst[i] = ToByte(acc[i]);
  }
}

}  // namespace imlage::decode
