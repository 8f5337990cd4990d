// NanoDet's GFL head (RangiLyu/nanodet, the 416 "m" model @vladmandic/human
// ships). Per level the outputs hold a class-score map [batch, positions,
// classes] (sigmoid already applied in the graph) and a box-distribution map
// [batch, positions, 4 * (reg_max + 1)]: for each side (left, top, right,
// bottom) logits over the distances 0..reg_max in units of the level's
// stride. The distance is the softmax-weighted expectation of the bins, as
// NanoDet's Integral layer computes it; @vladmandic/human takes the argmax
// bin and rescales it by hand-tuned factors instead, which misplaces edges.
// Priors are cell centres, ((col + 0.5) * stride, (row + 0.5) * stride).
#include <algorithm>
#include <cmath>
#include <string>

#include "detect/detect.h"
#include "detect/heads.h"
#include "core/errors.h"

namespace imlage {
namespace {

[[noreturn]] void Fail(const std::string& why) {
  throw NativeError(code::kUnsupportedModel, "nanodet head: " + why);
}

// The stride whose grid over the input has `positions` cells.
int64_t StrideFor(int64_t positions, const DetectSpec& spec) {
  for (int64_t s = 4; s <= 256; s *= 2) {
    const int64_t gw = (spec.inputWidth + s - 1) / s;
    const int64_t gh = (spec.inputHeight + s - 1) / s;
    if (gw * gh == positions) return s;
  }
  Fail(std::to_string(positions) + " positions match no stride (4..256) of a " + std::to_string(spec.inputWidth) +
       "x" + std::to_string(spec.inputHeight) + " input");
}

// Expected distance, in bins, of one side's distribution.
float Expectation(const float* logits, int64_t bins) {
  const float top = *std::max_element(logits, logits + bins);
  double sum = 0, weighted = 0;
  for (int64_t k = 0; k < bins; ++k) {
    const double e = std::exp(static_cast<double>(logits[k]) - top);
    sum += e;
    weighted += e * static_cast<double>(k);
  }
  return static_cast<float>(weighted / sum);
}

void DecodeLevel(const FloatTensor& cls, const FloatTensor& reg, int64_t row, const DetectSpec& spec,
                 std::vector<Detection>& out) {
  if (cls.shape.size() != 3 || reg.shape.size() != 3 || cls.shape[0] <= row || reg.shape[0] <= row ||
      cls.shape[1] != reg.shape[1] || reg.shape[2] % 4 != 0 || reg.shape[2] < 4) {
    Fail("expected a class map [batch, positions, classes] and a box map [batch, positions, 4 * bins], found '" +
         cls.name + "' " + ShapeString(cls.shape) + " and '" + reg.name + "' " + ShapeString(reg.shape));
  }
  const int64_t positions = cls.shape[1], classes = cls.shape[2], bins = reg.shape[2] / 4;
  const int64_t stride = StrideFor(positions, spec);
  const int64_t gw = (spec.inputWidth + stride - 1) / stride;
  const float* scores = cls.data.data() + row * positions * classes;
  const float* dist = reg.data.data() + row * positions * 4 * bins;
  const float w = static_cast<float>(spec.inputWidth), h = static_cast<float>(spec.inputHeight);
  for (int64_t p = 0; p < positions; ++p) {
    const float* s = scores + p * classes;
    bool any = false;
    for (int64_t c = 0; c < classes && !any; ++c) any = s[c] >= spec.scoreThreshold;
    if (!any) continue;
    const float cx = (static_cast<float>(p % gw) + 0.5f) * static_cast<float>(stride);
    const float cy = (static_cast<float>(p / gw) + 0.5f) * static_cast<float>(stride);
    float side[4];
    for (int k = 0; k < 4; ++k) side[k] = Expectation(dist + (p * 4 + k) * bins, bins) * static_cast<float>(stride);
    const float x0 = std::clamp(cx - side[0], 0.0f, w), y0 = std::clamp(cy - side[1], 0.0f, h);
    const float x1 = std::clamp(cx + side[2], 0.0f, w), y1 = std::clamp(cy + side[3], 0.0f, h);
    const Box box{x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h};
    for (int64_t c = 0; c < classes; ++c) {
      if (s[c] >= spec.scoreThreshold) out.push_back(Detection{static_cast<int32_t>(c), s[c], box});
    }
  }
}

}  // namespace

std::vector<Detection> DecodeNanoDet(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                     const DetectSpec& spec) {
  if (tensors.empty() || tensors.size() % 2 != 0) {
    Fail("[output.regions] outputs must list, per level, its class map then its box map; " +
         std::to_string(tensors.size()) + " given");
  }
  if (spec.inputWidth <= 0 || spec.inputHeight <= 0) Fail("the input size is unknown");
  std::vector<Detection> out;
  for (size_t i = 0; i < tensors.size(); i += 2) DecodeLevel(*tensors[i], *tensors[i + 1], row, spec, out);
  return out;
}

}  // namespace imlage
