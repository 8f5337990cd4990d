// Pixel conversion and the bilinear resize shared by detection and recognition.
#include <algorithm>
#include <cmath>

#include "common.h"

namespace imlage_text {

BgrImage ToBgr(const smi_image& image) {
  if (image.struct_size < SMI_IMAGE_V1_0_SIZE || image.pixels == nullptr || image.width == 0 ||
      image.height == 0 || image.width > 65536 || image.height > 65536) {
    throw Error(SMI_ERROR_INVALID_ARGUMENT, "image has no pixels or an invalid size");
  }
  int r = 0, g = 1, b = 2;
  uint32_t channels = 0;
  switch (image.pixel_format) {
    case SMI_PIXEL_RGB8: channels = 3; break;
    case SMI_PIXEL_RGBA8: channels = 4; break;
    case SMI_PIXEL_BGR8: channels = 3; r = 2; b = 0; break;
    case SMI_PIXEL_BGRA8: channels = 4; r = 2; b = 0; break;
    case SMI_PIXEL_GRAY8: channels = 1; r = g = b = 0; break;
    case SMI_PIXEL_GRAYA8: channels = 2; r = g = b = 0; break;
    default:
      throw Error(SMI_ERROR_NOT_SUPPORTED, "unsupported pixel format " + std::to_string(image.pixel_format));
  }
  if (image.channels != channels || image.stride_bytes < static_cast<uint64_t>(image.width) * channels) {
    throw Error(SMI_ERROR_INVALID_ARGUMENT, "image channels or stride do not match its pixel format");
  }
  BgrImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.data.resize(static_cast<size_t>(out.width) * out.height * 3);
  uint8_t* dst = out.data.data();
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* row = image.pixels + static_cast<size_t>(y) * image.stride_bytes;
    for (int x = 0; x < out.width; ++x, dst += 3) {
      const uint8_t* p = row + static_cast<size_t>(x) * channels;
      dst[0] = p[b];
      dst[1] = p[g];
      dst[2] = p[r];
    }
  }
  return out;
}

namespace {

struct Tap {
  int i0, i1;
  float w1;  // weight of i1; i0 gets 1 - w1
};

// OpenCV INTER_LINEAR source taps for out_n samples over [origin, origin + n).
std::vector<Tap> Taps(int origin, int n, int out_n) {
  std::vector<Tap> taps(static_cast<size_t>(out_n));
  const double scale = static_cast<double>(n) / out_n;
  for (int i = 0; i < out_n; ++i) {
    double s = (i + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    int i0 = static_cast<int>(std::floor(s));
    if (i0 > n - 1) i0 = n - 1;
    const int i1 = std::min(i0 + 1, n - 1);
    taps[static_cast<size_t>(i)] = {origin + i0, origin + i1, static_cast<float>(s - i0)};
  }
  return taps;
}

}  // namespace

void ResizeNormalize(const BgrImage& src, int x, int y, int w, int h, int out_w, int out_h,
                     float scale, const float mean[3], const float std[3], float* planes,
                     size_t plane_stride, size_t plane_size) {
  const std::vector<Tap> xs = Taps(x, w, out_w);
  const std::vector<Tap> ys = Taps(y, h, out_h);
  float mul[3], add[3];
  for (int c = 0; c < 3; ++c) {
    mul[c] = scale / std[c];
    add[c] = -mean[c] / std[c];
  }
  for (int oy = 0; oy < out_h; ++oy) {
    const Tap& ty = ys[static_cast<size_t>(oy)];
    for (int ox = 0; ox < out_w; ++ox) {
      const Tap& tx = xs[static_cast<size_t>(ox)];
      const uint8_t* p00 = src.Pixel(tx.i0, ty.i0);
      const uint8_t* p01 = src.Pixel(tx.i1, ty.i0);
      const uint8_t* p10 = src.Pixel(tx.i0, ty.i1);
      const uint8_t* p11 = src.Pixel(tx.i1, ty.i1);
      const size_t at = static_cast<size_t>(oy) * plane_stride + static_cast<size_t>(ox);
      for (int c = 0; c < 3; ++c) {
        const float top = p00[c] + (p01[c] - p00[c]) * tx.w1;
        const float bottom = p10[c] + (p11[c] - p10[c]) * tx.w1;
        const float v = top + (bottom - top) * ty.w1;
        planes[static_cast<size_t>(c) * plane_size + at] = v * mul[c] + add[c];
      }
    }
  }
}

}  // namespace imlage_text
