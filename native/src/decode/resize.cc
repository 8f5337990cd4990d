// ResizeArea: each output pixel is the mean of the source area it covers,
// partly covered source pixels weighted by the part covered (a box filter
// with exact fractional edges). Shrinking is what the fast path does after
// the DCT scale; a side the source is shorter on is stretched bilinearly
// (pixel centres aligned), since an area mean of less than one pixel is a
// nearest-neighbour copy.
//
// The same weights as the first version, summed vertically first (see
// ResizeArea): a full-size PNG brought down to 224×224 costs about a fifth
// of what the horizontal-first version did, and no float copy of the whole
// picture is made (tens of MB to page-fault for every image). Float sums in
// another order round differently in the last bit, so an output byte can
// differ by 1 from the first version's where the exact mean is within about
// 1e-5 of a half: 1.4 bytes in 10,000 on 2,000 random pictures and sizes,
// never by more than 1 (docs/performance.md, "Fast mode's CPU").
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode {
namespace {

// Source taps of every output index along one axis: output o reads
// count[o] source indices from first[o], with weights w[at[o] ...] (summing to 1).
struct Axis {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<size_t> at;
  std::vector<float> w;
};

Axis PlanAxis(int in, int out) {
  Axis a;
  a.first.resize(static_cast<size_t>(out));
  a.count.resize(static_cast<size_t>(out));
  a.at.resize(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    const size_t i = static_cast<size_t>(o);
    a.at[i] = a.w.size();
    if (in >= out) {
      const double lo = o * scale;
      const double hi = std::min<double>(in, (o + 1) * scale);
      const int first = static_cast<int>(std::floor(lo));
      const int last = std::min(in - 1, static_cast<int>(std::ceil(hi)) - 1);
      a.first[i] = first;
      for (int s = first; s <= last; ++s) {
        const double cover = std::min<double>(hi, s + 1) - std::max<double>(lo, s);
        a.w.push_back(static_cast<float>(std::max(0.0, cover) / (hi - lo)));
      }
    } else {
      const double centre = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const int first = std::min(in - 1, static_cast<int>(centre));
      const double frac = centre - first;
      a.first[i] = first;
      a.w.push_back(static_cast<float>(1 - frac));
      if (first + 1 < in) a.w.push_back(static_cast<float>(frac));
    }
    a.count[i] = static_cast<int>(a.w.size() - a.at[i]);
  }
  return a;
}

uint8_t ToByte(float v) { return static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f)); }

// One row of floats (RGB) through the horizontal taps into bytes. Two
// output pixels are summed side by side so their chains of dependent adds
// overlap.
void Horizontal(const float* src, const Axis& cols, int width, uint8_t* dst) {
  int x = 0;
  for (; x + 1 < width; x += 2) {
    const size_t i = static_cast<size_t>(x);
    const float* p = src + static_cast<size_t>(cols.first[i]) * 3;
    const float* q = src + static_cast<size_t>(cols.first[i + 1]) * 3;
    const float* wp = cols.w.data() + cols.at[i];
    const float* wq = cols.w.data() + cols.at[i + 1];
    const int np = cols.count[i];
    const int nq = cols.count[i + 1];
    const int both = std::min(np, nq);
    float r0 = 0, g0 = 0, b0 = 0, r1 = 0, g1 = 0, b1 = 0;
    int k = 0;
    for (; k < both; ++k, p += 3, q += 3) {
      r0 += wp[k] * p[0];
      g0 += wp[k] * p[1];
      b0 += wp[k] * p[2];
      r1 += wq[k] * q[0];
      g1 += wq[k] * q[1];
      b1 += wq[k] * q[2];
    }
    for (int j = k; j < np; ++j, p += 3) {
      r0 += wp[j] * p[0];
      g0 += wp[j] * p[1];
      b0 += wp[j] * p[2];
    }
    for (int j = k; j < nq; ++j, q += 3) {
      r1 += wq[j] * q[0];
      g1 += wq[j] * q[1];
      b1 += wq[j] * q[2];
    }
    uint8_t* d = dst + i * 3;
    d[0] = ToByte(r0);
    d[1] = ToByte(g0);
    d[2] = ToByte(b0);
    d[3] = ToByte(r1);
    d[4] = ToByte(g1);
    d[5] = ToByte(b1);
  }
  for (; x < width; ++x) {
    const size_t i = static_cast<size_t>(x);
    const float* p = src + static_cast<size_t>(cols.first[i]) * 3;
    const float* wp = cols.w.data() + cols.at[i];
    float r = 0, g = 0, b = 0;
    for (int k = 0; k < cols.count[i]; ++k, p += 3) {
      r += wp[k] * p[0];
      g += wp[k] * p[1];
      b += wp[k] * p[2];
    }
    dst[i * 3] = ToByte(r);
    dst[i * 3 + 1] = ToByte(g);
    dst[i * 3 + 2] = ToByte(b);
  }
}

}  // namespace

void ResizeArea(const Image& in, int width, int height, Image* out) {
  out->width = width;
  out->height = height;
  const size_t outStride = static_cast<size_t>(width) * 3;
  out->pixels.resize(outStride * static_cast<size_t>(height > 0 ? height : 0));
  if (in.width <= 0 || in.height <= 0 || width <= 0 || height <= 0) {
    std::fill(out->pixels.begin(), out->pixels.end(), uint8_t{0});
    return;
  }
  const Axis cols = PlanAxis(in.width, width);
  const Axis rows = PlanAxis(in.height, height);
  // Vertical first, one output row at a time: the source rows it covers
  // summed into one row of floats (a loop over contiguous bytes the
  // compiler vectorises), then that row through the horizontal taps. Each
  // source pixel is read once (twice on a shared edge row) and the
  // horizontal taps run on `height` rows only, not on every source row.
  const size_t inStride = static_cast<size_t>(in.width) * 3;
  std::vector<float> sum(inStride);
  for (int y = 0; y < height; ++y) {
    const size_t yi = static_cast<size_t>(y);
    const float* w = rows.w.data() + rows.at[yi];
    float* acc = sum.data();
    for (int k = 0; k < rows.count[yi]; ++k) {
      const float wk = w[k];
      const uint8_t* src = in.pixels.data() + static_cast<size_t>(rows.first[yi] + k) * inStride;
      if (k == 0) {
        for (size_t i = 0; i < inStride; ++i) acc[i] = wk * src[i];
      } else {
        for (size_t i = 0; i < inStride; ++i) acc[i] += wk * src[i];
      }
    }
    Horizontal(acc, cols, width, out->pixels.data() + yi * outStride);
  }
}

}  // namespace imlage::decode
