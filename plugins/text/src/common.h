// Shared types of the text (OCR) plugin: an 8-bit BGR image (PaddleOCR's
// models were trained on OpenCV's BGR order), axis-aligned boxes, and the
// error type that the entry points in plugin.cc turn into an smi_status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "imlage/smi.h"

namespace imlage_text {

class Error : public std::runtime_error {
 public:
  Error(smi_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  smi_status status() const { return status_; }

 private:
  smi_status status_;
};

// Packed 8-bit BGR pixels, row-major.
struct BgrImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> data;  // width * height * 3

  const uint8_t* Pixel(int x, int y) const { return &data[(static_cast<size_t>(y) * width + x) * 3]; }
};

// An axis-aligned box in pixel coordinates (x1, y1 exclusive) with the mean
// detection probability inside it.
struct Box {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float score = 0;
};

// Converts any pixel format of an smi_image to BGR8 (alpha is dropped, gray
// is replicated). Throws Error(SMI_ERROR_INVALID_ARGUMENT) for a bad image.
BgrImage ToBgr(const smi_image& image);

// Bilinear resize with half-pixel centres (OpenCV INTER_LINEAR) of the
// region [x, x + w) x [y, y + h) of src to out_w x out_h; writes floats
// (channel-major planes, BGR) scaled as (v * scale - mean[c]) / std[c] into
// planes, whose row stride is plane_stride floats and plane size is
// plane_size floats.
void ResizeNormalize(const BgrImage& src, int x, int y, int w, int h, int out_w, int out_h,
                     float scale, const float mean[3], const float std[3], float* planes,
                     size_t plane_stride, size_t plane_size);

}  // namespace imlage_text
