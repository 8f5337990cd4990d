#include "decode/png_pixels.h"

#include <cstring>

namespace imlage::decode::png {
namespace {

// Sample x of a row packed `depth` bits per sample, most significant first.
inline unsigned Packed(const uint8_t* row, uint32_t x, int depth) {
  const uint32_t per_byte = 8u / static_cast<uint32_t>(depth);
  const unsigned shift = 8u - static_cast<unsigned>(depth) * (x % per_byte + 1u);
  return (row[x / per_byte] >> shift) & ((1u << depth) - 1u);
}

void Grey(const uint8_t* row, uint8_t* rgb, uint32_t width, int stride) {
  for (uint32_t x = 0; x < width; ++x, row += stride, rgb += 3) rgb[0] = rgb[1] = rgb[2] = row[0];
}

// Low-depth grey is scaled to 0..255 (v * 255 / (2^depth - 1)), as libpng's
// and libspng's 8-bit expansion do: 1-bit 0/255, 2-bit steps of 85, 4-bit of 17.
void GreyLow(const uint8_t* row, uint8_t* rgb, uint32_t width, int depth) {
  const unsigned scale = 255u / ((1u << depth) - 1u);
  for (uint32_t x = 0; x < width; ++x, rgb += 3) {
    rgb[0] = rgb[1] = rgb[2] = static_cast<uint8_t>(Packed(row, x, depth) * scale);
  }
}

bool Palette(const File& f, const uint8_t* row, uint8_t* rgb, uint32_t width, int depth) {
  const unsigned entries = static_cast<unsigned>(f.palette_size);
  for (uint32_t x = 0; x < width; ++x, rgb += 3) {
    const unsigned i = depth == 8 ? row[x] : Packed(row, x, depth);
    if (i >= entries) return false;
    std::memcpy(rgb, f.palette + 3 * i, 3);
  }
  return true;
}

}  // namespace

bool RowToRgb(const File& f, const uint8_t* row, uint8_t* rgb) {
  const Header& h = f.header;
  switch (h.color_type) {
    case kRgb: std::memcpy(rgb, row, size_t{h.width} * 3); return true;
    case kRgba:
      for (uint32_t x = 0; x < h.width; ++x, row += 4, rgb += 3) {
        rgb[0] = row[0];
        rgb[1] = row[1];
        rgb[2] = row[2];
      }
      return true;
    case kGreyAlpha: Grey(row, rgb, h.width, 2); return true;
    case kGrey:
      if (h.bit_depth == 8) {
        Grey(row, rgb, h.width, 1);
      } else {
        GreyLow(row, rgb, h.width, h.bit_depth);
      }
      return true;
    default: return Palette(f, row, rgb, h.width, h.bit_depth);
  }
}

}  // namespace imlage::decode::png
