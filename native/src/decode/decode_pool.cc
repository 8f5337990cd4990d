#include "decode/decode_pool.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "decode/encoded_bytes.h"
#include "core/errors.h"

namespace imlage::decode {

double ReadIntOption(Napi::Env env, const Napi::Object& opts, const std::string& prefix, const char* name, double min,
                     double max, double fallback) {
  Napi::Value v = opts.Get(name);
  if (v.IsUndefined()) {
    if (std::isnan(fallback)) ThrowTypeError(env, prefix + name + " is required");
    return fallback;
  }
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    ThrowTypeError(env, prefix + name + " must be an integer from " +
                            std::to_string(static_cast<long long>(min)) + " to " +
                            std::to_string(static_cast<long long>(max)));
  }
  return d;
}

const char* Reason(Status s) {
  switch (s) {
    case Status::kUnsupported: return "unsupported";
    case Status::kCorrupt: return "corrupt";
    case Status::kTooLarge: return "too-large";
    case Status::kTimedOut: return "timed-out";
    case Status::kOk: break;
  }
  return "ok";
}

Napi::Error DecodeError(Napi::Env env, const Result& r) {
  Napi::Error e = MakeError(env, code::kDecode, r.message.empty() ? Reason(r.status) : r.message);
  e.Set("reason", Reason(r.status));
  return e;
}

void DecodeTask::ReadLimits(Napi::Env env, const Napi::Object& opts, const char* what) {
  const std::string prefix = std::string(what) + ": opts.";
  limits.max_pixels = static_cast<uint64_t>(ReadIntOption(env, opts, prefix, "maxPixels", 1, 9007199254740991.0, 100'000'000));
  limits.max_scans = static_cast<int>(ReadIntOption(env, opts, prefix, "maxScans", 1, 1'000'000, 100));
  const double timeoutMs = ReadIntOption(env, opts, prefix, "timeoutMs", 1, 24.0 * 3600 * 1000, 30'000);
  limits.deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                           std::chrono::duration<double, std::milli>(timeoutMs));
  Napi::Value signal = opts.Get("signal");
  if (signal.IsUndefined()) return;
  if (!signal.IsObject() || !signal.As<Napi::Object>().Get("addEventListener").IsFunction()) {
    ThrowTypeError(env, std::string(what) + ": opts.signal must be an AbortSignal");
  }
  Napi::Object s = signal.As<Napi::Object>();
  if (s.Get("aborted").ToBoolean()) cancel->store(true);
  std::shared_ptr<std::atomic<bool>> flag = cancel;
  Napi::Function onAbort = Napi::Function::New(env, [flag](const Napi::CallbackInfo&) { flag->store(true); }, "onAbort");
  Napi::Object once = Napi::Object::New(env);
  once.Set("once", true);
  s.Get("addEventListener").As<Napi::Function>().Call(s, {Napi::String::New(env, "abort"), onAbort, once});
}

namespace {

// decodeToSize(bytes, opts): the pixels back to JS.
class ToSizeTask final : public DecodeTask {
 public:
  explicit ToSizeTask(Napi::Promise::Deferred d) : deferred(std::move(d)) {}

  void Work() override {
    try {
      result = shrinkOnly ? DecodeAtLeast(bytes.data(), bytes.size(), width, height, orientation, limits, &image)
                          : DecodeToSize(bytes.data(), bytes.size(), width, height, orientation, limits, &image);
    } catch (const std::bad_alloc&) {
      result = {Status::kTooLarge, "not enough memory to decode it"};
    }
    bytes.Release();
  }

  void Done(Napi::Env env) override {
    if (result.status != Status::kOk) {
      deferred.Reject(DecodeError(env, result).Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<uint8_t>::Copy(env, image.pixels.data(), image.pixels.size()));
    out.Set("width", image.width);
    out.Set("height", image.height);
    out.Set("channels", 3);
    deferred.Resolve(out);
  }

  EncodedBytes bytes;  // a copy: the JS buffer may be detached meanwhile
  int width = 0;
  int height = 0;
  int orientation = 1;
  bool shrinkOnly = false;
  Napi::Promise::Deferred deferred;  // settled on the JS thread only
  Image image;
  Result result;
};

}  // namespace

DecodePool::DecodePool() = default;

DecodePool::~DecodePool() {
  Shutdown();
  if (hookAdded_) napi_remove_env_cleanup_hook(env_, &DecodePool::CleanupHook, this);
}

void DecodePool::CleanupHook(void* arg) {
  auto* self = static_cast<DecodePool*>(arg);
  self->hookAdded_ = false;  // napi removes a hook once it has run
  self->Shutdown();
}

void DecodePool::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (DecodeTask* t : running_) t->cancel->store(true);
    queue_.clear();  // dropped undone: the environment is going away
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Tasks still in the TSFN's queue are deleted by CallJs with a null env when it is finalized.
  if (started_) tsfn_.Release();
  started_ = false;
}

void DecodePool::Start(Napi::Env env) {
  env_ = env;
  tsfn_ = Tsfn::New(env, "imlage.decode", 0, 1, this);
  tsfn_.Unref(env);
  started_ = true;
  // Registered after the TSFN's own hook, so it runs first (hooks run in
  // reverse order): the threads are joined while the TSFN still exists.
  if (napi_add_env_cleanup_hook(env, &DecodePool::CleanupHook, this) != napi_ok) {
    throw NativeError(code::kInternal, "could not register a cleanup hook");
  }
  hookAdded_ = true;
}

void DecodePool::Resize(int threads) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    target_ = std::max(1, std::min(kMaxThreads, threads));
    if (!started_) return;  // threads start with the first task
    while (static_cast<int>(threads_.size()) < target_) {
      const int index = static_cast<int>(threads_.size());
      threads_.emplace_back([this, index] { Loop(index); });
    }
  }
  cv_.notify_all();
}

void DecodePool::ThrowIfRefused() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) throw NativeError(code::kClosed, "the decode pool is shut down");
  if (queue_.size() >= kMaxQueued) {
    throw NativeError(code::kBusy, std::to_string(kMaxQueued) +
                                       " images are already waiting to be decoded; wait for some to finish");
  }
}

void DecodePool::Queue(Napi::Env env, std::unique_ptr<DecodeTask>&& task) {
  ThrowIfRefused();
  if (!started_) {
    Start(env);
    Resize(target_);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_all();  // a parked thread may wake first; all look
  if (pending_++ == 0) tsfn_.Ref(env);
}

Napi::Value DecodePool::Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsObject()) {
    ThrowTypeError(env, "decodeToSize(bytes, opts) needs a Uint8Array and an options object");
  }
  Napi::TypedArray arr = info[0].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != napi_uint8_array) ThrowTypeError(env, "decodeToSize: bytes must be a Uint8Array");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) throw NativeError(code::kClosed, "the decode pool is shut down");
  }
  Napi::Object opts = info[1].As<Napi::Object>();
  auto task = std::make_unique<ToSizeTask>(Napi::Promise::Deferred::New(env));
  task->width = static_cast<int>(ReadIntOption(env, opts, "decodeToSize: opts.", "width", 1, 65535, NAN));
  task->height = static_cast<int>(ReadIntOption(env, opts, "decodeToSize: opts.", "height", 1, 65535, NAN));
  task->orientation = static_cast<int>(ReadIntOption(env, opts, "decodeToSize: opts.", "orientation", 1, 8, 1));
  Napi::Value shrink = opts.Get("shrinkOnly");
  task->shrinkOnly = shrink.IsBoolean() && shrink.As<Napi::Boolean>().Value();
  task->ReadLimits(env, opts, "decodeToSize");

  const uint8_t* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (arr.ByteLength() > 0 && data == nullptr) throw NativeError(code::kDetached, "decodeToSize: the bytes' buffer is detached");
  task->bytes.Assign(data, arr.ByteLength());

  Napi::Promise promise = task->deferred.Promise();
  try {
    Queue(env, std::move(task));
  } catch (const NativeError& e) {
    if (e.code() == code::kBusy) throw NativeError(e.code(), std::string("decodeToSize: ") + e.what());
    throw;
  }
  return promise;
}

void DecodePool::Loop(int index) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || (!queue_.empty() && index < target_); });
    if (stopping_) return;
    std::unique_ptr<DecodeTask> task = std::move(queue_.front());
    queue_.pop_front();
    running_.insert(task.get());
    lock.unlock();
    task->Work();
    lock.lock();
    running_.erase(task.get());
    DecodeTask* done = task.release();
    lock.unlock();
    // The TSFN's queue is unbounded: this never blocks. Refused (teardown): drop it.
    if (tsfn_.BlockingCall(done) != napi_ok) delete done;
    lock.lock();
  }
}

void DecodePool::CallJs(Napi::Env env, Napi::Function, DecodePool* self, DecodeTask* task) {
  std::unique_ptr<DecodeTask> owned(task);
  if (env == nullptr) return;  // the environment is being torn down
  Napi::HandleScope scope(env);
  try {
    task->Done(env);
  } catch (const Napi::Error& e) {
    // Done settles its own promises; anything left is a bug to report, not to crash on.
    napi_fatal_exception(env, e.Value());
  }
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
}

}  // namespace imlage::decode
