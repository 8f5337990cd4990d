#include "decode/png_unfilter.h"

#include <cstdlib>
#include <cstring>

namespace imlage::decode::png {
namespace {

// bpp as a template parameter: the inner loops over one pixel's bytes unroll,
// which is most of the speed for the common RGB (3) and RGBA (4) rows.

template <int B>
void Sub(const uint8_t* src, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < B && i < n; ++i) dst[i] = src[i];
  for (size_t i = B; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + dst[i - B]);
}

void Up(const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
}

template <int B>
void Average(const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  for (size_t i = 0; i < B && i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + (prev[i] >> 1));
  for (size_t i = B; i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + ((dst[i - B] + prev[i]) >> 1));
}

// The spec's predictor: the one of left (a), above (b), upper-left (c)
// nearest to a + b - c, ties in the order a, b, c.
inline uint8_t PaethPredictor(int a, int b, int c) {
  const int pa = std::abs(b - c);
  const int pb = std::abs(a - c);
  const int pc = std::abs(a + b - 2 * c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

template <int B>
void Paeth(const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  // First pixel: a = c = 0, so the predictor is b.
  for (size_t i = 0; i < B && i < n; ++i) dst[i] = static_cast<uint8_t>(src[i] + prev[i]);
  if (n <= B) return;
  // Keep a and c of each byte lane in registers across the row.
  int a[B], c[B];
  for (int k = 0; k < B; ++k) {
    a[k] = dst[k];
    c[k] = prev[k];
  }
  for (size_t i = B; i + B <= n; i += B) {
    for (int k = 0; k < B; ++k) {
      const int b = prev[i + k];
      const uint8_t v = static_cast<uint8_t>(src[i + k] + PaethPredictor(a[k], b, c[k]));
      dst[i + k] = v;
      a[k] = v;
      c[k] = b;
    }
  }
}

template <int B>
bool Unfilter(uint8_t type, const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  switch (type) {
    case 0:
      if (dst != src) std::memcpy(dst, src, n);
      return true;
    case 1: Sub<B>(src, dst, n); return true;
    case 2: Up(src, prev, dst, n); return true;
    case 3: Average<B>(src, prev, dst, n); return true;
    case 4: Paeth<B>(src, prev, dst, n); return true;
    default: return false;
  }
}

}  // namespace

bool UnfilterRow(uint8_t type, const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n, int bpp) {
  // n is a whole number of pixels when bpp > 1 (8-bit samples), which the
  // Paeth loop relies on.
  switch (bpp) {
    case 1: return Unfilter<1>(type, src, prev, dst, n);
    case 2: return Unfilter<2>(type, src, prev, dst, n);
    case 3: return Unfilter<3>(type, src, prev, dst, n);
    default: return Unfilter<4>(type, src, prev, dst, n);
  }
}

}  // namespace imlage::decode::png
