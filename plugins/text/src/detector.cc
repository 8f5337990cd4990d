#include "detector.h"

#include <algorithm>
#include <cmath>

namespace imlage_text {

namespace {

// PaddleOCR's DetResizeForTest (limit_type "max"): shrink so the longer side
// is at most limit_side, then round each side to a multiple of 32.
int RoundTo32(double v) { return std::max(32, static_cast<int>(std::lround(v / 32.0)) * 32); }

}  // namespace

std::vector<Box> Detect(const Session& det, const BgrImage& image, const DetParams& p) {
  const int longer = std::max(image.width, image.height);
  const double ratio = longer > p.limit_side ? static_cast<double>(p.limit_side) / longer : 1.0;
  const int w = RoundTo32(static_cast<int>(image.width * ratio));
  const int h = RoundTo32(static_cast<int>(image.height * ratio));

  // NormalizeImage on the BGR image: (v / 255 - mean) / std with PaddleOCR's
  // ImageNet constants applied in the image's own (B, G, R) channel order.
  static const float kMean[3] = {0.485f, 0.456f, 0.406f};
  static const float kStd[3] = {0.229f, 0.224f, 0.225f};
  const size_t plane = static_cast<size_t>(w) * h;
  std::vector<float> input(plane * 3);
  ResizeNormalize(image, 0, 0, image.width, image.height, w, h, 1.0f / 255.0f, kMean, kStd, input.data(),
                  static_cast<size_t>(w), plane);

  Outputs out = det.Run({1, 3, h, w}, input);
  const smi_tensor& map = out.Float(0, 4);
  if (map.shape[0] != 1 || map.shape[1] != 1 || map.shape[2] != h || map.shape[3] != w) {
    throw Error(SMI_ERROR_INTERNAL, "the detection model returned a map of an unexpected shape");
  }
  std::vector<Box> boxes = ComponentBoxes(static_cast<const float*>(map.data), w, h, p);

  // Map coordinates to image pixels.
  const float sx = static_cast<float>(image.width) / w, sy = static_cast<float>(image.height) / h;
  for (Box& b : boxes) {
    b.x0 = std::clamp(b.x0 * sx, 0.0f, static_cast<float>(image.width));
    b.x1 = std::clamp(b.x1 * sx, 0.0f, static_cast<float>(image.width));
    b.y0 = std::clamp(b.y0 * sy, 0.0f, static_cast<float>(image.height));
    b.y1 = std::clamp(b.y1 * sy, 0.0f, static_cast<float>(image.height));
  }
  boxes.erase(std::remove_if(boxes.begin(), boxes.end(),
                             [](const Box& b) { return b.x1 - b.x0 < 3 || b.y1 - b.y0 < 3; }),
              boxes.end());
  SortReadingOrder(&boxes);
  return boxes;
}

}  // namespace imlage_text
