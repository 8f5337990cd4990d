// The JS session object: a Napi::ObjectWrap around a shared native Session.
#pragma once

#include <napi.h>

#include <memory>

#include "core/batch_queue.h"
#include "napi/lifecycle.h"
#include "ort/session.h"

namespace imlage {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  // Called only by the createSession worker: info[0] is an External pointing
  // to a std::shared_ptr<Session> that this object copies.
  explicit SessionWrap(const Napi::CallbackInfo& info);

  // JS thread: a run started by this session finished (resolved or rejected).
  void RunSettled();

  // JS thread: IMLAGE_ERR_CLOSED once close() was called.
  void ThrowIfClosed() const { life_.ThrowIfClosed("session"); }
  // JS thread, for submitEncoded: r's promise, r Expect()ed in this
  // session's batch queue (*queue; its image comes from a decode thread) and
  // counted in flight until it settles. Throws as ThrowIfClosed.
  Napi::Promise Expect(const Napi::Object& self, BatchQueue::Request& r, BatchQueue** queue);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunTensors(const Napi::CallbackInfo& info);
  Napi::Value CompileSpec(const Napi::CallbackInfo& info);
  Napi::Value Submit(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // The batch queue, created on first use. Throws as ThrowIfClosed.
  BatchQueue& QueueFor(const Napi::Object& self);
  // Once closed and idle: joins the queue, frees the session, resolves close().
  void ReleaseIfIdle();

  // Workers hold their own copy of this pointer (and a reference to the JS
  // object), so the finalizer can never free a session a worker is using.
  std::shared_ptr<Session> session_;
  Lifecycle life_;
  // submit()'s queue and batcher thread, created on the first submit. Each
  // pending submit counts as in flight, so close() resolves after them.
  std::unique_ptr<BatchQueue> queue_;
};

}  // namespace imlage
