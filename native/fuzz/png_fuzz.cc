// libFuzzer target: DecodePng (native/src/decode/png*.cc), the addon's own
// PNG reader, on hostile files. An input that starts with the PNG signature
// is decoded as it is and again with every chunk CRC made right (so the
// mutations reach past the CRC check); any other input builds a file: an
// IHDR from its first bytes (small sizes, any colour type and depth), maybe
// a PLTE, and the rest as scanlines compressed with libdeflate, so the
// unfilter and pixel paths see every filter byte and sample.
//
// What must hold: a decode either fails with a message and leaves *out
// alone, or gives width × height × 3 bytes matching IHDR's size.
#include <fuzzer/FuzzedDataProvider.h>
#include <libdeflate.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "decode/decode.h"

namespace {

using imlage::decode::Image;
using imlage::decode::Limits;
using imlage::decode::Result;
using imlage::decode::Status;

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "png_fuzz: %s\n", what);
  std::abort();
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void PutBe32(std::vector<uint8_t>* v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v->push_back(static_cast<uint8_t>(x >> s));
}

void Chunk(std::vector<uint8_t>* file, const char* type, const std::vector<uint8_t>& body) {
  PutBe32(file, static_cast<uint32_t>(body.size()));
  const size_t start = file->size();
  file->insert(file->end(), type, type + 4);
  file->insert(file->end(), body.begin(), body.end());
  PutBe32(file, libdeflate_crc32(0, file->data() + start, body.size() + 4));
}

void Check(const uint8_t* data, size_t size) {
  Limits limits;
  // Small enough that every accepted header decodes quickly within -rss_limit_mb.
  limits.max_pixels = 1 << 20;
  Image out;
  out.width = -7;
  const Result r = imlage::decode::DecodePng(data, size, limits, &out);
  if (r.status == Status::kOk) {
    if (out.width <= 0 || out.height <= 0) Fail("accepted image with no size");
    if (uint64_t(out.width) * uint64_t(out.height) > limits.max_pixels) Fail("accepted image over max_pixels");
    if (out.pixels.size() != size_t(out.width) * size_t(out.height) * 3) Fail("pixel buffer does not match the size");
    if (size < 24 || Be32(data + 16) != uint32_t(out.width) || Be32(data + 20) != uint32_t(out.height)) Fail("size differs from IHDR");
  } else {
    if (r.message.empty()) Fail("failure without a message");
    if (out.width != -7 || !out.pixels.empty()) Fail("failed decode changed *out");
    if (r.status == Status::kTimedOut) Fail("timed out without a deadline");
  }
}

// The file with each in-bounds chunk's CRC recomputed.
std::vector<uint8_t> FixCrcs(const uint8_t* data, size_t size) {
  std::vector<uint8_t> f(data, data + size);
  size_t pos = 8;
  while (size - pos >= 12) {
    const uint32_t length = Be32(f.data() + pos);
    if (length > size - pos - 12) break;
    const uint32_t crc = libdeflate_crc32(0, f.data() + pos + 4, size_t{length} + 4);
    for (int i = 0; i < 4; ++i) f[pos + 8 + length + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
    pos += size_t{length} + 12;
  }
  return f;
}

std::vector<uint8_t> Build(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const uint8_t kTypes[] = {0, 2, 3, 4, 6};
  static const uint8_t kDepths[] = {1, 2, 4, 8, 16};
  std::vector<uint8_t> header;
  PutBe32(&header, in.ConsumeIntegralInRange<uint32_t>(0, 70));
  PutBe32(&header, in.ConsumeIntegralInRange<uint32_t>(0, 70));
  header.push_back(in.ConsumeBool() ? in.PickValueInArray(kDepths) : in.ConsumeIntegral<uint8_t>());
  header.push_back(in.ConsumeIntegralInRange<int>(0, 7) != 0 ? in.PickValueInArray(kTypes) : in.ConsumeIntegral<uint8_t>());
  header.push_back(0);
  header.push_back(0);
  header.push_back(in.ConsumeIntegralInRange<int>(0, 15) == 0 ? 1 : 0);
  std::vector<uint8_t> file(kSignature, kSignature + 8);
  Chunk(&file, "IHDR", header);
  if (in.ConsumeBool()) Chunk(&file, "PLTE", in.ConsumeBytes<uint8_t>(3 * in.ConsumeIntegralInRange<size_t>(0, 257)));
  const std::vector<uint8_t> raw = in.ConsumeRemainingBytes<uint8_t>();
  libdeflate_compressor* c = libdeflate_alloc_compressor(1);
  if (c == nullptr) Fail("no compressor");
  std::vector<uint8_t> z(libdeflate_zlib_compress_bound(c, raw.size()));
  z.resize(libdeflate_zlib_compress(c, raw.data(), raw.size(), z.data(), z.size()));
  libdeflate_free_compressor(c);
  Chunk(&file, "IDAT", z);
  Chunk(&file, "IEND", {});
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 8 && std::memcmp(data, kSignature, 8) == 0) {
    Check(data, size);
    const std::vector<uint8_t> fixed = FixCrcs(data, size);
    Check(fixed.data(), fixed.size());
  } else {
    const std::vector<uint8_t> built = Build(data, size);
    Check(built.data(), built.size());
  }
  return 0;
}
