// The detection heads imlage knows, by the name a manifest gives in
// [output.regions] decoder. A new head is a Decoder function and a line here.
#include <array>
#include <utility>

#include "detect/blazeface.h"
#include "detect/detect.h"

namespace imlage {
namespace {

struct Entry {
  std::string_view name;
  Decoder decode;
};

constexpr std::array<Entry, 1> kDecoders{{
    {"blazeface", DecodeBlazeFace},
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

}  // namespace imlage
