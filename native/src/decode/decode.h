// The addon's own image decoders (issue #9): JPEG through libjpeg-turbo with
// DCT scaling, PNG through our own chunk reader and libdeflate. They cover
// the common cases cheaply; anything else is reported kUnsupported and the
// caller decodes it with libvips (sharp) as before.
//
// Plain C++, no N-API: called from the addon's decode pool (decode_pool.h),
// from the fuzz targets and from the decode_dump tool. Every function is
// reentrant; none keeps state between calls except the buffers kept for
// the next decode (scratch.h).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "decode/scratch.h"

namespace imlage::decode {

struct Limits {
  // width × height of the encoded picture; larger fails as kTooLarge.
  uint64_t max_pixels = 100'000'000;
  // Scans a progressive JPEG may have; more fails as kCorrupt.
  int max_scans = 100;
  // Past this, or once *cancel is true, a decode stops as kTimedOut.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;

  // True once the decode must stop: cancelled, or past the deadline.
  bool Stopped() const {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return true;
    return deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() >= deadline;
  }
};

// 8-bit RGB, rows packed (stride = width * 3). Alpha is dropped, as the
// sharp path does (removeAlpha), so both paths give a model the same colours.
// A decoder takes a large buffer from the scratch (scratch.h);
// whoever is done with an intermediate Image gives its pixels back.
struct Image {
  Bytes pixels;
  int width = 0;
  int height = 0;
};

enum class Status {
  kOk,
  kUnsupported,  // a valid file this decoder does not cover (16-bit, interlaced, CMYK, ...): use libvips
  kCorrupt,      // message says what is wrong, without the file's name
  kTooLarge,     // over limits.max_pixels; message gives the dimensions
  kTimedOut,     // deadline passed or cancel set
};

struct Result {
  Status status = Status::kOk;
  std::string message;
};

// PNG at full size.
Result DecodePng(const uint8_t* data, size_t size, const Limits& limits, Image* out);

// JPEG at the smallest DCT scale (n/8) whose output is at least
// min_width × min_height (0 × 0: full size). A progressive JPEG stops after
// the scans that scale needs.
Result DecodeJpeg(const uint8_t* data, size_t size, int min_width, int min_height, const Limits& limits, Image* out);

// Area (box) resize to exactly width × height.
void ResizeArea(const Image& in, int width, int height, Image* out);

// Applies EXIF orientation 1..8 (others: no change).
void Orient(int orientation, Image* img);

// A covered format at its cheapest size that is still at least min_width ×
// min_height as the picture is seen (after orientation): a JPEG at its DCT
// scale, a PNG at full size. What DecodeToSize resizes from; the binding's
// `shrinkOnly` shows it, so tests can see the scale picked.
Result DecodeAtLeast(const uint8_t* data, size_t size, int min_width, int min_height, int orientation,
                     const Limits& limits, Image* out);

// The fast path: a covered format straight to width × height as the picture
// is seen (after orientation).
Result DecodeToSize(const uint8_t* data, size_t size, int width, int height, int orientation, const Limits& limits, Image* out);

struct Size {
  int width = 0;
  int height = 0;
};

// Several sizes from one decode (submitEncoded): the file decoded once at
// the cheapest size covering the largest of them, each cut from that as
// DecodeToSize would (so out[i] equals DecodeToSize at sizes[i] whenever
// sizes[i] needs the same DCT scale as the largest).
Result DecodeToSizes(const uint8_t* data, size_t size, const std::vector<Size>& sizes, int orientation,
                     const Limits& limits, std::vector<Image>* out);

// What this binary was built with (decoderInfo(), `imlage --version`).
struct Compiled {
  bool jpeg = false;
  std::string jpegVersion;  // libjpeg-turbo's, when jpeg
  bool png = false;
};
Compiled CompiledDecoders();
// libjpeg-turbo's version; nullptr when built without it (IMLAGE_HAVE_JPEG=0).
const char* JpegVersion();

}  // namespace imlage::decode
