// Entry points that queue the addon's AsyncWorkers (JS thread). Each returns
// the worker's promise; argument errors throw synchronously (caller rejects).
#pragma once

#include <napi.h>

#include <memory>

#include "napi/js_args.h"
#include "ort/session.h"
#include "core/postprocess.h"
#include "core/preprocess.h"

namespace imlage {

class Addon;
class SessionWrap;

Napi::Promise QueueCreateSession(Addon& addon, const Napi::CallbackInfo& info);

// self is the session's JS object; it is referenced until the run settles.
Napi::Promise QueueRun(SessionWrap* wrap, Napi::Object self, std::shared_ptr<Session> session,
                       const Napi::CallbackInfo& info);
Napi::Promise QueueRunTensors(SessionWrap* wrap, Napi::Object self,
                              std::shared_ptr<Session> session, const Napi::CallbackInfo& info);

// What a run needs beyond its specs, checked against the model (JS thread;
// throws NativeError). Fills post.outputs with the first output when empty,
// and post.regions' input size from pre.
struct RunPlan {
  std::string inputName;
  int64_t fixedBatch = 0;  // 0: the model's batch dimension is dynamic
  // What Session::Run fetches: post.outputs first, then any tensor only
  // post.regions reads; regionTensors indexes it in post.regions->outputs order.
  std::vector<std::string> fetch;
  std::vector<size_t> regionTensors;
};
RunPlan PlanRun(const Session& session, const PreprocessSpec& pre, PostprocessSpec& post);

struct BatchTiming {
  double preprocessMs = 0;
  double inferenceMs = 0;
  double postprocessMs = 0;
};

// Any thread: preprocess, infer and postprocess images as one batch (or
// chunks of a fixed batch). Only each image's view and error are touched,
// never its JS reference. A malformed image fails alone (results[i].error);
// a failure of the whole batch throws NativeError.
void RunImages(const Session& session, const std::vector<HeldImage*>& images,
               const PreprocessSpec& pre, const PostprocessSpec& post, const RunPlan& plan,
               std::vector<ImageScores>& results, BatchTiming& timing);

// JS thread: one ImageResult / RunTiming object.
Napi::Object ScoresToJs(Napi::Env env, const ImageScores& r);
Napi::Object TimingToJs(Napi::Env env, const BatchTiming& t);

}  // namespace imlage
