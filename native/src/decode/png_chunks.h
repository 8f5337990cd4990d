// The PNG container (decode.h's DecodePng, step one): the signature, the
// chunk walk with CRC checks, IHDR validated against the spec and
// limits.max_pixels, PLTE, and where the IDAT data lies. Nothing here
// allocates more than the file holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode::png {

enum ColorType : uint8_t { kGrey = 0, kRgb = 2, kPalette = 3, kGreyAlpha = 4, kRgba = 6 };

struct Header {
  uint32_t width = 0;
  uint32_t height = 0;
  uint8_t bit_depth = 0;
  uint8_t color_type = 0;
  uint8_t interlace = 0;
  int channels = 0;        // samples per pixel as stored
  size_t row_bytes = 0;    // one unfiltered row, without its filter byte
  int filter_bpp = 0;      // bytes to the corresponding byte of the pixel to the left (at least 1)
};

struct Span {
  const uint8_t* data;
  size_t size;
};

struct File {
  Header header;
  uint8_t palette[256 * 3] = {};
  int palette_size = 0;         // entries; 0 when the file has no PLTE
  std::vector<Span> idat;       // in file order, pointing into the caller's buffer
  size_t idat_bytes = 0;        // sum of idat[i].size (<= the file's size)
};

// Reads the chunks of a whole PNG file. kOk: *out describes a non-interlaced
// 8-bit-or-less file within limits. kUnsupported: valid but outside what
// this decoder covers (16-bit, interlaced, an unknown critical chunk).
Result ReadChunks(const uint8_t* data, size_t size, const Limits& limits, File* out);

}  // namespace imlage::decode::png
