// Postprocessing: model outputs -> per-image class scores and top-k.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "detect/detect.h"
#include "ort/session.h"

namespace imlage {

enum class Activation { kNone, kSoftmax, kSigmoid };
enum class Reduce { kNone, kMax };

struct PostprocessSpec {
  std::vector<std::string> outputs;
  Activation activation = Activation::kNone;
  Reduce reduce = Reduce::kNone;
  double threshold = 0;
  uint32_t topK = 0;  // 0 = no limit
  // [output.regions] of a detector: its boxes too, from its own tensors (RunPlan.fetch).
  std::optional<DetectSpec> regions;
};

struct ClassScore {
  int64_t index;
  float score;
};

struct ImageScores {
  std::vector<float> scores;
  std::vector<ClassScore> top;
  std::vector<Detection> regions;  // after NMS, best first; empty without spec.regions
  std::string error;
};

// Computes scores for batch row `row` from tensors (ordered as spec.outputs).
//  reduce 'none': each tensor is [batch, ...]; a row's values are its classes,
//    concatenated across tensors; activation applies over the concatenation.
//  reduce 'max':  each tensor is [batch, positions..., classes] (same classes);
//    activation applies per position over classes, then each class takes its
//    maximum over all positions of all tensors.
// Throws NativeError(IMLAGE_ERR_UNSUPPORTED_MODEL) on incompatible shapes.
ImageScores Postprocess(const std::vector<const FloatTensor*>& tensors, int64_t row,
                        const PostprocessSpec& spec);

// Numerically stable softmax / logistic sigmoid, in place (double math, float result).
void Softmax(float* values, size_t count);
void Sigmoid(float* values, size_t count);

// Indices with score >= threshold, best first (ties: lower index first), at most topK.
std::vector<ClassScore> TopK(const std::vector<float>& scores, double threshold, uint32_t topK);

}  // namespace imlage
