// Why the requests exist before the decode: each target's promise and its
// queue's pending count are made on the JS thread at the call (a decode
// thread may touch nothing of JS), so the batch queue knows an image is
// coming and its session's (or plugin's) close() waits for it. The decode thread fills
// each request's pixels and enqueues it; a decode that fails hands the
// requests back to the JS thread, which rejects them with the file's error.
#include "napi/submit_encoded.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "napi/addon.h"
#include "core/batch_queue.h"
#include "core/compiled_spec.h"
#include "decode/decode.h"
#include "decode/decode_pool.h"
#include "decode/encoded_bytes.h"
#include "core/errors.h"
#include "smi/plugin_runner.h"
#include "napi/plugin_wrap.h"
#include "napi/session_wrap.h"

namespace imlage {
namespace {

using decode::EncodedBytes;
using decode::Image;
using decode::Result;
using decode::Size;
using decode::Status;
using Clock = std::chrono::steady_clock;

constexpr const char* kWhat = "submitEncoded";

struct Target {
  Size size;
  BatchQueue* queue = nullptr;
  std::unique_ptr<BatchQueue::Request> request;  // null once enqueued
};

class EncodedTask final : public decode::DecodeTask {
 public:
  explicit EncodedTask(Napi::Promise::Deferred d) : decoded(std::move(d)) {}

  void Work() override {
    const auto t0 = Clock::now();
    // One decode, every size cut from it; each distinct size once.
    std::vector<Size> sizes;
    auto index = [&](Size s) {
      for (size_t i = 0; i < sizes.size(); ++i) {
        if (sizes[i].width == s.width && sizes[i].height == s.height) return i;
      }
      sizes.push_back(s);
      return sizes.size() - 1;
    };
    std::vector<size_t> ofTarget;
    std::vector<size_t> ofPixels;
    for (const Target& t : targets) ofTarget.push_back(index(t.size));
    for (const Size& s : pixelSizes) ofPixels.push_back(index(s));
    std::vector<Image> images;
    try {
      result = decode::DecodeToSizes(bytes.data(), bytes.size(), sizes, orientation, limits, &images);
    } catch (const std::bad_alloc&) {
      result = {Status::kTooLarge, "not enough memory to decode it"};
    }
    bytes.Release();
    if (result.status != Status::kOk) return;
    std::vector<std::shared_ptr<const Image>> shared;
    for (Image& img : images) shared.push_back(std::make_shared<const Image>(std::move(img)));
    for (size_t i : ofPixels) pixels.push_back(shared[i]);
    decodeMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::shared_ptr<const Image>& img = shared[ofTarget[i]];
      BatchQueue::Request& r = *targets[i].request;
      r.image.view = ImageView{img->pixels.data(), img->pixels.size(), img->width, img->height, 3};
      r.pixelOwner = img;
      targets[i].queue->Enqueue(std::move(targets[i].request));
    }
  }

  void Done(Napi::Env env) override {
    if (result.status != Status::kOk) {
      Napi::Error error = decode::DecodeError(env, result);
      decoded.Reject(error.Value());
      FailTargets(env, error);
      return;
    }
    Napi::Array images = Napi::Array::New(env, pixels.size());
    for (size_t i = 0; i < pixels.size(); ++i) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("data", Napi::Buffer<uint8_t>::Copy(env, pixels[i]->pixels.data(), pixels[i]->pixels.size()));
      out.Set("width", pixels[i]->width);
      out.Set("height", pixels[i]->height);
      out.Set("channels", 3);
      images.Set(static_cast<uint32_t>(i), out);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("images", images);
    out.Set("decodeMs", decodeMs);
    decoded.Resolve(out);
  }

  // JS thread: every request not enqueued is rejected with error.
  void FailTargets(Napi::Env env, const Napi::Error& error) {
    for (Target& t : targets) {
      if (t.request) t.queue->Fail(env, std::move(t.request), error);
    }
  }

  EncodedBytes bytes;  // a copy: the JS buffer may be detached meanwhile
  int orientation = 1;
  std::vector<Target> targets;
  std::vector<Size> pixelSizes;  // sizes handed back to JS
  Napi::Promise::Deferred decoded;
  Result result;
  std::vector<std::shared_ptr<const Image>> pixels;
  double decodeMs = 0;

};

Size ReadSize(Napi::Env env, const Napi::Value& v, const std::string& what) {
  if (!v.IsObject()) ThrowTypeError(env, std::string(kWhat) + ": " + what + " must be an object {width, height}");
  Napi::Object o = v.As<Napi::Object>();
  Size s;
  const std::string prefix = std::string(kWhat) + ": " + what + ".";
  s.width = static_cast<int>(decode::ReadIntOption(env, o, prefix, "width", 1, 65535, NAN));
  s.height = static_cast<int>(decode::ReadIntOption(env, o, prefix, "height", 1, 65535, NAN));
  return s;
}

// A target: a session's compiled spec, or an SMI plugin with the models the
// image runs through (and the picture's size as shown, which the plugin is
// told: SMI 1.1's original size).
struct EncodedConsumer {
  Size size;
  SpecWrap* spec = nullptr;
  PluginWrap* plugin = nullptr;
  Napi::Object pluginObject;
  std::shared_ptr<const std::vector<std::string>> models;
  uint32_t originalWidth = 0;
  uint32_t originalHeight = 0;

  // JS thread: r's plan from this target, and its promise from the target's queue.
  Napi::Promise Expect(BatchQueue::Request& r, BatchQueue** queue) const {
    if (spec != nullptr) {
      r.spec = spec->spec();
      r.key = r.spec->key;
      return spec->session()->Expect(spec->sessionObject(), r, queue);
    }
    r.models = models;
    r.key = ModelsKey(*models);
    r.image.originalWidth = originalWidth;
    r.image.originalHeight = originalHeight;
    return plugin->Expect(pluginObject, r, queue);
  }
};

EncodedConsumer ReadConsumer(Napi::Env env, const Napi::Value& t, const std::string& what) {
  if (!t.IsObject()) {
    ThrowTypeError(env, std::string(kWhat) + ": " + what + " must be {spec, width, height} or {plugin, models, width, height}");
  }
  Napi::Object o = t.As<Napi::Object>();
  EncodedConsumer c;
  c.size = ReadSize(env, t, what);
  Napi::Value plugin = o.Get("plugin");
  if (plugin.IsUndefined()) {
    c.spec = SpecWrap::From(o.Get("spec"), (std::string(kWhat) + ": " + what + ".spec").c_str());
    c.spec->session()->ThrowIfClosed();
    return c;
  }
  Napi::FunctionReference& ctor = env.GetInstanceData<Addon>()->pluginConstructor;
  if (!plugin.IsObject() || !plugin.As<Napi::Object>().InstanceOf(ctor.Value())) {
    ThrowTypeError(env, std::string(kWhat) + ": " + what + ".plugin must be a plugin from loadPlugin()");
  }
  c.pluginObject = plugin.As<Napi::Object>();
  c.plugin = PluginWrap::Unwrap(c.pluginObject);
  c.models = ReadModelIds(o.Get("models"), std::string(kWhat) + ": " + what + ".models");
  const std::string prefix = std::string(kWhat) + ": " + what + ".";
  c.originalWidth = static_cast<uint32_t>(decode::ReadIntOption(env, o, prefix, "originalWidth", 0, 1 << 30, 0));
  c.originalHeight = static_cast<uint32_t>(decode::ReadIntOption(env, o, prefix, "originalHeight", 0, 1 << 30, 0));
  return c;
}

}  // namespace

Napi::Value SubmitEncoded(Addon& addon, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsArray() || !info[2].IsObject()) {
    ThrowTypeError(env, "submitEncoded(bytes, targets, opts) needs a Uint8Array, an array and an options object");
  }
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != napi_uint8_array) ThrowTypeError(env, "submitEncoded: bytes must be a Uint8Array");
  Napi::Array list = info[1].As<Napi::Array>();
  Napi::Object opts = info[2].As<Napi::Object>();

  // Everything that can refuse is read before any request exists.
  std::vector<EncodedConsumer> read;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    read.push_back(ReadConsumer(env, list.Get(i), "targets[" + std::to_string(i) + "]"));
  }
  std::vector<Size> pixelSizes;
  Napi::Value px = opts.Get("pixels");
  if (!px.IsUndefined()) {
    if (!px.IsArray()) ThrowTypeError(env, std::string(kWhat) + ": opts.pixels must be an array of {width, height}");
    Napi::Array sizes = px.As<Napi::Array>();
    for (uint32_t i = 0; i < sizes.Length(); ++i) {
      pixelSizes.push_back(ReadSize(env, sizes.Get(i), "opts.pixels[" + std::to_string(i) + "]"));
    }
  }
  if (read.empty() && pixelSizes.empty()) {
    ThrowTypeError(env, "submitEncoded: nothing to do (no targets and no opts.pixels)");
  }
  size_t maxBatch = 1;
  double maxDelayMs = 0;
  if (!read.empty()) ReadBatchOptions(opts, &maxBatch, &maxDelayMs);
  auto task = std::make_unique<EncodedTask>(Napi::Promise::Deferred::New(env));
  task->orientation = static_cast<int>(decode::ReadIntOption(env, opts, std::string(kWhat) + ": opts.", "orientation", 1, 8, 1));
  task->pixelSizes = std::move(pixelSizes);
  const uint8_t* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (arr.ByteLength() > 0 && data == nullptr) throw NativeError(code::kDetached, "submitEncoded: the bytes' buffer is detached");
  addon.decodePool.ThrowIfRefused();
  // Last, as it registers a listener on the signal.
  task->ReadLimits(env, opts, kWhat);
  task->bytes.Assign(data, arr.ByteLength());

  Napi::Array results = Napi::Array::New(env, read.size());
  try {
    for (size_t i = 0; i < read.size(); ++i) {
      Target t;
      t.size = read[i].size;
      t.request = std::make_unique<BatchQueue::Request>(HeldImage(), Napi::Promise::Deferred::New(env));
      t.request->maxBatch = maxBatch;
      t.request->maxDelayMs = maxDelayMs;
      results.Set(static_cast<uint32_t>(i), read[i].Expect(*t.request, &t.queue));
      task->targets.push_back(std::move(t));
    }
  } catch (const NativeError& e) {
    // The promises made so far are in `results`, which the caller never sees: settle them quietly.
    task->FailTargets(env, MakeError(env, e));
    for (uint32_t i = 0; i < results.Length(); ++i) {
      Napi::Value p = results.Get(i);
      if (p.IsPromise()) p.As<Napi::Object>().Get("catch").As<Napi::Function>().Call(p, {Napi::Function::New(env, [](const Napi::CallbackInfo&) {})});
    }
    throw;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("decoded", task->decoded.Promise());
  out.Set("results", results);
  EncodedTask* raw = task.get();
  try {
    addon.decodePool.Queue(env, std::move(task));
  } catch (const NativeError& e) {
    // Not after ThrowIfRefused above, short of a failure to start the pool: fail every promise.
    Napi::Error error = MakeError(env, e);
    raw->decoded.Reject(error.Value());
    raw->FailTargets(env, error);
  }
  return out;
}

}  // namespace imlage
