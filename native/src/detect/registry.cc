// The detection heads imlage knows, by the name a manifest gives in
// [output.regions] decoder. A new head is a Decoder function and a line here.
#include <algorithm>
#include <array>
#include <utility>

#include "detect/detect.h"
#include "detect/heads.h"
#include "core/errors.h"

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
    // The best kMaxCandidates in linear time. Ties are broken as Nms breaks
    // them (lower label, then earlier candidate), so the cut is deterministic,
    // and the survivors keep their order for Nms's stable sort.
    std::vector<uint32_t> order(candidates.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::nth_element(order.begin(), order.begin() + kMaxCandidates, order.end(), [&](uint32_t a, uint32_t b) {
      const Detection& da = candidates[a];
      const Detection& db = candidates[b];
      if (da.score != db.score) return da.score > db.score;
      return da.label != db.label ? da.label < db.label : a < b;
    });
    order.resize(kMaxCandidates);
    std::sort(order.begin(), order.end());
    std::vector<Detection> best;
    best.reserve(kMaxCandidates);
    for (uint32_t i : order) best.push_back(candidates[i]);
    candidates = std::move(best);
  }
  return Nms(std::move(candidates), spec.iou, spec.maxDetections, spec.perClass);
}

}  // namespace imlage
