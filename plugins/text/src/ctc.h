// The recognition alphabet (ppocr_keys_v1.txt) and CTC greedy decoding.
#pragma once

#include <string>
#include <vector>

#include "common.h"

namespace imlage_text {

// Class i of the recognition model: 0 is the CTC blank, 1..n the lines of
// the keys file in order, n + 1 a space (PaddleOCR's use_space_char).
class Charset {
 public:
  // Throws Error(SMI_ERROR_NOT_FOUND) if the file cannot be read.
  void Load(const std::string& path);
  size_t size() const { return chars_.size(); }
  const std::string& operator[](size_t i) const { return chars_[i]; }

 private:
  std::vector<std::string> chars_;
};

struct Line {
  std::string text;  // UTF-8, trimmed
  float score = 0;   // mean probability of the kept characters
};

// Greedy CTC over probs[T][classes] (softmax output): argmax per step,
// repeats collapsed, blanks dropped.
Line CtcGreedy(const float* probs, size_t steps, size_t classes, const Charset& charset);

}  // namespace imlage_text
