// The detection heads imlage knows, by the name a manifest gives in
// [output.regions] decoder. A new head is a Decoder function and a line here.
#include <algorithm>
#include <array>
#include <utility>

#include "detect/detect.h"
#include "detect/heads.h"
#include "errors.h"

namespace imlage {
namespace {

struct Entry {
  std::string_view name;
  Decoder decode;
};

constexpr std::array<Entry, 2> kDecoders{{
    {"blazeface", DecodeBlazeFace},
    {"nanodet", DecodeNanoDet},
}};

}  // namespace

Decoder FindDecoder(std::string_view name) {
  for (const Entry& e : kDecoders) {
    if (e.name == name) return e.decode;
  }
  return nullptr;
}

std::vector<std::string> DecoderNames() {
  std::vector<std::string> names;
  for (const Entry& e : kDecoders) names.emplace_back(e.name);
  return names;
}

std::vector<Detection> Detect(const std::vector<const FloatTensor*>& tensors, int64_t row, const DetectSpec& spec) {
  const Decoder decode = FindDecoder(spec.decoder);
  if (decode == nullptr) {
    throw NativeError(code::kUnsupportedModel, "no detection head is named '" + spec.decoder + "'");
  }
  std::vector<Detection> candidates = decode(tensors, row, spec);
  if (candidates.size() > kMaxCandidates) {
    // Stable, with Nms's order, so which candidates survive the cut is deterministic.
    std::stable_sort(candidates.begin(), candidates.end(), [](const Detection& a, const Detection& b) {
      return a.score != b.score ? a.score > b.score : a.label < b.label;
    });
    candidates.resize(kMaxCandidates);
  }
  return Nms(std::move(candidates), spec.iou, spec.maxDetections, spec.perClass);
}

}  // namespace imlage
