// The detection heads registry.cc lists, one Decoder each (see detect.h).
#pragma once

#include "detect/detect.h"

namespace imlage {

// NanoDet GFL (nanodet.cc). outputs: per level, its class map then its box map.
std::vector<Detection> DecodeNanoDet(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                     const DetectSpec& spec);

}  // namespace imlage
