#include "decode/png_chunks.h"

#include <libdeflate.h>

#include <cstring>
#include <string>
#include <utility>

namespace imlage::decode::png {
namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr uint32_t kMaxChunkLength = 0x7fffffffu;  // PNG spec: lengths are at most 2^31 - 1

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

Result Corrupt(std::string message) { return {Status::kCorrupt, std::move(message)}; }
Result Unsupported(std::string message) { return {Status::kUnsupported, std::move(message)}; }

// A chunk type as text for messages; a hostile type may hold any byte.
std::string TypeName(const uint8_t* t) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    if (t[i] >= 0x21 && t[i] < 0x7f) {
      s += static_cast<char>(t[i]);
    } else {
      static const char* hex = "0123456789abcdef";
      s += "\\x";
      s += hex[t[i] >> 4];
      s += hex[t[i] & 15];
    }
  }
  return s;
}

bool Is(const uint8_t* t, const char* name) { return std::memcmp(t, name, 4) == 0; }

// Allowed bit depths per colour type (PNG spec, table 11.1).
bool ValidDepth(uint8_t color_type, uint8_t depth) {
  switch (color_type) {
    case kGrey: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
    case kPalette: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
    case kRgb:
    case kGreyAlpha:
    case kRgba: return depth == 8 || depth == 16;
    default: return false;
  }
}

int Channels(uint8_t color_type) {
  switch (color_type) {
    case kRgb: return 3;
    case kGreyAlpha: return 2;
    case kRgba: return 4;
    default: return 1;
  }
}

Result ReadHeader(const uint8_t* p, uint32_t length, const Limits& limits, Header* h) {
  if (length != 13) return Corrupt("IHDR is " + std::to_string(length) + " bytes, expected 13");
  h->width = Be32(p);
  h->height = Be32(p + 4);
  h->bit_depth = p[8];
  h->color_type = p[9];
  h->interlace = p[12];
  if (h->width == 0 || h->height == 0 || h->width > kMaxChunkLength || h->height > kMaxChunkLength) {
    return Corrupt("invalid dimensions " + std::to_string(h->width) + "x" + std::to_string(h->height));
  }
  if (!ValidDepth(h->color_type, h->bit_depth)) {
    return Corrupt("invalid colour type " + std::to_string(h->color_type) + " with bit depth " + std::to_string(h->bit_depth));
  }
  if (p[10] != 0) return Corrupt("unknown compression method " + std::to_string(p[10]));
  if (p[11] != 0) return Corrupt("unknown filter method " + std::to_string(p[11]));
  if (h->interlace > 1) return Corrupt("unknown interlace method " + std::to_string(h->interlace));
  const uint64_t pixels = uint64_t{h->width} * h->height;
  if (pixels > limits.max_pixels) {
    return {Status::kTooLarge, std::to_string(h->width) + "x" + std::to_string(h->height) + " is " + std::to_string(pixels) +
                                   " pixels, over the limit of " + std::to_string(limits.max_pixels)};
  }
  if (h->bit_depth == 16) return Unsupported("16-bit PNG");
  if (h->interlace == 1) return Unsupported("interlaced (Adam7) PNG");
  h->channels = Channels(h->color_type);
  const uint64_t bits = uint64_t{h->width} * static_cast<uint64_t>(h->channels) * h->bit_depth;
  // Inflated size height * (1 + row_bytes) must fit a size_t (it can on 32-bit hosts only within the limits).
  const uint64_t row_bytes = (bits + 7) / 8;
  if ((row_bytes + 1) > SIZE_MAX / h->height) return {Status::kTooLarge, std::to_string(h->width) + "x" + std::to_string(h->height) + " does not fit in memory"};
  h->row_bytes = static_cast<size_t>(row_bytes);
  h->filter_bpp = h->bit_depth < 8 ? 1 : h->channels;
  return {};
}

}  // namespace

Result ReadChunks(const uint8_t* data, size_t size, const Limits& limits, File* out) {
  if (size < sizeof kSignature || std::memcmp(data, kSignature, sizeof kSignature) != 0) {
    return Corrupt("not a PNG file (bad signature)");
  }
  size_t pos = sizeof kSignature;
  bool seen_header = false;
  bool seen_end = false;
  enum { kBefore, kInside, kAfter } idat_state = kBefore;
  while (!seen_end) {
    if (size - pos < 12) return Corrupt(pos == size ? "truncated: no IEND chunk" : "truncated chunk header");
    const uint32_t length = Be32(data + pos);
    const uint8_t* type = data + pos + 4;
    if (length > kMaxChunkLength) return Corrupt("chunk " + TypeName(type) + " has invalid length " + std::to_string(length));
    if (length > size - pos - 12) return Corrupt("truncated: chunk " + TypeName(type) + " needs " + std::to_string(length) + " bytes");
    const uint8_t* body = type + 4;
    const uint32_t crc = Be32(body + length);
    if (libdeflate_crc32(0, type, size_t{length} + 4) != crc) return Corrupt("bad CRC in chunk " + TypeName(type));
    pos += size_t{length} + 12;

    if (!seen_header) {
      if (!Is(type, "IHDR")) return Corrupt("first chunk is " + TypeName(type) + ", not IHDR");
      Result r = ReadHeader(body, length, limits, &out->header);
      if (r.status != Status::kOk) return r;
      seen_header = true;
      continue;
    }
    if (Is(type, "IDAT")) {
      if (idat_state == kAfter) return Corrupt("IDAT chunks are not consecutive");
      idat_state = kInside;
      if (length > 0) out->idat.push_back({body, length});
      out->idat_bytes += length;
      continue;
    }
    if (idat_state == kInside) idat_state = kAfter;
    if (Is(type, "IEND")) {
      seen_end = true;
    } else if (Is(type, "PLTE")) {
      if (idat_state != kBefore) return Corrupt("PLTE after IDAT");
      if (out->palette_size != 0) return Corrupt("more than one PLTE");
      const uint8_t ct = out->header.color_type;
      if (ct == kGrey || ct == kGreyAlpha) return Corrupt("PLTE in a greyscale PNG");
      if (length == 0 || length % 3 != 0 || length / 3 > 256) return Corrupt("PLTE of " + std::to_string(length) + " bytes");
      // Sample depth bounds the entries an index can reach; more is allowed but unused.
      std::memcpy(out->palette, body, length);
      out->palette_size = static_cast<int>(length / 3);
    } else if (Is(type, "IHDR")) {
      return Corrupt("more than one IHDR");
    } else if ((type[0] & 0x20) == 0) {
      // Bit 5 of the first byte clear: critical, and we do not know it.
      return Unsupported("unknown critical chunk " + TypeName(type));
    }
    // Ancillary chunks (iCCP, gAMA, sRGB, tRNS, text, ...) are skipped: fast
    // mode does not apply colour management, and alpha is dropped anyway.
  }
  if (idat_state == kBefore) return Corrupt("no IDAT chunk");
  if (out->header.color_type == kPalette && out->palette_size == 0) return Corrupt("palette PNG without PLTE");
  return {};
}

}  // namespace imlage::decode::png
