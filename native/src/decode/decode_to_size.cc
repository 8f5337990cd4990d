// The fast path's dispatch: the format from the first bytes, the decoder
// that covers it, then the area resize and EXIF orientation.
#include <cstring>
#include <utility>

#include "decode/decode.h"

namespace imlage::decode {
namespace {

bool IsJpeg(const uint8_t* d, size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }

bool IsPng(const uint8_t* d, size_t n) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  return n >= 8 && std::memcmp(d, kSignature, 8) == 0;
}

// Before orientation: a quarter turn (5..8) swaps the sides.
Result DecodeStored(const uint8_t* data, size_t size, int minW, int minH, int orientation, const Limits& limits,
                    Image* out) {
  if (orientation >= 5 && orientation <= 8) std::swap(minW, minH);
  if (IsJpeg(data, size)) return DecodeJpeg(data, size, minW, minH, limits, out);
#ifdef IMLAGE_DECODE_PNG
  if (IsPng(data, size)) return DecodePng(data, size, limits, out);
#else
  if (IsPng(data, size)) return {Status::kUnsupported, "this build has no PNG decoder"};
#endif
  return {Status::kUnsupported, "not a JPEG or PNG"};
}

}  // namespace

Result DecodeAtLeast(const uint8_t* data, size_t size, int min_width, int min_height, int orientation,
                     const Limits& limits, Image* out) {
  Result r = DecodeStored(data, size, min_width, min_height, orientation, limits, out);
  if (r.status == Status::kOk) Orient(orientation, out);
  return r;
}

Result DecodeToSize(const uint8_t* data, size_t size, int width, int height, int orientation, const Limits& limits,
                    Image* out) {
  Image decoded;
  Result r = DecodeStored(data, size, width, height, orientation, limits, &decoded);
  if (r.status != Status::kOk) {
    scratch::Give(std::move(decoded.pixels));
    return r;
  }
  const bool turn = orientation >= 5 && orientation <= 8;
  ResizeArea(decoded, turn ? height : width, turn ? width : height, out);
  scratch::Give(std::move(decoded.pixels));
  Orient(orientation, out);
  return r;
}

Result DecodeToSizes(const uint8_t* data, size_t size, const std::vector<Size>& sizes, int orientation,
                     const Limits& limits, std::vector<Image>* out) {
  Size big;
  for (const Size& s : sizes) {
    if (static_cast<int64_t>(s.width) * s.height > static_cast<int64_t>(big.width) * big.height) big = s;
  }
  Image decoded;
  Result r = DecodeStored(data, size, big.width, big.height, orientation, limits, &decoded);
  if (r.status != Status::kOk) {
    scratch::Give(std::move(decoded.pixels));
    return r;
  }
  const bool turn = orientation >= 5 && orientation <= 8;
  out->assign(sizes.size(), Image());
  for (size_t i = 0; i < sizes.size(); ++i) {
    ResizeArea(decoded, turn ? sizes[i].height : sizes[i].width, turn ? sizes[i].width : sizes[i].height, &(*out)[i]);
    Orient(orientation, &(*out)[i]);
  }
  scratch::Give(std::move(decoded.pixels));
  return r;
}

Compiled CompiledDecoders() {
  Compiled c;
  c.jpeg = JpegVersion() != nullptr;
  if (c.jpeg) c.jpegVersion = JpegVersion();
#ifdef IMLAGE_DECODE_PNG
  c.png = true;
#endif
  return c;
}

}  // namespace imlage::decode
