// Orient: turns the pixels as EXIF orientation says (1 = as stored), so the
// fast path's output matches sharp's rotate().
#include <cstdint>
#include <utility>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode {

void Orient(int orientation, Image* img) {
  if (orientation < 2 || orientation > 8) return;
  const int w = img->width;
  const int h = img->height;
  const bool turn = orientation >= 5;
  const int ow = turn ? h : w;
  Bytes out(img->pixels.size());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int dx = x, dy = y;
      switch (orientation) {
        case 2: dx = w - 1 - x; break;                     // mirrored
        case 3: dx = w - 1 - x; dy = h - 1 - y; break;     // upside down
        case 4: dy = h - 1 - y; break;                     // mirrored vertically
        case 5: dx = y; dy = x; break;                     // transposed
        case 6: dx = h - 1 - y; dy = x; break;             // a quarter turn clockwise
        case 7: dx = h - 1 - y; dy = w - 1 - x; break;     // transversed
        case 8: dx = y; dy = w - 1 - x; break;             // a quarter turn anticlockwise
      }
      const uint8_t* s = img->pixels.data() + (static_cast<size_t>(y) * w + x) * 3;
      uint8_t* d = out.data() + (static_cast<size_t>(dy) * ow + dx) * 3;
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
  img->pixels = std::move(out);
  if (turn) std::swap(img->width, img->height);
}

}  // namespace imlage::decode
