// The JS side of detection heads (JS thread only): postprocess.regions read
// into a DetectSpec, detections written back, the decoder names listed.
#pragma once

#include <napi.h>

#include <optional>
#include <string>
#include <vector>

#include "detect/detect.h"

namespace imlage {

// postprocess.regions: undefined -> no regions; else
// {decoder, outputs, threshold, iou, maxDetections, perClass}. An unknown
// decoder or a bad field throws a TypeError (IMLAGE_ERR_INVALID_ARG) naming it.
// inputWidth/Height are left for PlanRun, which knows the preprocess spec.
std::optional<DetectSpec> ReadDetectSpec(const Napi::Value& value);

// Every field of the spec, for batching only equal specs together ("" for none).
std::string DetectSpecKey(const std::optional<DetectSpec>& spec);

// [{label, score, box: [x, y, w, h]}], the box in fractions of the model input.
Napi::Array DetectionsToJs(Napi::Env env, const std::vector<Detection>& detections);

// addon.detectDecoders(): the registered decoder names.
Napi::Value DetectDecoders(const Napi::CallbackInfo& info);

}  // namespace imlage
