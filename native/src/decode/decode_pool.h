// The addon's own decode threads (issue #9): a fixed set of std::threads,
// not libuv's pool, so decoding does not wait behind (or block) other libuv
// work and an embedding service's UV_THREADPOOL_SIZE does not cap it.
//
// One pool per environment (owned by the Addon instance). Submit copies the
// encoded bytes (a JS buffer can be detached while a worker reads it), so a
// job holds nothing of JS but its promise, which is settled on the JS thread
// through the pool's one ThreadSafeFunction. The queue is bounded: past
// kMaxQueued waiting jobs, Submit refuses with IMLAGE_ERR_BUSY.
//
// Threads: Resize(n) sets how many take jobs; threads are started as needed
// and parked (not ended) when n shrinks. Shutdown: at environment cleanup
// (or destruction) running decodes are cancelled, every thread is joined and
// waiting jobs are dropped unsettled; no thread outlives the environment.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "decode/decode.h"

namespace imlage::decode {

class DecodePool {
 public:
  static constexpr size_t kMaxQueued = 1024;
  static constexpr int kMaxThreads = 256;

  DecodePool();
  ~DecodePool();
  DecodePool(const DecodePool&) = delete;
  DecodePool& operator=(const DecodePool&) = delete;

  // JS thread. info: (bytes, opts); see decodeToSize in src/native/types.ts.
  Napi::Value Submit(const Napi::CallbackInfo& info);
  // JS thread. Threads taking jobs from now on (1..kMaxThreads).
  void Resize(int threads);
  int Threads() const { return target_; }

 private:
  struct Job;
  static void CallJs(Napi::Env env, Napi::Function, DecodePool* self, Job* job);
  using Tsfn = Napi::TypedThreadSafeFunction<DecodePool, Job, &DecodePool::CallJs>;
  static void CleanupHook(void* arg);
  void Start(Napi::Env env);
  void Loop(int index);
  void Shutdown();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::set<Job*> running_;
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
