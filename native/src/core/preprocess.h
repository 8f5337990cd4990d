// Image preprocessing: packed uint8 HWC pixels -> float32 model input.
// Reproduces TF.js's CPU kernels bit for bit (see preprocess.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace imlage {

enum class ResizeMode { kNone, kBilinear, kBilinearAlignCorners, kBilinearHalfPixel };

struct PreprocessSpec {
  int64_t width = 0;   // model input width
  int64_t height = 0;  // model input height
  bool nchw = true;    // else NHWC
  bool bgr = false;    // else RGB
  ResizeMode resize = ResizeMode::kNone;
  bool normalizeFirst = false;
  double scale = 1.0;
  // Indexed by the model's channel order (after any RGB->BGR swap).
  double mean[3] = {0, 0, 0};
  double std[3] = {1, 1, 1};

  size_t OutputCount() const { return static_cast<size_t>(width * height * 3); }
};

// A borrowed view of an image's pixels.
struct ImageView {
  const uint8_t* data = nullptr;
  size_t length = 0;
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 0;
};

// Returns "" when the image can be preprocessed with spec, else why not.
std::string ValidateImage(const ImageView& image, const PreprocessSpec& spec);

// Writes spec.OutputCount() floats to out. Call ValidateImage first.
void Preprocess(const ImageView& image, const PreprocessSpec& spec, float* out);

}  // namespace imlage
