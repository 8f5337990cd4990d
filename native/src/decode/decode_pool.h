// The addon's own decode threads (issue #9): a fixed set of std::threads,
// not libuv's pool, so decoding does not wait behind (or block) other libuv
// work and an embedding service's UV_THREADPOOL_SIZE does not cap it.
//
// One pool per environment (owned by the Addon instance). It runs Tasks: a
// task copies what it needs from JS on the JS thread (the encoded bytes: a
// JS buffer can be detached while a worker reads it), Work()s on a decode
// thread touching nothing of JS, and is Done() on the JS thread through the
// pool's one ThreadSafeFunction. Two kinds exist: decodeToSize (pixels back
// to JS) and submitEncoded (submit_encoded.cc: pixels straight into the
// sessions' batch queues). The queue is bounded: past kMaxQueued waiting
// tasks, Queue refuses with IMLAGE_ERR_BUSY.
//
// Threads: Resize(n) sets how many take tasks; threads are started as needed
// and parked (not ended) when n shrinks. Shutdown: at environment cleanup
// (or destruction) running decodes are cancelled, every thread is joined and
// waiting tasks are dropped undone; no thread outlives the environment.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode {

class DecodeTask {
 public:
  DecodeTask() { limits.cancel = cancel.get(); }
  virtual ~DecodeTask() = default;
  DecodeTask(const DecodeTask&) = delete;
  DecodeTask& operator=(const DecodeTask&) = delete;

  // A decode thread; must not throw.
  virtual void Work() = 0;
  // The JS thread, after Work.
  virtual void Done(Napi::Env env) = 0;

  // JS thread: the common options (maxPixels, maxScans, timeoutMs from now,
  // signal) into limits; `what` names the call in messages.
  void ReadLimits(Napi::Env env, const Napi::Object& opts, const char* what);

  // Set by an AbortSignal's listener (JS thread) or by Shutdown; read by the decoder.
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  Limits limits;
};

// JS thread: opts[name] as an integer in [min, max]; `fallback` when
// undefined (NaN: required). A TypeError "<prefix><name> must be ..." otherwise.
double ReadIntOption(Napi::Env env, const Napi::Object& opts, const std::string& prefix, const char* name, double min,
                     double max, double fallback);

// The reason a rejection carries (`err.reason`), for the caller's fallback and messages.
const char* Reason(Status s);
// JS thread: the IMLAGE_ERR_DECODE error for a failed decode, with its reason.
Napi::Error DecodeError(Napi::Env env, const Result& r);

class DecodePool {
 public:
  static constexpr size_t kMaxQueued = 1024;
  static constexpr int kMaxThreads = 256;

  DecodePool();
  ~DecodePool();
  DecodePool(const DecodePool&) = delete;
  DecodePool& operator=(const DecodePool&) = delete;

  // JS thread. info: (bytes, opts); see decodeToSize in src/binding/types.ts.
  Napi::Value Submit(const Napi::CallbackInfo& info);
  // JS thread: runs task on a decode thread. Throws NativeError (kClosed,
  // kBusy), leaving task with the caller.
  void Queue(Napi::Env env, std::unique_ptr<DecodeTask>&& task);
  // JS thread: throws kClosed once shut down, kBusy while the queue is full;
  // a Queue() right after it does neither (only the JS thread adds tasks).
  void ThrowIfRefused();
  // JS thread. Threads taking tasks from now on (1..kMaxThreads).
  void Resize(int threads);
  int Threads() const { return target_; }

 private:
  static void CallJs(Napi::Env env, Napi::Function, DecodePool* self, DecodeTask* task);
  using Tsfn = Napi::TypedThreadSafeFunction<DecodePool, DecodeTask, &DecodePool::CallJs>;
  static void CleanupHook(void* arg);
  void Start(Napi::Env env);
  void Loop(int index);
  void Shutdown();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<DecodeTask>> queue_;
  std::set<DecodeTask*> running_;
  bool stopping_ = false;
  int target_ = 1;
  std::vector<std::thread> threads_;
  // JS thread only.
  Napi::Env env_ = Napi::Env(nullptr);
  Tsfn tsfn_;
  bool started_ = false;
  bool hookAdded_ = false;
  size_t pending_ = 0;
};

}  // namespace imlage::decode
