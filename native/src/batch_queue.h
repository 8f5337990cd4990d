// session.submit(): a native dynamic-batching queue per session, with
// Triton's dynamic_batching semantics. One batcher thread (started on the
// first submit) waits until maxBatch requests with the same pre/post specs
// are queued, or the oldest has waited maxDelayMs, or flush() was called;
// then runs them as one batch (preprocess into a pooled buffer, ORT,
// postprocess) and hands the results to the JS thread through a
// ThreadSafeFunction, which settles each request's promise.
//
// Pixels are copied at submit unless the options say borrowPixels: true (the
// engine does: its buffers never leave it); a borrowed request holds a
// reference to its Uint8Array, created on the JS thread at submit and deleted
// on the JS thread when its promise settles, and the batcher thread only
// reads the bytes (the run.cc contract; a borrowed buffer detached meanwhile
// rejects with IMLAGE_ERR_DETACHED).
//
// Close: Stop() refuses new submits; requests already queued run at once
// (no longer waiting for company) and resolve normally. Join() (once none is
// pending) joins the thread and releases the ThreadSafeFunction. The
// destructor is safe without Stop/Join (environment teardown): it drops
// queued requests unsettled and joins the thread. No statics: one queue per
// session, per environment.
#pragma once

#include <napi.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "js_args.h"
#include "lifecycle.h"
#include "ort/session.h"
#include "workers/workers.h"

namespace imlage {

class BatchQueue {
 public:
  using Clock = std::chrono::steady_clock;

  struct Request {
    Request(HeldImage held, Napi::Promise::Deferred d) : image(std::move(held)), deferred(std::move(d)) {}
    HeldImage image;                   // reference deleted on the JS thread only
    Napi::Promise::Deferred deferred;  // settled on the JS thread only
    std::string key;                   // requests batch together only with the same key
    PreprocessSpec pre;
    PostprocessSpec post;
    RunPlan plan;
    size_t maxBatch = 1;
    double maxDelayMs = 0;
    uint64_t seq = 0;
    Clock::time_point at;
    // Filled by the batcher thread.
    ImageScores result;
    BatchTiming timing;
    double queueMs = 0;
    size_t batchSize = 0;
    std::string errorCode;  // non-empty: the whole batch failed
    std::string errorMessage;
  };
  using Batch = std::vector<std::unique_ptr<Request>>;

  // onSettled is called on the JS thread after each request's promise settles.
  BatchQueue(std::shared_ptr<Session> session, Napi::Object self, std::function<void()> onSettled);
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // JS thread. info: (image, pre, post, opts). Throws NativeError / Napi::Error.
  Napi::Promise Submit(const Napi::CallbackInfo& info);
  // JS thread: whatever is queued now runs without waiting for company.
  void Flush();
  // JS thread: no more submits; queued work runs at once.
  void Stop();
  // JS thread, once no request is pending: joins the thread, releases the TSFN.
  void Join();
  // JS thread: requests submitted whose promise has not settled yet.
  size_t pending() const { return pending_; }

 private:
  static void CallJs(Napi::Env env, Napi::Function, BatchQueue* self, Batch* batch);
  using Tsfn = Napi::TypedThreadSafeFunction<BatchQueue, Batch, &BatchQueue::CallJs>;

  void Loop();
  void Deliver(Napi::Env env, Batch& batch);
  // JS thread: the thread stops after its current batch and is joined.
  void Abort();

  std::shared_ptr<Session> session_;
  std::function<void()> onSettled_;
  Napi::ObjectReference self_;  // strong while requests are pending
  GuardedTsfn<Tsfn> tsfn_;
  EnvCleanupHook teardown_;  // aborts the thread at environment teardown
  std::thread thread_;
  size_t pending_ = 0;  // JS thread only

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Request>> queue_;
  uint64_t nextSeq_ = 0;
  uint64_t flushSeq_ = 0;  // requests with seq < flushSeq_ go without waiting
  bool stopping_ = false;  // drain what is queued, then exit
  bool aborting_ = false;  // exit after the current batch (teardown)
  std::vector<Batch*> undelivered_;  // batches the TSFN refused (teardown)
};

}  // namespace imlage
