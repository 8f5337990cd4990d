// addon.submitEncoded(bytes, targets, opts) (issue #9): an encoded image
// (JPEG or PNG) decoded once on the addon's decode pool at the largest size
// its consumers need and handed straight to each target session's batch
// queue; the pixels never cross into JS. See src/binding/types.ts for the
// JS contract.
#pragma once

#include <napi.h>

namespace imlage {

class Addon;

// JS thread. Throws NativeError / TypeError for bad arguments, before any
// request exists; every promise it returns settles.
Napi::Value SubmitEncoded(Addon& addon, const Napi::CallbackInfo& info);

}  // namespace imlage
