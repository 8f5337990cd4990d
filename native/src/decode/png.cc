// DecodePng (decode.h): chunks (png_chunks.cc), one libdeflate inflate into
// a buffer of exactly the size IHDR implies, then per row: unfilter
// (png_unfilter.cc) and convert to RGB (png_pixels.cc).
#include <libdeflate.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "decode/decode.h"
#include "decode/png_chunks.h"
#include "decode/png_pixels.h"
#include "decode/png_unfilter.h"

namespace imlage::decode {
namespace {

using png::File;

// Rows between two looks at the deadline and the cancel flag.
constexpr uint32_t kRowsPerCheck = 16;

Result TimedOut() { return {Status::kTimedOut, "decode stopped: deadline passed or cancelled"}; }

struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// A buffer from the scratch (scratch.h), given back when it goes.
struct Kept {
  Bytes b;
  explicit Kept(size_t n) : b(scratch::Take(n)) { b.resize(n); }
  ~Kept() { scratch::Give(std::move(b)); }
  Kept(const Kept&) = delete;
  Kept& operator=(const Kept&) = delete;
};

// Inflates the IDAT data into exactly `expected` bytes at `out`.
Result Inflate(const File& f, uint8_t* out, size_t expected) {
  // The zlib stream may be split over several IDATs (encoders write 8 KiB
  // to 1 MiB each); libdeflate wants it whole.
  std::unique_ptr<Kept> joined;
  const uint8_t* in = f.idat.empty() ? nullptr : f.idat[0].data;
  if (f.idat.size() > 1) {
    joined = std::make_unique<Kept>(f.idat_bytes);
    uint8_t* at = joined->b.data();
    for (const png::Span& s : f.idat) {
      std::memcpy(at, s.data, s.size);
      at += s.size;
    }
    in = joined->b.data();
  }
  if (f.idat_bytes == 0) return {Status::kCorrupt, "truncated: IDAT chunks hold no data"};
  std::unique_ptr<libdeflate_decompressor, DecompressorFree> d(libdeflate_alloc_decompressor());
  if (!d) throw std::bad_alloc();
  size_t in_used = 0;
  size_t produced = 0;
  // Data after the end of the zlib stream is ignored, as libpng does.
  switch (libdeflate_zlib_decompress_ex(d.get(), in, f.idat_bytes, out, expected, &in_used, &produced)) {
    case LIBDEFLATE_SUCCESS:
      if (produced == expected) return {};
      return {Status::kCorrupt, "truncated image data: IDAT inflates to " + std::to_string(produced) + " bytes, " +
                                    std::to_string(f.header.width) + "x" + std::to_string(f.header.height) + " needs " +
                                    std::to_string(expected)};
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return {Status::kCorrupt, "extra data: IDAT inflates to more than the " + std::to_string(expected) + " bytes " +
                                    std::to_string(f.header.width) + "x" + std::to_string(f.header.height) + " needs"};
    default: return {Status::kCorrupt, "invalid or truncated zlib stream in IDAT"};
  }
}

Result Decode(const uint8_t* data, size_t size, const Limits& limits, Image* out) {
  if (data == nullptr && size > 0) return {Status::kCorrupt, "no data"};
  File f;
  Result r = png::ReadChunks(data, size, limits, &f);
  if (r.status != Status::kOk) return r;
  if (limits.Stopped()) return TimedOut();
  const png::Header& h = f.header;
  const size_t stride = h.row_bytes + 1;
  const size_t expected = stride * h.height;  // ReadChunks checked it fits
  const size_t out_stride = size_t{h.width} * 3;
  Image img;
  img.width = static_cast<int>(h.width);
  img.height = static_cast<int>(h.height);
  // RGB and RGBA rows shrink on the way out, so they are inflated into the
  // output buffer itself and compacted in place, front to back: one large
  // buffer's page faults instead of two (a fifth of the time of a large
  // photo). Its capacity stays that of the inflated data (4/3 of the pixels
  // for RGBA). Grey and palette rows grow, so they get a buffer of their own.
  // Every buffer comes from the scratch and goes back to it, the
  // output's too when the decode fails (*out is left as it was).
  const bool shared = out_stride <= h.row_bytes;
  struct GiveBack {
    Image& img;
    bool keep = false;
    ~GiveBack() {
      if (!keep) scratch::Give(std::move(img.pixels));
    }
  } give{img};
  img.pixels = scratch::Take(shared ? expected : out_stride * h.height);
  std::unique_ptr<Kept> separate;
  uint8_t* raw;
  if (shared) {
    img.pixels.resize(expected);
    raw = img.pixels.data();
  } else {
    // Every byte is written by the inflate or it fails.
    separate = std::make_unique<Kept>(expected);
    raw = separate->b.data();
  }
  r = Inflate(f, raw, expected);
  if (r.status != Status::kOk) return r;
  if (limits.Stopped()) return TimedOut();
  if (!shared) img.pixels.resize(out_stride * h.height);

  // 8-bit RGB rows are already the output layout: unfilter straight to their
  // place. RGBA rows go through two row buffers (this one and the previous,
  // which the filters read) before losing alpha; the rest unfilter in place.
  const bool direct = h.color_type == png::kRgb;
  std::vector<uint8_t> rows(shared && !direct ? 2 * h.row_bytes : 0);
  const std::vector<uint8_t> zeros(h.row_bytes, 0);
  const uint8_t* prev = zeros.data();
  for (uint32_t y = 0; y < h.height; ++y) {
    if (y % kRowsPerCheck == kRowsPerCheck - 1 && limits.Stopped()) return TimedOut();
    uint8_t* row = raw + stride * y;
    const uint8_t filter = row[0];
    uint8_t* rgb = img.pixels.data() + out_stride * y;
    uint8_t* dst = direct ? rgb : shared ? rows.data() + (y % 2) * h.row_bytes : row + 1;
    if (!png::UnfilterRow(filter, row + 1, prev, dst, h.row_bytes, h.filter_bpp)) {
      return {Status::kCorrupt, "row " + std::to_string(y) + " has unknown filter type " + std::to_string(filter)};
    }
    if (!direct && !png::RowToRgb(f, dst, rgb)) {
      return {Status::kCorrupt, "palette index out of range in row " + std::to_string(y) + " (PLTE has " +
                                    std::to_string(f.palette_size) + " entries)"};
    }
    prev = dst;
  }
  if (shared) img.pixels.resize(out_stride * h.height);
  scratch::Give(std::move(out->pixels));
  *out = std::move(img);
  give.keep = true;
  return {};
}

}  // namespace

Result DecodePng(const uint8_t* data, size_t size, const Limits& limits, Image* out) {
  try {
    return Decode(data, size, limits, out);
  } catch (const std::bad_alloc&) {
    return {Status::kTooLarge, "out of memory decoding the PNG"};
  }
}

}  // namespace imlage::decode
