// libFuzzer target: the fast path's JPEG decode (native/src/decode/:
// DecodeJpeg through DecodeToSize and DecodeAtLeast, ResizeArea, Orient).
// The input is the file itself, so the seeds are real JPEGs; its length
// picks the target size and orientation, which covers the 1/8 early stop of
// a progressive JPEG as well as full-size decodes. Every failure must be a
// status with a message; every success must hold exactly the pixels its size
// says, at the size asked for.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "decode/decode.h"

using imlage::decode::Image;
using imlage::decode::Limits;
using imlage::decode::Result;
using imlage::decode::Status;

namespace {

[[noreturn]] void Fail(const char* what, int a, int b) {
  std::fprintf(stderr, "jpeg_fuzz: %s (%d, %d)\n", what, a, b);
  std::abort();
}

void Check(const Result& r, const Image& img) {
  if (r.status != Status::kOk) {
    if (r.message.empty()) Fail("a failure without a message", static_cast<int>(r.status), 0);
    return;
  }
  if (img.width <= 0 || img.height <= 0) Fail("an empty picture", img.width, img.height);
  if (img.pixels.size() != static_cast<size_t>(img.width) * img.height * 3) Fail("pixels do not match the size", img.width, img.height);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Limits limits;
  limits.max_pixels = 1u << 22;  // the fuzzer's memory, not the engine's default
  limits.max_scans = 64;
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  static const int kSides[][2] = {{16, 16}, {224, 224}, {1, 300}, {0, 0}};
  const int* side = kSides[size % 4];
  const int orientation = static_cast<int>(size % 9);

  Image at;
  Result r = imlage::decode::DecodeAtLeast(data, size, side[0], side[1], orientation, limits, &at);
  Check(r, at);
  if (r.status == Status::kOk && (at.width < side[0] || at.height < side[1])) {
    // Only a picture smaller than asked may come back smaller: then at full size.
    Image full;
    if (imlage::decode::DecodeAtLeast(data, size, 0, 0, orientation, limits, &full).status == Status::kOk &&
        (full.width != at.width || full.height != at.height)) {
      Fail("smaller than asked, yet not the full picture", at.width, at.height);
    }
  }

  if (side[0] > 0) {
    Image out;
    r = imlage::decode::DecodeToSize(data, size, side[0], side[1], orientation, limits, &out);
    Check(r, out);
    if (r.status == Status::kOk && (out.width != side[0] || out.height != side[1])) Fail("not the size asked", out.width, out.height);
  }
  return 0;
}
