// Reading JS arguments into native structs (JS thread only). Invalid
// arguments throw a TypeError with code IMLAGE_ERR_INVALID_ARG.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ort/session.h"
#include "core/postprocess.h"
#include "core/preprocess.h"

namespace imlage {

// An ImageInput whose pixels are either borrowed (the Uint8Array is kept
// alive by a reference until the holder is destroyed, on the JS thread; the
// caller checks IsDetached(data) before trusting what it read) or copied
// (view points into `owned`; nothing JS is held). `error` is set when the JS
// object itself is malformed; such an image fails alone.
struct HeldImage {
  ImageView view;
  std::string error;
  Napi::ObjectReference data;  // the borrowed Uint8Array; empty when copied or on error
  std::vector<uint8_t> owned;  // the copied pixels
  // image.originalWidth / originalHeight: the size before the caller resized
  // it (0 = not given).
  uint32_t originalWidth = 0;
  uint32_t originalHeight = 0;
};

enum class PixelCopy { kBorrow, kCopy };

HeldImage ReadImage(const Napi::Value& value, PixelCopy copy = PixelCopy::kBorrow);
std::vector<HeldImage> ReadImages(const Napi::Value& value, PixelCopy copy = PixelCopy::kBorrow);
PreprocessSpec ReadPreprocessSpec(const Napi::Value& value);
PostprocessSpec ReadPostprocessSpec(const Napi::Value& value);
SessionConfig ReadSessionConfig(const Napi::Value& value);

// options.borrowPixels (default false): the caller promises not to transfer
// or free the pixels until the call settles, so they are read in place
// instead of copied. Anything but true or undefined is refused.
bool ReadBorrow(const Napi::Object& options);

// True when the typed array held by ref has had its ArrayBuffer detached.
bool IsDetached(const Napi::ObjectReference& ref);

}  // namespace imlage
