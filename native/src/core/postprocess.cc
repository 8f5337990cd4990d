#include "core/postprocess.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/errors.h"

namespace imlage {
namespace {

void Activate(float* values, size_t count, Activation activation) {
  if (activation == Activation::kSoftmax) Softmax(values, count);
  if (activation == Activation::kSigmoid) Sigmoid(values, count);
}

}  // namespace

void Softmax(float* values, size_t count) {
  if (count == 0) return;
  double maxValue = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < count; ++i) maxValue = std::max(maxValue, static_cast<double>(values[i]));
  std::vector<double> e(count);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    e[i] = std::exp(static_cast<double>(values[i]) - maxValue);
    sum += e[i];
  }
  for (size_t i = 0; i < count; ++i) values[i] = static_cast<float>(e[i] / sum);
}

void Sigmoid(float* values, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const double x = values[i];
    // Stable for large |x|: never exponentiates a large positive number.
    const double s = x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
    values[i] = static_cast<float>(s);
  }
}

std::vector<ClassScore> TopK(const std::vector<float>& scores, double threshold, uint32_t topK) {
  std::vector<ClassScore> top;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (static_cast<double>(scores[i]) >= threshold) {
      top.push_back(ClassScore{static_cast<int64_t>(i), scores[i]});
    }
  }
  auto better = [](const ClassScore& a, const ClassScore& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  if (topK > 0 && top.size() > topK) {
    std::partial_sort(top.begin(), top.begin() + topK, top.end(), better);
    top.resize(topK);
  } else {
    std::sort(top.begin(), top.end(), better);
  }
  return top;
}

ImageScores Postprocess(const std::vector<const FloatTensor*>& tensors, int64_t row,
                        const PostprocessSpec& spec) {
  ImageScores result;
  if (spec.reduce == Reduce::kNone) {
    for (const FloatTensor* t : tensors) {
      if (t->shape.empty() || t->shape[0] <= row) {
        throw NativeError(code::kUnsupportedModel, "output '" + t->name + "' has shape " +
                                                       ShapeString(t->shape) +
                                                       "; expected [batch, classes...]");
      }
      const size_t perRow = t->data.size() / static_cast<size_t>(t->shape[0]);
      const float* begin = t->data.data() + perRow * static_cast<size_t>(row);
      result.scores.insert(result.scores.end(), begin, begin + perRow);
    }
    Activate(result.scores.data(), result.scores.size(), spec.activation);
  } else {
    int64_t classes = -1;
    std::vector<float> position;
    for (const FloatTensor* t : tensors) {
      // [batch, positions..., classes]: a heatmap [batch, h, w, classes] is h*w positions.
      if (t->shape.size() < 3 || t->shape[0] <= row ||
          (classes >= 0 && t->shape.back() != classes)) {
        throw NativeError(code::kUnsupportedModel,
                          "reduce 'max' needs outputs shaped [batch, positions..., classes] with "
                          "the same classes; output '" + t->name + "' has shape " +
                              ShapeString(t->shape));
      }
      if (classes < 0) {
        classes = t->shape.back();
        result.scores.assign(static_cast<size_t>(classes), -std::numeric_limits<float>::infinity());
      }
      size_t positions = 1;
      for (size_t d = 1; d + 1 < t->shape.size(); ++d) positions *= static_cast<size_t>(t->shape[d]);
      const size_t n = static_cast<size_t>(classes);
      const float* base = t->data.data() + static_cast<size_t>(row) * positions * n;
      for (size_t p = 0; p < positions; ++p) {
        position.assign(base + p * n, base + (p + 1) * n);
        Activate(position.data(), n, spec.activation);
        for (size_t c = 0; c < n; ++c) result.scores[c] = std::max(result.scores[c], position[c]);
      }
    }
  }
  result.top = TopK(result.scores, spec.threshold, spec.topK);
  return result;
}

}  // namespace imlage
