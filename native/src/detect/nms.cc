#include <algorithm>
#include <numeric>

#include "detect/detect.h"

namespace imlage {

float Iou(const Box& a, const Box& b) {
  if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return 0;
  const float ix = std::max(0.0f, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  const float iy = std::max(0.0f, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  const float inter = ix * iy;
  const float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0;
}

std::vector<Detection> Nms(std::vector<Detection> candidates, float iou, uint32_t maxDetections, bool perClass) {
  std::vector<size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Detection& da = candidates[a];
    const Detection& db = candidates[b];
    return da.score != db.score ? da.score > db.score : da.label < db.label;
  });
  std::vector<Detection> kept;
  for (size_t i : order) {
    if (maxDetections > 0 && kept.size() >= maxDetections) break;
    const Detection& d = candidates[i];
    bool drop = false;
    for (const Detection& k : kept) {
      if ((!perClass || k.label == d.label) && Iou(k.box, d.box) > iou) {
        drop = true;
        break;
      }
    }
    if (!drop) kept.push_back(d);
  }
  return kept;
}

}  // namespace imlage
