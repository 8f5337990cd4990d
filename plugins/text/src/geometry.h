// Box geometry for DB text detection: connected components of the
// thresholded probability map, their expansion ("unclip"), reading order,
// and cropping a box out of the image.
#pragma once

#include <vector>

#include "common.h"

namespace imlage_text {

struct DetParams {
  int limit_side = 960;       // the longer side is shrunk to at most this
  float thresh = 0.3f;        // probability map binarisation
  float box_thresh = 0.6f;    // minimum mean probability inside a box
  float unclip_ratio = 1.6f;  // DB expansion: offset = area * ratio / perimeter
  int max_candidates = 1000;
  float min_size = 3.0f;      // drop boxes whose short side is smaller (map pixels)
};

// Boxes (map coordinates) of the 8-connected components of prob > thresh,
// scored with the mean probability inside each component's bounding box,
// filtered and expanded as DBNet's post-processing does.
std::vector<Box> ComponentBoxes(const float* prob, int width, int height, const DetParams& p);

// Top-to-bottom, then left-to-right for boxes on about the same line.
void SortReadingOrder(std::vector<Box>* boxes);

// The box's pixels, clipped to the image; rotated 90 degrees counter-
// clockwise when it is much taller than wide (vertical text), as PaddleOCR does.
BgrImage Crop(const BgrImage& image, const Box& box);

}  // namespace imlage_text
