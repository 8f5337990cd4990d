#include "recognizer.h"

#include <algorithm>
#include <cmath>

namespace imlage_text {

std::vector<Line> Recognize(const Session& rec, const Charset& charset, const std::vector<BgrImage>& crops,
                            const RecParams& p) {
  std::vector<Line> lines(crops.size());
  std::vector<size_t> order;
  for (size_t i = 0; i < crops.size(); ++i) {
    if (crops[i].width > 0 && crops[i].height > 0) order.push_back(i);
  }
  auto aspect = [&](size_t i) { return static_cast<double>(crops[i].width) / crops[i].height; };
  // Similar widths share a batch, so little of each batch is padding.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return aspect(a) < aspect(b); });

  // resize_norm_img: (v / 255 - 0.5) / 0.5, zero padding on the right.
  static const float kMean[3] = {0.5f, 0.5f, 0.5f};
  static const float kStd[3] = {0.5f, 0.5f, 0.5f};
  const size_t batch = static_cast<size_t>(std::max(1, p.batch));
  for (size_t start = 0; start < order.size(); start += batch) {
    const size_t n = std::min(batch, order.size() - start);
    double max_ratio = static_cast<double>(p.min_width) / p.height;
    for (size_t k = 0; k < n; ++k) max_ratio = std::max(max_ratio, aspect(order[start + k]));
    const int width = std::min(p.max_width, static_cast<int>(p.height * max_ratio));
    const size_t plane = static_cast<size_t>(width) * p.height;
    std::vector<float> input(n * 3 * plane, 0.0f);
    for (size_t k = 0; k < n; ++k) {
      const BgrImage& crop = crops[order[start + k]];
      const int w = std::clamp(static_cast<int>(std::ceil(p.height * aspect(order[start + k]))), 1, width);
      ResizeNormalize(crop, 0, 0, crop.width, crop.height, w, p.height, 1.0f / 255.0f, kMean, kStd,
                      input.data() + k * 3 * plane, static_cast<size_t>(width), plane);
    }
    Outputs out = rec.Run({static_cast<int64_t>(n), 3, p.height, width}, input);
    const smi_tensor& probs = out.Float(0, 3);
    if (probs.shape[0] != static_cast<int64_t>(n) || probs.shape[2] <= 0) {
      throw Error(SMI_ERROR_INTERNAL, "the recognition model returned an unexpected shape");
    }
    const size_t steps = static_cast<size_t>(probs.shape[1]), classes = static_cast<size_t>(probs.shape[2]);
    if (classes != charset.size()) {
      throw Error(SMI_ERROR_NOT_SUPPORTED, "the recognition model has " + std::to_string(classes) +
                                               " classes but the character list gives " +
                                               std::to_string(charset.size()));
    }
    const float* data = static_cast<const float*>(probs.data);
    for (size_t k = 0; k < n; ++k) {
      lines[order[start + k]] = CtcGreedy(data + k * steps * classes, steps, classes, charset);
    }
  }
  return lines;
}

}  // namespace imlage_text
