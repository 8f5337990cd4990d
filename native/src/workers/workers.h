// Entry points that queue the addon's AsyncWorkers (JS thread). Each returns
// the worker's promise; argument errors throw synchronously (caller rejects).
#pragma once

#include <napi.h>

#include <memory>

#include "ort/session.h"

namespace imlage {

class Addon;
class SessionWrap;

Napi::Promise QueueCreateSession(Addon& addon, const Napi::CallbackInfo& info);

// self is the session's JS object; it is referenced until the run settles.
Napi::Promise QueueRun(SessionWrap* wrap, Napi::Object self, std::shared_ptr<Session> session,
                       const Napi::CallbackInfo& info);
Napi::Promise QueueRunTensors(SessionWrap* wrap, Napi::Object self,
                              std::shared_ptr<Session> session, const Napi::CallbackInfo& info);

}  // namespace imlage
