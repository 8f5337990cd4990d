// session.submit(): a native dynamic-batching queue per session, with
// Triton's dynamic_batching semantics. One batcher thread (started on the
// first submit) waits until maxBatch requests with the same compiled spec
// (compiled_spec.h; equal keys) are queued, or the oldest has waited
// maxDelayMs, or flush() was called; then runs them as one batch
// (preprocess into a pooled buffer, ORT, postprocess) and hands the results
// to the JS thread through a ThreadSafeFunction, which settles each
// request's promise.
//
// Requests come two ways: submit() (pixels from JS) and submitEncoded()
// (submit_encoded.cc: the decode pool decodes the file and Enqueue()s the
// pixels from its own thread). The second is Expect()ed on the JS thread
// first, so its promise exists and the queue counts it as pending (its
// thread does not end while one is still coming); a decode that fails
// settles it with Fail() instead.
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

#include "compiled_spec.h"
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
    std::shared_ptr<const CompiledSpec> spec;  // requests batch together only with equal keys
    std::shared_ptr<const void> pixelOwner;    // holds image.view's pixels when neither borrowed nor owned
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

  // JS thread. info: (image, spec, opts), spec being info[1]'s, compiled
  // by this queue's session. Throws NativeError / Napi::Error.
  Napi::Promise Submit(const Napi::CallbackInfo& info, std::shared_ptr<const CompiledSpec> spec);
  // JS thread: r's promise; r counts as pending from now on and its image is
  // to come through Enqueue (or Fail). Throws NativeError.
  Napi::Promise Expect(Napi::Env env, Request& r);
  // Any thread: an Expect()ed request with its image, into the queue.
  void Enqueue(std::unique_ptr<Request> r);
  // JS thread: an Expect()ed request whose image will not come, rejected with error.
  void Fail(Napi::Env env, std::unique_ptr<Request> r, const Napi::Error& error);
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
  // JS thread: r's promise is settled; the pending count follows.
  void Settled(Napi::Env env, std::unique_ptr<Request>& r);
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
  size_t expected_ = 0;    // Expect()ed requests not yet enqueued or failed
  bool stopping_ = false;  // drain what is queued (and expected), then exit
  bool aborting_ = false;  // exit after the current batch (teardown)
  std::vector<Batch*> undelivered_;  // batches the TSFN refused (teardown)
};

// JS thread: submit options maxBatch (1..2^20) and maxDelayMs (0..24 h).
void ReadBatchOptions(const Napi::Object& opts, size_t* maxBatch, double* maxDelayMs);

}  // namespace imlage
