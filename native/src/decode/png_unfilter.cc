#include "decode/png_unfilter.h"

#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

#if defined(__SSE2__)
// SSE2 for 3- and 4-byte pixels: Sub, Average and Paeth depend on the pixel
// to the left, so the row stays serial, but each pixel's bytes are worked
// on together in 16-bit lanes and Paeth's choice is made without branches
// (on photographs those branches mispredict about every other byte).

// W bytes are moved per pixel: B, or 4 for 3-byte pixels while the row has a
// byte to spare. A 3-byte copy goes through the stack in pieces and stalls
// store forwarding (it made RGB Paeth rows 3x slower than RGBA ones); with
// W = 4 the fourth lane's predictor is masked to zero, so that lane writes
// back the source byte it read and the next pixel still finds it (in place
// too), before the next pixel overwrites it with its own value.
template <int W>
inline __m128i Load(const uint8_t* p) {
  int32_t v = 0;
  std::memcpy(&v, p, W);
  return _mm_unpacklo_epi8(_mm_cvtsi32_si128(v), _mm_setzero_si128());
}

template <int W>
inline void Store(uint8_t* p, __m128i v16) {
  const int32_t v = _mm_cvtsi128_si32(_mm_packus_epi16(v16, v16));
  std::memcpy(p, &v, W);
}

template <int B>
inline __m128i Keep() {
  return B == 3 ? _mm_setr_epi16(-1, -1, -1, 0, 0, 0, 0, 0) : _mm_set1_epi16(-1);
}

inline __m128i Abs16(__m128i x) { return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x)); }

// Bytes 0..255 held in 16-bit lanes: adding bytewise wraps mod 256 and keeps
// the high bytes zero, so no mask is needed.
inline __m128i Add8(__m128i x, __m128i y) { return _mm_add_epi8(x, y); }

// Runs step.Do<W>(i) over the row's pixels, with W = 4 where it may.
template <int B, typename Step>
inline void ForPixels(size_t n, Step& step) {
  size_t i = 0;
  if (B == 3) {
    for (; i + 4 <= n; i += 3) step.template Do<4>(i);
  }
  for (; i < n; i += B) step.template Do<B>(i);
}

// The three predictors on one pixel's lanes: left a, above b, upper-left c.
struct SubPredictor {
  static __m128i Predict(__m128i a, __m128i, __m128i) { return a; }
};

struct AveragePredictor {
  static __m128i Predict(__m128i a, __m128i b, __m128i) { return _mm_srli_epi16(_mm_add_epi16(a, b), 1); }
};

struct PaethSimdPredictor {
  static __m128i Predict(__m128i a, __m128i b, __m128i c) {
    const __m128i bc = _mm_sub_epi16(b, c);  // p - a
    const __m128i ac = _mm_sub_epi16(a, c);  // p - b
    const __m128i pa = Abs16(bc);
    const __m128i pb = Abs16(ac);
    const __m128i pc = Abs16(_mm_add_epi16(bc, ac));
    const __m128i least = _mm_min_epi16(_mm_min_epi16(pa, pb), pc);
    // Ties go to a, then b, then c.
    const __m128i use_a = _mm_cmpeq_epi16(least, pa);
    const __m128i use_b = _mm_andnot_si128(use_a, _mm_cmpeq_epi16(least, pb));
    const __m128i use_c = _mm_andnot_si128(_mm_or_si128(use_a, use_b), _mm_set1_epi16(-1));
    return _mm_or_si128(_mm_or_si128(_mm_and_si128(use_a, a), _mm_and_si128(use_b, b)), _mm_and_si128(use_c, c));
  }
};

template <int B, typename P>
struct Step {
  const uint8_t* src;
  const uint8_t* prev;
  uint8_t* dst;
  // For the first pixel a = c = 0: Paeth's formula then gives b, as the spec says.
  __m128i a = _mm_setzero_si128();
  __m128i c = _mm_setzero_si128();
  template <int W>
  void Do(size_t i) {
    const __m128i b = Load<W>(prev + i);
    a = Add8(Load<W>(src + i), _mm_and_si128(P::Predict(a, b, c), Keep<B>()));
    Store<W>(dst + i, a);
    c = b;
  }
};

template <int B, typename P>
void FilterSimd(const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  Step<B, P> step{src, prev, dst};
  ForPixels<B>(n, step);
}
#endif

template <int B>
bool Unfilter(uint8_t type, const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n) {
  switch (type) {
    case 0:
      if (dst != src) std::memmove(dst, src, n);
      return true;
#if defined(__SSE2__)
    case 1: B >= 3 ? FilterSimd<B, SubPredictor>(src, prev, dst, n) : Sub<B>(src, dst, n); return true;
    case 2: Up(src, prev, dst, n); return true;
    case 3: B >= 3 ? FilterSimd<B, AveragePredictor>(src, prev, dst, n) : Average<B>(src, prev, dst, n); return true;
    case 4: B >= 3 ? FilterSimd<B, PaethSimdPredictor>(src, prev, dst, n) : Paeth<B>(src, prev, dst, n); return true;
#else
    case 1: Sub<B>(src, dst, n); return true;
    case 2: Up(src, prev, dst, n); return true;
    case 3: Average<B>(src, prev, dst, n); return true;
    case 4: Paeth<B>(src, prev, dst, n); return true;
#endif
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
