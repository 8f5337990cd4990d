// The JS NativePlugin object (src/binding/types.ts): a Napi::ObjectWrap
// around a shared native Plugin. Lifecycle calls and run() run on a libuv
// worker thread (AsyncWorker); submit() queues one image into the plugin's
// BatchQueue (batch_queue.h, created on the first submit), whose thread
// runs the batches. close() waits for calls in flight and pending submits
// (queued ones run at once), then runs cleanup() and dlclose() on a worker
// thread. Plugin log messages reach `onLog` on the JS
// thread through a Napi::ThreadSafeFunction.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/batch_queue.h"
#include "napi/lifecycle.h"
#include "smi/plugin.h"

namespace imlage {

class Addon;

// Forwards log messages from any thread to a JS function. Release() is
// idempotent and may run on any thread; messages after it are dropped. Once
// Node finalized the ThreadSafeFunction (environment teardown), Send() and
// Release() do nothing (GuardedTsfn).
class LogChannel {
 public:
  LogChannel(Napi::Env env, Napi::Function onLog);
  ~LogChannel();
  void Send(int32_t level, const std::string& message);
  void Release();

 private:
  GuardedTsfn<Napi::ThreadSafeFunction> tsfn_;
};

// Closes plugins whose JS object was collected without close(): cleanup()
// runs on a thread of its own (a GC finalizer is no place for plugin code),
// and the environment's teardown (the Addon's destructor) joins what is
// still running, so no cleanup() or dlclose() outlives the environment.
class PluginReaper {
 public:
  PluginReaper() = default;
  ~PluginReaper();
  PluginReaper(const PluginReaper&) = delete;
  PluginReaper& operator=(const PluginReaper&) = delete;
  // JS thread. Closes plugin, then releases log (after cleanup() logged).
  void Close(std::shared_ptr<Plugin> plugin, std::shared_ptr<LogChannel> log);

 private:
  struct Job {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Job> jobs_;  // JS thread only
};

// What the loadPlugin worker hands to the PluginWrap constructor.
struct PluginHandoff {
  std::shared_ptr<Plugin> plugin;
  std::shared_ptr<LogChannel> log;  // may be null (no onLog)
};

class PluginWrap : public Napi::ObjectWrap<PluginWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // info[0]: External<PluginHandoff> (only loadPlugin constructs these).
  explicit PluginWrap(const Napi::CallbackInfo& info);
  ~PluginWrap() override;

  // JS thread: a call started by this object settled.
  void CallSettled();
  // JS thread, for submitEncoded: r's promise, r Expect()ed in this
  // plugin's batch queue (*queue; its image comes from a decode thread) and
  // counted in flight until it settles. Throws IMLAGE_ERR_CLOSED once closed.
  Napi::Promise Expect(const Napi::Object& self, BatchRequest& r, BatchQueue** queue);

 private:
  Napi::Value RegisterModel(const Napi::CallbackInfo& info);
  Napi::Value UnregisterModel(const Napi::CallbackInfo& info);
  Napi::Value LoadModel(const Napi::CallbackInfo& info);
  Napi::Value UnloadModel(const Napi::CallbackInfo& info);
  Napi::Value ModelInfo(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  // submit(image, {models, maxBatch, maxDelayMs, borrowPixels?}) and flush():
  // the plugin's dynamic batching, as session.submit()'s.
  Napi::Value Submit(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Runs `make` (which queues a worker and returns its promise) unless closed.
  template <typename F>
  Napi::Value Start(const Napi::CallbackInfo& info, F&& make);
  // The batch queue, created on first use. Throws once closed.
  BatchQueue& QueueFor(const Napi::Object& self);
  void MaybeFinishClose();
  // Environment teardown (worker exit, process exit) before close(): runs
  // cleanup() now, on the JS thread, while the library is still mapped.
  void EnvTeardown();

  std::shared_ptr<Plugin> plugin_;
  std::shared_ptr<LogChannel> log_;
  // Finishing a close queues the cleanup worker; it is done when that settles.
  Lifecycle life_;
  EnvCleanupHook teardown_;
  // Declared last, so destroyed first: its thread is joined before the rest goes.
  std::unique_ptr<BatchQueue> queue_;
};

// submit options.models (or a target's models): 1 to 256 non-empty ids.
// Throws NativeError(IMLAGE_ERR_INVALID_ARG) naming `what`.
std::shared_ptr<const std::vector<std::string>> ReadModelIds(const Napi::Value& value, const std::string& what);

// loadPlugin(path, options): validates arguments on the JS thread (TypeError)
// and queues the load worker.
Napi::Promise QueueLoadPlugin(Addon& addon, const Napi::CallbackInfo& info);

// divertStdout(): keeps what fd 1 was on a new close-on-exec descriptor
// (returned) and points fd 1 at stderr, so that native code writing to
// stdout (an in-process plugin's printf) cannot reach the caller's result
// stream. Throws an Error with code IMLAGE_ERR_STDOUT when the system refuses.
Napi::Value DivertStdout(const Napi::CallbackInfo& info);

}  // namespace imlage
