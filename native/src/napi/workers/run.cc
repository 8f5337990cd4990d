// session.run(images, pre, post): preprocess, infer and postprocess a batch on
// a libuv worker thread.
//
// Input pixels are copied on the JS thread by default: a caller could
// transfer (detach) its buffer while the run is pending, and the memory would
// then belong to whoever received it, who may free it while the worker reads
// it; no check after the fact can make that read safe. With
// { borrowPixels: true } (what the engine passes: its pixel buffers never
// leave it) the worker holds a reference to each Uint8Array and reads it in
// place, the contract Node's own fs.read() and zlib follow; a run whose
// borrowed buffer was detached meanwhile is still rejected with
// IMLAGE_ERR_DETACHED rather than returning results computed from it.
#include <algorithm>
#include <chrono>
#include <cstring>

#include "napi/detect_js.h"
#include "core/errors.h"
#include "napi/js_args.h"
#include "core/postprocess.h"
#include "core/preprocess.h"
#include "napi/session_wrap.h"
#include "napi/workers/promise_worker.h"
#include "napi/workers/workers.h"

namespace imlage {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

class RunWorker : public PromiseWorker {
 public:
  RunWorker(Napi::Env env, SessionWrap* wrap, Napi::Object self, std::shared_ptr<Session> session)
      : PromiseWorker(env), wrap_(wrap), self_(Napi::Persistent(self)), session_(std::move(session)) {}

  std::vector<HeldImage> images;
  PreprocessSpec pre;
  PostprocessSpec post;
  RunPlan plan;

 protected:
  void Work() override {
    std::vector<HeldImage*> held;
    for (HeldImage& image : images) held.push_back(&image);
    RunImages(*session_, held, pre, post, plan, results_, timing_);
  }

  Napi::Value Result() override {
    Napi::Env env = Env();
    for (const HeldImage& image : images) {
      if (IsDetached(image.data)) {
        throw NativeError(code::kDetached,
                          "an image buffer was detached (transferred) while the run was in "
                          "progress; do not transfer buffers passed to run()");
      }
    }
    Napi::Array results = Napi::Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); ++i) {
      results.Set(static_cast<uint32_t>(i), ScoresToJs(env, results_[i]));
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("results", results);
    out.Set("timing", TimingToJs(env, timing_));
    return out;
  }

  void Settled() override {
    session_.reset();
    wrap_->RunSettled();
  }

 private:
  SessionWrap* wrap_;
  Napi::ObjectReference self_;  // keeps the session object (and wrap_) alive
  std::shared_ptr<Session> session_;
  std::vector<ImageScores> results_;
  BatchTiming timing_;
};

}  // namespace

void RunImages(const Session& session, const std::vector<HeldImage*>& images,
               const PreprocessSpec& pre, const PostprocessSpec& post, const RunPlan& plan,
               std::vector<ImageScores>& results, BatchTiming& timing) {
  results.assign(images.size(), ImageScores());
  std::vector<size_t> valid;
  for (size_t i = 0; i < images.size(); ++i) {
    if (images[i]->error.empty()) images[i]->error = ValidateImage(images[i]->view, pre);
    if (images[i]->error.empty()) {
      valid.push_back(i);
    } else {
      results[i].error = images[i]->error;
    }
  }
  const size_t perImage = pre.OutputCount();
  const size_t chunk = plan.fixedBatch > 0 ? static_cast<size_t>(plan.fixedBatch) : valid.size();
  // Leased once for the largest chunk; Preprocess writes every float of an
  // image's slot, so only padding rows need clearing in a reused buffer.
  HostBuffer batch = valid.empty() ? HostBuffer() : session.AcquireInput(chunk * perImage);
  for (size_t start = 0; start < valid.size(); start += chunk) {
    const size_t n = std::min(chunk, valid.size() - start);
    const size_t rows = plan.fixedBatch > 0 ? chunk : n;  // a fixed batch is zero-padded
    auto t0 = Clock::now();
    for (size_t k = 0; k < n; ++k) {
      Preprocess(images[valid[start + k]]->view, pre, batch.data() + k * perImage);
    }
    std::fill(batch.data() + n * perImage, batch.data() + rows * perImage, 0.0f);
    auto t1 = Clock::now();
    std::vector<int64_t> shape = pre.nchw
        ? std::vector<int64_t>{static_cast<int64_t>(rows), 3, pre.height, pre.width}
        : std::vector<int64_t>{static_cast<int64_t>(rows), pre.height, pre.width, 3};
    ValuePtr input = session.WrapInput(batch, rows * perImage, shape);
    std::vector<FloatTensor> outputs = session.Run({plan.inputName}, {input.get()}, plan.fetch);
    auto t2 = Clock::now();
    std::vector<const FloatTensor*> views, boxViews;
    for (size_t i = 0; i < post.outputs.size(); ++i) views.push_back(&outputs[i]);
    for (size_t i : plan.regionTensors) boxViews.push_back(&outputs[i]);
    for (size_t k = 0; k < n; ++k) {
      ImageScores& r = results[valid[start + k]];
      r = Postprocess(views, static_cast<int64_t>(k), post);
      if (post.regions) r.regions = Detect(boxViews, static_cast<int64_t>(k), *post.regions);
    }
    auto t3 = Clock::now();
    timing.preprocessMs += Ms(t0, t1);
    timing.inferenceMs += Ms(t1, t2);
    timing.postprocessMs += Ms(t2, t3);
  }
}

Napi::Object ScoresToJs(Napi::Env env, const ImageScores& r) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Float32Array scores = Napi::Float32Array::New(env, r.scores.size());
  if (!r.scores.empty()) {
    std::memcpy(scores.Data(), r.scores.data(), r.scores.size() * sizeof(float));
  }
  o.Set("scores", scores);
  Napi::Array top = Napi::Array::New(env, r.top.size());
  for (size_t k = 0; k < r.top.size(); ++k) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("index", Napi::Number::New(env, static_cast<double>(r.top[k].index)));
    entry.Set("score", Napi::Number::New(env, r.top[k].score));
    top.Set(static_cast<uint32_t>(k), entry);
  }
  o.Set("top", top);
  if (!r.regions.empty()) o.Set("regions", DetectionsToJs(env, r.regions));
  if (!r.error.empty()) o.Set("error", r.error);
  return o;
}

Napi::Object TimingToJs(Napi::Env env, const BatchTiming& t) {
  Napi::Object timing = Napi::Object::New(env);
  timing.Set("preprocessMs", t.preprocessMs);
  timing.Set("inferenceMs", t.inferenceMs);
  timing.Set("postprocessMs", t.postprocessMs);
  return timing;
}

RunPlan PlanRun(const Session& session, const PreprocessSpec& pre, PostprocessSpec& post) {
  if (session.inputs().empty()) {
    throw NativeError(code::kUnsupportedModel, "the model has no inputs");
  }
  const TensorMeta& input = session.inputs()[0];
  const auto& s = input.shape;
  const bool rank4 = s.size() == 4;
  auto fits = [](int64_t dim, int64_t want) { return dim < 0 || dim == want; };
  const bool shapeOk = rank4 && (pre.nchw ? fits(s[1], 3) && fits(s[2], pre.height) && fits(s[3], pre.width)
                                          : fits(s[1], pre.height) && fits(s[2], pre.width) && fits(s[3], 3));
  if (input.type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || !shapeOk) {
    throw NativeError(code::kInvalidArg,
                      "model input '" + input.name + "' is " + ElementTypeName(input.type) + " " +
                          ShapeString(s) + "; the preprocess spec produces float32 " +
                          (pre.nchw ? "[N,3," + std::to_string(pre.height) + "," + std::to_string(pre.width) + "]"
                                    : "[N," + std::to_string(pre.height) + "," + std::to_string(pre.width) + ",3]"));
  }
  if (post.outputs.empty()) {
    if (session.outputs().empty()) throw NativeError(code::kUnsupportedModel, "the model has no outputs");
    post.outputs.push_back(session.outputs()[0].name);
  }
  auto requireOutput = [&](const std::string& name, const char* key) {
    bool found = false;
    for (const auto& o : session.outputs()) found = found || o.name == name;
    if (!found) {
      std::string names;
      for (const auto& o : session.outputs()) names += (names.empty() ? "" : ", ") + o.name;
      throw NativeError(code::kInvalidArg,
                        std::string(key) + " names '" + name + "', but the model's outputs are: " + names);
    }
  };
  for (const std::string& name : post.outputs) requireOutput(name, "postprocess.outputs");
  RunPlan plan;
  plan.inputName = input.name;
  plan.fixedBatch = s[0] > 0 ? s[0] : 0;
  plan.fetch = post.outputs;
  if (post.regions) {
    post.regions->inputWidth = pre.width;
    post.regions->inputHeight = pre.height;
    for (const std::string& name : post.regions->outputs) {
      requireOutput(name, "postprocess.regions.outputs");
      const auto at = std::find(plan.fetch.begin(), plan.fetch.end(), name);
      plan.regionTensors.push_back(static_cast<size_t>(at - plan.fetch.begin()));
      if (at == plan.fetch.end()) plan.fetch.push_back(name);
    }
  }
  return plan;
}

Napi::Promise QueueRun(SessionWrap* wrap, Napi::Object self, std::shared_ptr<Session> session,
                       const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // run(images, pre, post, { borrowPixels }?): copied unless the caller promises the pixels stay put.
  const bool borrow = info.Length() > 3 && info[3].IsObject() && ReadBorrow(info[3].As<Napi::Object>());
  std::vector<HeldImage> images = ReadImages(info[0], borrow ? PixelCopy::kBorrow : PixelCopy::kCopy);
  PreprocessSpec pre = ReadPreprocessSpec(info[1]);
  PostprocessSpec post = ReadPostprocessSpec(info[2]);
  RunPlan plan = PlanRun(*session, pre, post);

  auto* worker = new RunWorker(env, wrap, self, std::move(session));
  worker->images = std::move(images);
  worker->pre = pre;
  worker->post = std::move(post);
  worker->plan = std::move(plan);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace imlage
