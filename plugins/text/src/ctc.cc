#include "ctc.h"

#include <fstream>

namespace imlage_text {

void Charset::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SMI_ERROR_NOT_FOUND, "cannot read the character list " + path);
  chars_.assign(1, std::string());  // blank
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    chars_.push_back(line);
  }
  chars_.push_back(" ");
}

namespace {

std::string Trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t a = s.find_first_not_of(ws);
  if (a == std::string::npos) return std::string();
  return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

}  // namespace

Line CtcGreedy(const float* probs, size_t steps, size_t classes, const Charset& charset) {
  Line line;
  std::string text;
  double sum = 0;
  size_t kept = 0;
  size_t prev = 0;
  for (size_t t = 0; t < steps; ++t) {
    const float* row = probs + t * classes;
    size_t best = 0;
    for (size_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    if (best != 0 && best != prev && best < charset.size()) {
      text += charset[best];
      sum += row[best];
      ++kept;
    }
    prev = best;
  }
  line.text = Trim(text);
  line.score = kept ? static_cast<float>(sum / kept) : 0.0f;
  return line;
}

}  // namespace imlage_text
