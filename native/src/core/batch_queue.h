// The addon's one dynamic-batching queue, with Triton's dynamic_batching
// semantics, for every kind of plugin: an ONNX session (session.submit(),
// session_runner.h) and an SMI plugin in this process or in an isolated
// plugin's child (plugin.submit(), smi/plugin_runner.h). What a batch
// runs on is the queue's BatchRunner; everything else is shared. One batcher
// thread (started on the first submit) waits until maxBatch requests with
// the same key are queued, or the oldest has waited maxDelayMs, or flush()
// was called; then the runner runs them as one batch and the results go to
// the JS thread through one ThreadSafeFunction, which settles each
// request's promise.
//
// Requests come two ways: Submit() (pixels from JS) and submitEncoded()
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
// pending) joins the thread, releases the ThreadSafeFunction and the
// runner's resources. The destructor is safe without Stop/Join (environment
// teardown): it drops queued requests unsettled and joins the thread. No
// statics: one queue per session or plugin, per environment.
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

#include "core/compiled_spec.h"
#include "napi/js_args.h"
#include "napi/lifecycle.h"
#include "napi/workers/workers.h"

namespace imlage {

// One request's result as its runner made it, turned into JS on the JS thread.
class BatchOutput {
 public:
  virtual ~BatchOutput() = default;
  virtual Napi::Value ToJs(Napi::Env env) const = 0;
};

struct BatchRequest {
  using Clock = std::chrono::steady_clock;
  BatchRequest(HeldImage held, Napi::Promise::Deferred d) : image(std::move(held)), deferred(std::move(d)) {}
  HeldImage image;                   // reference deleted on the JS thread only
  Napi::Promise::Deferred deferred;  // settled on the JS thread only
  std::string key;                   // requests batch together only with equal keys
  // What the request runs with, read by its queue's runner: a session's
  // compiled spec, or the model ids an SMI plugin runs the image through.
  std::shared_ptr<const CompiledSpec> spec;
  std::shared_ptr<const std::vector<std::string>> models;
  std::shared_ptr<const void> pixelOwner;  // holds image.view's pixels when neither borrowed nor owned
  size_t maxBatch = 1;
  double maxDelayMs = 0;
  uint64_t seq = 0;
  Clock::time_point at;
  // Filled by the batcher thread.
  std::unique_ptr<BatchOutput> output;  // set by the runner unless the batch failed
  BatchTiming timing;
  double queueMs = 0;
  size_t batchSize = 0;
  std::string errorCode;  // non-empty: the whole batch failed
  std::string errorMessage;
};

// What a queue's batches run on. Run() is called on the batcher thread
// only, one batch at a time.
class BatchRunner {
 public:
  using Batch = std::vector<std::unique_ptr<BatchRequest>>;
  virtual ~BatchRunner() = default;
  // Runs requests that share one key: sets each one's output and timing, or
  // throws (a NativeError keeps its code) to fail the whole batch.
  virtual void Run(Batch& batch) = 0;
  // JS thread, once the thread is joined: frees what the runner holds.
  virtual void Release() = 0;
  // The ThreadSafeFunction's resource name ("imlage.session.submit").
  virtual const char* name() const = 0;
  // The code of a failure that carries none (a std::exception from Run).
  virtual const char* failureCode() const = 0;
};

class BatchQueue {
 public:
  using Clock = BatchRequest::Clock;
  using Request = BatchRequest;
  using Batch = BatchRunner::Batch;

  // onSettled is called on the JS thread after each request's promise settles.
  BatchQueue(std::unique_ptr<BatchRunner> runner, Napi::Object self, std::function<void()> onSettled);
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // JS thread: image (info[0]) with options opts, its key and plan already
  // in r's place: Submit copies or borrows the pixels (opts.borrowPixels),
  // reads maxBatch and maxDelayMs and queues it. Throws NativeError / Napi::Error.
  Napi::Promise Submit(const Napi::Value& image, const Napi::Object& opts,
                       const std::function<void(Request&)>& plan);
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

  std::unique_ptr<BatchRunner> runner_;
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
