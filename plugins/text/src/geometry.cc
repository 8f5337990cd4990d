#include "geometry.h"

#include <algorithm>
#include <cmath>

namespace imlage_text {

std::vector<Box> ComponentBoxes(const float* prob, int width, int height, const DetParams& p) {
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<int32_t> label(n, 0);  // 0: not visited / background
  std::vector<int32_t> stack;
  std::vector<Box> boxes;
  int32_t next = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const size_t at = static_cast<size_t>(y) * width + x;
      if (label[at] != 0 || prob[at] <= p.thresh) continue;
      ++next;
      if (next > p.max_candidates) return boxes;
      int x0 = x, x1 = x, y0 = y, y1 = y;
      label[at] = next;
      stack.assign(1, static_cast<int32_t>(at));
      while (!stack.empty()) {
        const int32_t i = stack.back();
        stack.pop_back();
        const int cx = i % width, cy = i / width;
        x0 = std::min(x0, cx), x1 = std::max(x1, cx), y0 = std::min(y0, cy), y1 = std::max(y1, cy);
        for (int dy = -1; dy <= 1; ++dy) {
          const int ny = cy + dy;
          if (ny < 0 || ny >= height) continue;
          for (int dx = -1; dx <= 1; ++dx) {
            const int nx = cx + dx;
            if (nx < 0 || nx >= width) continue;
            const size_t j = static_cast<size_t>(ny) * width + nx;
            if (label[j] == 0 && prob[j] > p.thresh) {
              label[j] = next;
              stack.push_back(static_cast<int32_t>(j));
            }
          }
        }
      }
      // Contour points span x0..x1, so the box is (x1 - x0) wide as cv2's minAreaRect sees it.
      const float w = static_cast<float>(x1 - x0), h = static_cast<float>(y1 - y0);
      if (std::min(w, h) < p.min_size) continue;
      double sum = 0;
      for (int by = y0; by <= y1; ++by) {
        for (int bx = x0; bx <= x1; ++bx) sum += prob[static_cast<size_t>(by) * width + bx];
      }
      const float score = static_cast<float>(sum / ((x1 - x0 + 1.0) * (y1 - y0 + 1.0)));
      if (score < p.box_thresh) continue;
      // Unclip: offset every side by area * ratio / perimeter (Vatti offset of a rectangle).
      const float d = w * h * p.unclip_ratio / (2.0f * (w + h));
      Box b;
      b.x0 = x0 - d;
      b.y0 = y0 - d;
      b.x1 = x1 + d;
      b.y1 = y1 + d;
      b.score = score;
      if (std::min(b.x1 - b.x0, b.y1 - b.y0) < p.min_size + 2) continue;
      boxes.push_back(b);
    }
  }
  return boxes;
}

void SortReadingOrder(std::vector<Box>* boxes) {
  std::sort(boxes->begin(), boxes->end(), [](const Box& a, const Box& b) {
    return a.y0 != b.y0 ? a.y0 < b.y0 : a.x0 < b.x0;
  });
  // PaddleOCR's sorted_boxes: neighbours within 10 px vertically read left to right.
  for (size_t i = 0; i + 1 < boxes->size(); ++i) {
    for (size_t j = i + 1; j > 0; --j) {
      Box& prev = (*boxes)[j - 1];
      Box& cur = (*boxes)[j];
      if (std::fabs(cur.y0 - prev.y0) < 10 && cur.x0 < prev.x0) {
        std::swap(prev, cur);
      } else {
        break;
      }
    }
  }
}

BgrImage Crop(const BgrImage& image, const Box& box) {
  const int x0 = std::max(0, static_cast<int>(std::floor(box.x0)));
  const int y0 = std::max(0, static_cast<int>(std::floor(box.y0)));
  const int x1 = std::min(image.width, static_cast<int>(std::ceil(box.x1)));
  const int y1 = std::min(image.height, static_cast<int>(std::ceil(box.y1)));
  BgrImage out;
  if (x1 <= x0 || y1 <= y0) return out;
  const int w = x1 - x0, h = y1 - y0;
  const bool rotate = h >= 1.5 * w;
  out.width = rotate ? h : w;
  out.height = rotate ? w : h;
  out.data.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      // np.rot90: out(x', y') = in(w - 1 - y', x') for a counter-clockwise turn.
      const int ox = rotate ? y : x;
      const int oy = rotate ? (w - 1 - x) : y;
      const uint8_t* s = image.Pixel(x0 + x, y0 + y);
      uint8_t* d = &out.data[(static_cast<size_t>(oy) * out.width + ox) * 3];
      d[0] = s[0], d[1] = s[1], d[2] = s[2];
    }
  }
  return out;
}

}  // namespace imlage_text
