// The lifetime rules the addon's wrapped native objects share (SessionWrap
// and PluginWrap, and the BatchQueue and LogChannel they own), written once:
//   Lifecycle       calls in flight, and close() promises that resolve once
//                   those calls ended and the owner finished closing;
//   EnvCleanupHook  an environment cleanup hook, removed at most once;
//   GuardedTsfn     a ThreadSafeFunction released at most once and never
//                   used after it was released or finalized by Node.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace imlage {

// JS thread only. open -> closing (close() was called; calls may still be in
// flight) -> finishing (none is; the owner does its closing work, which may
// be asynchronous) -> closed (every close() promise resolved).
class Lifecycle {
 public:
  bool closed() const { return state_ != State::kOpen; }

  // Throws IMLAGE_ERR_CLOSED ("<what> is closed") once close() was called.
  void ThrowIfClosed(const char* what) const {
    if (closed()) throw NativeError(code::kClosed, std::string(what) + " is closed");
  }

  // A call was queued; it counts until End().
  void Begin() { ++inflight_; }
  void End() { --inflight_; }

  // close(): a promise that resolves at Finished(), or at once after it.
  Napi::Promise Close(Napi::Env env) {
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    if (state_ == State::kClosed) {
      d.Resolve(env.Undefined());
    } else {
      waiters_.push_back(d);
      if (state_ == State::kOpen) state_ = State::kClosing;
    }
    return d.Promise();
  }

  // True exactly once: when close() was called and no call is in flight.
  // The owner then does its closing work and calls Finished().
  bool TakeFinish() {
    if (state_ != State::kClosing || inflight_ > 0) return false;
    state_ = State::kFinishing;
    return true;
  }

  // Resolves every close() promise so far; later ones resolve at once.
  void Finished(Napi::Env env) {
    state_ = State::kClosed;
    std::vector<Napi::Promise::Deferred> waiters;
    waiters.swap(waiters_);
    for (auto& d : waiters) d.Resolve(env.Undefined());
  }

 private:
  enum class State { kOpen, kClosing, kFinishing, kClosed };
  State state_ = State::kOpen;
  int inflight_ = 0;
  std::vector<Napi::Promise::Deferred> waiters_;
};

// JS thread only. Runs a function at environment teardown (worker exit,
// process exit) unless removed first. Node drops a hook once it ran, so the
// hook is never removed after that, nor twice.
class EnvCleanupHook {
 public:
  EnvCleanupHook() = default;
  ~EnvCleanupHook() { Remove(); }
  EnvCleanupHook(const EnvCleanupHook&) = delete;
  EnvCleanupHook& operator=(const EnvCleanupHook&) = delete;

  // Returns false when Node refused the hook. Hooks run in reverse order of
  // registration.
  bool Add(napi_env env, std::function<void()> onTeardown) {
    Remove();
    env_ = env;
    onTeardown_ = std::move(onTeardown);
    added_ = napi_add_env_cleanup_hook(env, &EnvCleanupHook::Run, this) == napi_ok;
    return added_;
  }

  void Remove() {
    if (added_) napi_remove_env_cleanup_hook(env_, &EnvCleanupHook::Run, this);
    added_ = false;
  }

 private:
  static void Run(void* arg) {
    auto* self = static_cast<EnvCleanupHook*>(arg);
    self->added_ = false;
    self->onTeardown_();
  }

  napi_env env_ = nullptr;
  std::function<void()> onTeardown_;
  bool added_ = false;
};

// A Napi::ThreadSafeFunction or TypedThreadSafeFunction that is released at
// most once and never called, referenced or released after it was released
// or after Node finalized it (environment teardown). Any thread may Use() or
// Release() it: each holds one mutex, which the finalizer shares and which
// outlives this object, because the finalizer may run after it is gone.
template <typename Tsfn>
class GuardedTsfn {
  struct State {
    std::mutex mutex;
    bool released = false;   // we released it
    bool finalized = false;  // Node finalized it
  };

 public:
  // The finalizer (and, below, its data) that Create's `make` hands to Tsfn::New.
  struct Finalizer {
    template <typename Context>
    void operator()(Napi::Env, std::shared_ptr<State>* state, Context*) const {
      {
        std::lock_guard<std::mutex> lock((*state)->mutex);
        (*state)->finalized = true;
      }
      delete state;
    }
  };

  GuardedTsfn() = default;
  ~GuardedTsfn() { Release(); }
  GuardedTsfn(const GuardedTsfn&) = delete;
  GuardedTsfn& operator=(const GuardedTsfn&) = delete;

  // JS thread. make(Finalizer finalizer, std::shared_ptr<State>* data) returns
  // Tsfn::New(..., finalizer, data).
  template <typename Make>
  void Create(Make&& make) {
    auto state = std::make_shared<State>();
    auto* data = new std::shared_ptr<State>(state);
    try {
      tsfn_ = make(Finalizer{}, data);
    } catch (...) {
      delete data;  // New failed: no finalizer will run
      throw;
    }
    state_ = std::move(state);
  }

  // Created and not released by us (Node may have finalized it since).
  bool created() const {
    if (!state_) return false;
    std::lock_guard<std::mutex> lock(state_->mutex);
    return !state_->released;
  }

  // Runs use(tsfn) under the lock unless the function is gone; returns
  // whether it ran.
  template <typename F>
  bool Use(F&& use) {
    if (!state_) return false;
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->released || state_->finalized) return false;
    use(tsfn_);
    return true;
  }

  void Release() {
    if (!state_) return;
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->released || state_->finalized) return;
    state_->released = true;
    tsfn_.Release();
  }

 private:
  std::shared_ptr<State> state_;
  Tsfn tsfn_;
};

}  // namespace imlage
