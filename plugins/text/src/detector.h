// DB (differentiable binarisation) text detection, PP-OCRv4 det model.
#pragma once

#include <vector>

#include "common.h"
#include "geometry.h"
#include "session.h"

namespace imlage_text {

// Text boxes in image pixel coordinates, in reading order.
std::vector<Box> Detect(const Session& det, const BgrImage& image, const DetParams& p);

}  // namespace imlage_text
