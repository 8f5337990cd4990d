#include "decode/decode_pool.h"

#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "errors.h"

namespace imlage::decode {

struct DecodePool::Job {
  explicit Job(Napi::Promise::Deferred d) : deferred(std::move(d)) {}
  std::vector<uint8_t> bytes;  // a copy: the JS buffer may be detached meanwhile
  int width = 0;
  int height = 0;
  int orientation = 1;
  bool shrinkOnly = false;
  Limits limits;
  // Set by an AbortSignal's listener (JS thread) or by Shutdown; read by the decoder.
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  Napi::Promise::Deferred deferred;  // settled on the JS thread only
  Image image;
  Result result;
};

namespace {

double ReadOption(Napi::Env env, const Napi::Object& opts, const char* name, double min, double max, double fallback) {
  Napi::Value v = opts.Get(name);
  if (v.IsUndefined()) {
    if (std::isnan(fallback)) ThrowTypeError(env, std::string("decodeToSize: opts.") + name + " is required");
    return fallback;
  }
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    ThrowTypeError(env, std::string("decodeToSize: opts.") + name + " must be an integer from " +
                            std::to_string(static_cast<long long>(min)) + " to " +
                            std::to_string(static_cast<long long>(max)));
  }
  return d;
}

// The reason a rejection carries, for the caller's fallback and messages.
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
    for (Job* j : running_) j->cancel->store(true);
    queue_.clear();  // dropped unsettled: the environment is going away
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  // Jobs still in the TSFN's queue are deleted by CallJs with a null env when it is finalized.
  if (started_) tsfn_.Release();
  started_ = false;
}

void DecodePool::Start(Napi::Env env) {
  env_ = env;
  tsfn_ = Tsfn::New(env, "imlage.decodeToSize", 0, 1, this);
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
    if (!started_) return;  // threads start with the first job
    while (static_cast<int>(threads_.size()) < target_) {
      const int index = static_cast<int>(threads_.size());
      threads_.emplace_back([this, index] { Loop(index); });
    }
  }
  cv_.notify_all();
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
  auto job = std::make_unique<Job>(Napi::Promise::Deferred::New(env));
  job->width = static_cast<int>(ReadOption(env, opts, "width", 1, 65535, NAN));
  job->height = static_cast<int>(ReadOption(env, opts, "height", 1, 65535, NAN));
  job->orientation = static_cast<int>(ReadOption(env, opts, "orientation", 1, 8, 1));
  job->limits.max_pixels = static_cast<uint64_t>(ReadOption(env, opts, "maxPixels", 1, 9007199254740991.0, 100'000'000));
  job->limits.max_scans = static_cast<int>(ReadOption(env, opts, "maxScans", 1, 1'000'000, 100));
  const double timeoutMs = ReadOption(env, opts, "timeoutMs", 1, 24.0 * 3600 * 1000, 30'000);
  Napi::Value shrink = opts.Get("shrinkOnly");
  job->shrinkOnly = shrink.IsBoolean() && shrink.As<Napi::Boolean>().Value();
  job->limits.deadline = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double, std::milli>(timeoutMs));
  job->limits.cancel = job->cancel.get();

  Napi::Value signal = opts.Get("signal");
  if (!signal.IsUndefined()) {
    if (!signal.IsObject() || !signal.As<Napi::Object>().Get("addEventListener").IsFunction()) {
      ThrowTypeError(env, "decodeToSize: opts.signal must be an AbortSignal");
    }
    Napi::Object s = signal.As<Napi::Object>();
    if (s.Get("aborted").ToBoolean()) job->cancel->store(true);
    std::shared_ptr<std::atomic<bool>> flag = job->cancel;
    Napi::Function onAbort = Napi::Function::New(env, [flag](const Napi::CallbackInfo&) { flag->store(true); }, "onAbort");
    Napi::Object once = Napi::Object::New(env);
    once.Set("once", true);
    s.Get("addEventListener").As<Napi::Function>().Call(s, {Napi::String::New(env, "abort"), onAbort, once});
  }

  const uint8_t* data = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (arr.ByteLength() > 0 && data == nullptr) throw NativeError(code::kDetached, "decodeToSize: the bytes' buffer is detached");
  job->bytes.assign(data, data + arr.ByteLength());

  if (!started_) {
    Start(env);
    Resize(target_);
  }
  Napi::Promise promise = job->deferred.Promise();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      throw NativeError(code::kBusy, "decodeToSize: " + std::to_string(kMaxQueued) +
                                               " images are already waiting to be decoded; wait for some to finish");
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();  // a parked thread may wake first; all look
  if (pending_++ == 0) tsfn_.Ref(env);
  return promise;
}

void DecodePool::Loop(int index) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || (!queue_.empty() && index < target_); });
    if (stopping_) return;
    std::unique_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    running_.insert(job.get());
    lock.unlock();
    const uint8_t* data = job->bytes.data();
    const size_t size = job->bytes.size();
    try {
      job->result = job->shrinkOnly
                        ? DecodeAtLeast(data, size, job->width, job->height, job->orientation, job->limits, &job->image)
                        : DecodeToSize(data, size, job->width, job->height, job->orientation, job->limits, &job->image);
    } catch (const std::bad_alloc&) {
      job->result = {Status::kTooLarge, "not enough memory to decode it"};
    }
    job->bytes = {};
    lock.lock();
    running_.erase(job.get());
    Job* done = job.release();
    lock.unlock();
    // The TSFN's queue is unbounded: this never blocks. Refused (teardown): drop it.
    if (tsfn_.BlockingCall(done) != napi_ok) delete done;
    lock.lock();
  }
}

void DecodePool::CallJs(Napi::Env env, Napi::Function, DecodePool* self, Job* job) {
  std::unique_ptr<Job> owned(job);
  if (env == nullptr) return;  // the environment is being torn down
  Napi::HandleScope scope(env);
  const Result& r = job->result;
  if (r.status == Status::kOk) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("data", Napi::Buffer<uint8_t>::Copy(env, job->image.pixels.data(), job->image.pixels.size()));
    out.Set("width", job->image.width);
    out.Set("height", job->image.height);
    out.Set("channels", 3);
    job->deferred.Resolve(out);
  } else {
    Napi::Error e = MakeError(env, code::kDecode, r.message.empty() ? Reason(r.status) : r.message);
    e.Set("reason", Reason(r.status));
    job->deferred.Reject(e.Value());
  }
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
}

}  // namespace imlage::decode
