// Detection heads: a detector's output tensors -> regions (label, score, box),
// then non-maximum suppression. Each model family's head is a Decoder,
// registered by name (the manifest's [output.regions] decoder); the result
// contract's `regions` and the SMI's region table carry what comes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ort/session.h"

namespace imlage {

// Top-left corner and size, as fractions (0..1) of the model's input. The
// model sees the whole image stretched to its input, so the engine maps a box
// to original-image pixels by multiplying by the image's width and height.
struct Box {
  float x = 0, y = 0, w = 0, h = 0;
};

struct Detection {
  int32_t label = 0;  // class index, in the manifest's label order
  float score = 0;
  Box box;
};

struct DetectSpec {
  std::string decoder;               // a registered Decoder's name
  std::vector<std::string> outputs;  // the tensors the decoder reads, in its order
  float scoreThreshold = 0.3f;       // candidates under this are never boxed
  float iou = 0.5f;                  // NMS: a box overlapping a better one more than this is dropped
  uint32_t maxDetections = 100;      // after NMS, best first
  bool perClass = true;              // NMS within each class (true) or across all (false)
  int64_t inputWidth = 0, inputHeight = 0;
};

// Decodes batch row `row` of `tensors` (ordered as spec.outputs) into
// candidates at or above spec.scoreThreshold; NMS runs after. Throws
// NativeError(IMLAGE_ERR_UNSUPPORTED_MODEL) on shapes it cannot read.
using Decoder = std::vector<Detection> (*)(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                           const DetectSpec& spec);

// nullptr when no decoder has that name.
Decoder FindDecoder(std::string_view name);
// The registered names, for error messages.
std::vector<std::string> DecoderNames();

// Batch row `row` through spec.decoder, then Nms; the best kMaxCandidates
// candidates at most go to Nms, which bounds its work whatever the threshold.
// Throws NativeError(IMLAGE_ERR_UNSUPPORTED_MODEL) for an unknown decoder.
inline constexpr size_t kMaxCandidates = 4096;
std::vector<Detection> Detect(const std::vector<const FloatTensor*>& tensors, int64_t row, const DetectSpec& spec);

// Intersection over union of two boxes; 0 when either is empty.
float Iou(const Box& a, const Box& b);

// Greedy NMS: best score first (ties: lower label, then earlier candidate),
// drops each box whose IoU with a kept one (of the same label when perClass)
// exceeds iou, keeps at most maxDetections. Stable and deterministic.
std::vector<Detection> Nms(std::vector<Detection> candidates, float iou, uint32_t maxDetections, bool perClass);

}  // namespace imlage
