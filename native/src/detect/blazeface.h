// The BlazeFace head (registered as "blazeface"): see blazeface.cc for the
// anchors and the box encoding it reads.
#pragma once

#include "detect/detect.h"

namespace imlage {

// A Decoder. Reads either one [batch, 896, 5+] tensor (score logit, then x, y,
// w, h, then keypoints) or (scores [batch, n, 1], regressors [batch, n, 4+])
// pairs, one pair per anchor grid, whose n add up to 896. Every face is label 0.
std::vector<Detection> DecodeBlazeFace(const std::vector<const FloatTensor*>& tensors, int64_t row,
                                       const DetectSpec& spec);

}  // namespace imlage
