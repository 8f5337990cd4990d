// The detection heads registry.cc lists, one Decoder each (see detect.h).
#pragma once

#include "detect/detect.h"

namespace imlage {

// NanoDet GFL (nanodet.cc). outputs: per level, its class map then its box map.
std::vector<Detection> DecodeNanoDet(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                     const DetectSpec& spec);

// BlazeFace (blazeface.cc). outputs: one [batch, 896, 5+] tensor (score logit,
// then x, y, w, h, then keypoints), or (scores [batch, n, 1], regressors
// [batch, n, 4+]) pairs, one per anchor grid, whose n add up to 896. Every
// face is label 0.
std::vector<Detection> DecodeBlazeFace(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                       const DetectSpec& spec);

}  // namespace imlage
