#include "core/batch_queue.h"

#include "core/errors.h"

namespace imlage {
namespace {

double Ms(BatchQueue::Clock::time_point a, BatchQueue::Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double ReadNumber(const Napi::Object& opts, const char* name, double min, double max) {
  Napi::Value v = opts.Get(name);
  if (!v.IsNumber()) {
    throw NativeError(code::kInvalidArg, std::string("submit options.") + name + " must be a number");
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max)) {
    throw NativeError(code::kInvalidArg, std::string("submit options.") + name + " is out of range");
  }
  return d;
}

// At teardown a request's JS handles belong to an environment that is going
// away: leave them to it rather than delete them late.
void Forget(BatchQueue::Request& r) { r.image.data.SuppressDestruct(); }

}  // namespace

void ReadBatchOptions(const Napi::Object& opts, size_t* maxBatch, double* maxDelayMs) {
  *maxBatch = static_cast<size_t>(ReadNumber(opts, "maxBatch", 1, 1 << 20));
  *maxDelayMs = ReadNumber(opts, "maxDelayMs", 0, 24.0 * 3600 * 1000);
}

BatchQueue::BatchQueue(std::unique_ptr<BatchRunner> runner, Napi::Object self, std::function<void()> onSettled)
    : runner_(std::move(runner)), onSettled_(std::move(onSettled)), self_(Napi::Weak(self)) {}

BatchQueue::~BatchQueue() {
  Abort();
  tsfn_.Release();
  teardown_.Remove();
  for (Batch* b : undelivered_) {
    for (auto& r : *b) Forget(*r);
    delete b;
  }
  for (auto& r : queue_) Forget(*r);
}

void BatchQueue::Abort() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborting_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Napi::Promise BatchQueue::Submit(const Napi::Value& image, const Napi::Object& opts,
                                 const std::function<void(Request&)>& plan) {
  Napi::Env env = image.Env();
  // Copied unless the caller promises the pixels stay put (see the header).
  const PixelCopy copy = ReadBorrow(opts) ? PixelCopy::kBorrow : PixelCopy::kCopy;
  auto r = std::make_unique<Request>(ReadImage(image, copy), Napi::Promise::Deferred::New(env));
  plan(*r);
  ReadBatchOptions(opts, &r->maxBatch, &r->maxDelayMs);
  Napi::Promise promise = Expect(env, *r);
  Enqueue(std::move(r));
  return promise;
}

Napi::Promise BatchQueue::Expect(Napi::Env env, Request& r) {
  if (!thread_.joinable()) {
    if (!tsfn_.created()) {
      tsfn_.Create([&](auto finalizer, auto* data) {
        return Tsfn::New(env, runner_->name(), 0, 1, this, finalizer, data);
      });
      tsfn_.Use([&](Tsfn& t) { t.Unref(env); });
    }
    // Registered after the TSFN's own hook, so it runs first (hooks run in
    // reverse order): the thread is joined while the TSFN still exists.
    if (!teardown_.Add(env, [this] { Abort(); })) {
      throw NativeError(code::kOrtRuntime, "could not register a cleanup hook");
    }
    thread_ = std::thread([this] { Loop(); });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++expected_;
  }
  if (pending_++ == 0) {
    tsfn_.Use([&](Tsfn& t) { t.Ref(env); });
    self_.Ref();
  }
  return r.deferred.Promise();
}

void BatchQueue::Enqueue(std::unique_ptr<Request> r) {
  r->at = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    --expected_;
    r->seq = nextSeq_++;
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
}

void BatchQueue::Fail(Napi::Env env, std::unique_ptr<Request> r, const Napi::Error& error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --expected_;
  }
  cv_.notify_one();  // a stopping thread may have waited only for this one
  r->deferred.Reject(error.Value());
  Settled(env, r);
}

void BatchQueue::Flush() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    flushSeq_ = nextSeq_;
  }
  cv_.notify_one();
}

void BatchQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
}

void BatchQueue::Join() {
  Stop();
  if (thread_.joinable()) thread_.join();
  tsfn_.Release();
  teardown_.Remove();
  runner_->Release();
}

void BatchQueue::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (aborting_) return;
    if (queue_.empty()) {
      if (stopping_ && expected_ == 0) return;
      cv_.wait(lock);
      continue;
    }
    const Request& head = *queue_.front();
    size_t same = 0;
    for (const auto& q : queue_) {
      if (q->key == head.key && ++same >= head.maxBatch) break;
    }
    const bool ready = same >= head.maxBatch || head.seq < flushSeq_ || stopping_;
    const Clock::time_point deadline =
        head.at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(head.maxDelayMs));
    if (!ready && Clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
      continue;
    }
    auto* batch = new Batch();
    const std::string key = head.key;
    const size_t maxBatch = head.maxBatch;
    for (auto it = queue_.begin(); it != queue_.end() && batch->size() < maxBatch;) {
      if ((*it)->key == key) {
        batch->push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();

    const Clock::time_point t0 = Clock::now();
    for (auto& r : *batch) {
      r->queueMs = Ms(r->at, t0);
      r->batchSize = batch->size();
    }
    std::string errorCode;
    std::string errorMessage;
    try {
      runner_->Run(*batch);
    } catch (const NativeError& e) {
      errorCode = e.code();
      errorMessage = e.what();
    } catch (const std::exception& e) {
      errorCode = runner_->failureCode();
      errorMessage = e.what();
    }
    if (!errorCode.empty()) {
      for (auto& r : *batch) {
        r->errorCode = errorCode;
        r->errorMessage = errorMessage;
      }
    }
    // The queue is unbounded, so this never blocks.
    napi_status status = napi_closing;
    tsfn_.Use([&](Tsfn& t) { status = t.BlockingCall(batch); });
    lock.lock();
    if (status != napi_ok) undelivered_.push_back(batch);  // teardown: the destructor forgets it
  }
}

void BatchQueue::CallJs(Napi::Env env, Napi::Function, BatchQueue* self, Batch* batch) {
  if (env == nullptr) {
    // The TSFN is being torn down with the environment; self may be gone.
    for (auto& r : *batch) Forget(*r);
    delete batch;
    return;
  }
  self->Deliver(env, *batch);
  delete batch;
}

void BatchQueue::Deliver(Napi::Env env, Batch& batch) {
  for (auto& r : batch) {
    Napi::HandleScope scope(env);
    try {
      if (!r->errorCode.empty()) {
        r->deferred.Reject(MakeError(env, r->errorCode, r->errorMessage).Value());
      } else if (IsDetached(r->image.data)) {
        r->deferred.Reject(MakeError(env, code::kDetached,
                                     "an image buffer was detached (transferred) while it was queued; "
                                     "do not transfer buffers passed to submit()")
                               .Value());
      } else {
        Napi::Object out = Napi::Object::New(env);
        out.Set("result", r->output->ToJs(env));
        out.Set("queueMs", r->queueMs);
        out.Set("batchSize", static_cast<double>(r->batchSize));
        out.Set("timing", TimingToJs(env, r->timing));
        r->deferred.Resolve(out);
      }
    } catch (const Napi::Error& e) {
      r->deferred.Reject(e.Value());
    }
    Settled(env, r);
  }
}

void BatchQueue::Settled(Napi::Env env, std::unique_ptr<Request>& r) {
  r.reset();  // deletes the image reference, on the JS thread
  if (--pending_ == 0) {
    tsfn_.Use([&](Tsfn& t) { t.Unref(env); });
    self_.Unref();
  }
  onSettled_();
}

}  // namespace imlage
