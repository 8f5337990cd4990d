// Reading JS arguments into native structs (JS thread only). Invalid
// arguments throw a TypeError with code IMLAGE_ERR_INVALID_ARGUMENT.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ort/session.h"
#include "postprocess.h"
#include "preprocess.h"

namespace imlage {

// An ImageInput whose pixel buffer is kept alive by a reference until the
// holder is destroyed (on the JS thread). `error` is set when the JS object
// itself is malformed; such an image fails alone.
struct HeldImage {
  ImageView view;
  std::string error;
  Napi::ObjectReference data;  // the Uint8Array; empty when error is set
};

HeldImage ReadImage(const Napi::Value& value);
std::vector<HeldImage> ReadImages(const Napi::Value& value);
PreprocessSpec ReadPreprocessSpec(const Napi::Value& value);
PostprocessSpec ReadPostprocessSpec(const Napi::Value& value);
SessionConfig ReadSessionConfig(const Napi::Value& value);

// True when the typed array held by ref has had its ArrayBuffer detached.
bool IsDetached(const Napi::ObjectReference& ref);

}  // namespace imlage
