// Checking and copying what a plugin wrote into an smi_image_result. The
// plugin's pointers are never trusted: NULL arrays, absurd counts, NULL or
// invalid-UTF-8 labels, non-finite or out-of-range scores and boxes turn
// into that image's error instead of crashing or lying to the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imlage/smi.h"

namespace imlage {

struct SmiTagOut {
  std::string label;
  float score = 0;
};

struct SmiTensorOut {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// A region with its box in the picture's own pixels (smi.h, smi_region).
struct SmiRegionOut {
  std::string label;
  float confidence = 0;
  double x = 0, y = 0, width = 0, height = 0;
};

struct SmiImageOutcome {
  std::vector<SmiTagOut> tags;
  std::vector<SmiTensorOut> outputs;
  std::vector<SmiRegionOut> regions;  // best first
  std::string error;  // set: this image failed; tags/outputs/regions are empty
};

// Copies a successful result for `image` (the one the plugin was given: its
// size clips the boxes, its original size scales them) into out, or sets
// out.error and leaves the rest empty.
void CopyResult(const smi_image_result& result, const smi_image& image, SmiImageOutcome& out);

// True when the n bytes at s are well-formed UTF-8 (no overlongs, surrogates
// or code points above U+10FFFF).
bool IsValidUtf8(const char* s, size_t n);

// "SMI_ERROR_NOT_FOUND", ... ("status 42" for unknown values).
std::string StatusName(int32_t status);

}  // namespace imlage
