// BlazeFace (MediaPipe's face detectors, full-range 256x256 and short-range
// 128x128): an SSD head over fixed anchors. MediaPipe's anchor options for
// both models (num_layers 4, strides input/16 then input/8 three times,
// anchor_offset 0.5, fixed_anchor_size, aspect ratio 1 plus the interpolated
// scale) collapse to two grids: 16x16 cells with 2 anchors each, then 8x8
// cells with 6, 896 anchors in all, each of unit size centred on its cell.
// Each anchor regresses [x, y, w, h, 6 keypoints x 2] in input pixels, the
// centre relative to the anchor's; its score is a logit.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "detect/heads.h"
#include "core/errors.h"

namespace imlage {
namespace {

struct Grid {
  int64_t cells;  // per side
  int64_t anchorsPerCell;
};
constexpr std::array<Grid, 2> kGrids{{{16, 2}, {8, 6}}};

// MediaPipe clips the logit so that the sigmoid stays finite and monotone.
constexpr float kLogitClip = 100.0f;

[[noreturn]] void Unsupported(const FloatTensor& t, const std::string& expected) {
  throw NativeError(code::kUnsupportedModel, "blazeface: output '" + t.name + "' has shape " + ShapeString(t.shape) +
                                                 "; expected " + expected);
}

// A [batch, anchors, k] (or [batch, anchors] when k may be 1) tensor's
// anchors and values per anchor, checked against what the decoder reads.
struct Rows {
  const float* base = nullptr;  // batch row `row`
  int64_t anchors = 0;
  int64_t width = 0;  // values per anchor
};

Rows RowsOf(const FloatTensor& t, int64_t row, int64_t minWidth, const char* expected) {
  const auto& s = t.shape;
  const bool flat = s.size() == 2 && minWidth == 1;
  if (!(s.size() == 3 || flat) || s[0] <= row || s[1] <= 0 || (s.size() == 3 && s[2] < minWidth)) Unsupported(t, expected);
  Rows r;
  r.anchors = s[1];
  r.width = flat ? 1 : s[2];
  const size_t perRow = static_cast<size_t>(r.anchors * r.width);
  if (t.data.size() != perRow * static_cast<size_t>(s[0])) Unsupported(t, expected);
  r.base = t.data.data() + perRow * static_cast<size_t>(row);
  return r;
}

float Sigmoid(float logit) {
  return 1.0f / (1.0f + std::exp(-std::clamp(logit, -kLogitClip, kLogitClip)));
}

float Clip01(float v) { return std::clamp(v, 0.0f, 1.0f); }

// One anchor's candidate, or false when under the threshold or degenerate.
bool Decode(float logit, const float* reg, float anchorX, float anchorY, const DetectSpec& spec, Detection* out) {
  const float score = Sigmoid(logit);
  if (!(score >= spec.scoreThreshold)) return false;  // also drops NaN
  const float w = static_cast<float>(spec.inputWidth), h = static_cast<float>(spec.inputHeight);
  const float cx = anchorX + reg[0] / w, cy = anchorY + reg[1] / h;
  const float bw = reg[2] / w, bh = reg[3] / h;
  if (!(bw > 0 && bh > 0) || !std::isfinite(cx) || !std::isfinite(cy) || !std::isfinite(bw) || !std::isfinite(bh)) {
    return false;
  }
  const float x0 = Clip01(cx - bw / 2), y0 = Clip01(cy - bh / 2);
  const float x1 = Clip01(cx + bw / 2), y1 = Clip01(cy + bh / 2);
  if (!(x1 > x0 && y1 > y0)) return false;
  out->label = 0;
  out->score = score;
  out->box = Box{x0, y0, x1 - x0, y1 - y0};
  return true;
}

// Anchor centres as fractions of the input, in the order the model emits them.
std::vector<std::array<float, 2>> Anchors() {
  std::vector<std::array<float, 2>> anchors;
  for (const Grid& g : kGrids) {
    for (int64_t y = 0; y < g.cells; ++y) {
      for (int64_t x = 0; x < g.cells; ++x) {
        const float ax = (static_cast<float>(x) + 0.5f) / static_cast<float>(g.cells);
        const float ay = (static_cast<float>(y) + 0.5f) / static_cast<float>(g.cells);
        for (int64_t n = 0; n < g.anchorsPerCell; ++n) anchors.push_back({ax, ay});
      }
    }
  }
  return anchors;
}

}  // namespace

std::vector<Detection> DecodeBlazeFace(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                       const DetectSpec& spec) {
  static const std::vector<std::array<float, 2>> kAnchors = Anchors();
  const int64_t total = static_cast<int64_t>(kAnchors.size());
  if (spec.inputWidth <= 0 || spec.inputHeight <= 0) {
    throw NativeError(code::kUnsupportedModel, "blazeface: the model's input size is unknown (" +
                                                   std::to_string(spec.inputWidth) + "x" +
                                                   std::to_string(spec.inputHeight) + ")");
  }
  const std::string scoresShape = "[batch, anchors, 1] scores";
  const std::string boxesShape = "[batch, anchors, 4 or more] box regressors";
  const std::string combinedShape = "[batch, " + std::to_string(total) + ", 5 or more] (score logit, then x, y, w, h)";

  // Either one tensor holding the logit then the regressors per anchor, or
  // (scores, regressors) pairs, one per anchor grid in anchor order.
  struct Part {
    Rows scores, boxes;
    int64_t scoreColumn = 0, boxColumn = 0;
  };
  std::vector<Part> parts;
  if (tensors.size() == 1) {
    const Rows r = RowsOf(*tensors[0], row, 5, combinedShape.c_str());
    parts.push_back({r, r, 0, 1});
  } else if (!tensors.empty() && tensors.size() % 2 == 0) {
    for (size_t i = 0; i < tensors.size(); i += 2) {
      const Rows s = RowsOf(*tensors[i], row, 1, scoresShape.c_str());
      if (s.width != 1) Unsupported(*tensors[i], scoresShape);
      const Rows b = RowsOf(*tensors[i + 1], row, 4, boxesShape.c_str());
      if (b.anchors != s.anchors) {
        Unsupported(*tensors[i + 1], "[batch, " + std::to_string(s.anchors) + ", 4 or more], one box per score of '" +
                                         tensors[i]->name + "'");
      }
      parts.push_back({s, b, 0, 0});
    }
  } else {
    throw NativeError(code::kUnsupportedModel, "blazeface: [output.regions] outputs names " +
                                                   std::to_string(tensors.size()) +
                                                   " tensors; give one [batch, anchors, 17] tensor or (scores, boxes) "
                                                   "pairs, one pair per anchor grid");
  }
  int64_t found = 0;
  for (const Part& p : parts) found += p.scores.anchors;
  if (found != total) {
    std::string names;
    for (const FloatTensor* t : tensors) names += (names.empty() ? "'" : ", '") + t->name + "' " + ShapeString(t->shape);
    throw NativeError(code::kUnsupportedModel, "blazeface: outputs " + names + " hold " + std::to_string(found) +
                                                   " anchors; BlazeFace's 16x16x2 + 8x8x6 grids have " +
                                                   std::to_string(total));
  }

  std::vector<Detection> candidates;
  size_t a = 0;
  for (const Part& p : parts) {
    for (int64_t i = 0; i < p.scores.anchors; ++i, ++a) {
      const float logit = p.scores.base[i * p.scores.width + p.scoreColumn];
      const float* reg = p.boxes.base + i * p.boxes.width + p.boxColumn;
      Detection d;
      if (Decode(logit, reg, kAnchors[a][0], kAnchors[a][1], spec, &d)) candidates.push_back(d);
    }
  }
  return candidates;
}

}  // namespace imlage
