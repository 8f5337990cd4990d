// A plugin's preprocessing + postprocessing, parsed and checked against its
// session once (session.compileSpec), not per image: the JS layer compiles
// one per plugin × mode × overrides and hands the handle to submit() and
// submitEncoded(). Immutable once built, so any thread may read it.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "core/postprocess.h"
#include "core/preprocess.h"
#include "napi/workers/workers.h"

namespace imlage {

class SessionWrap;

struct CompiledSpec {
  PreprocessSpec pre;
  PostprocessSpec post;
  RunPlan plan;
  // Requests batch together only when their keys are equal (every field of both specs).
  std::string key;
};

// JS thread: parses (pre, post) and plans the run against session. Throws
// TypeError / NativeError as the plain-object readers do.
std::shared_ptr<const CompiledSpec> CompileSpec(const Session& session, const Napi::Value& pre, const Napi::Value& post);

// The JS face of a CompiledSpec ("NativeSpec"): made only by
// session.compileSpec(); holds its session's JS object, so a spec keeps its
// session's wrapper (not the model: close() still frees that) alive.
class SpecWrap : public Napi::ObjectWrap<SpecWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // info[0]: External<Made> (see SessionWrap::CompileSpec).
  explicit SpecWrap(const Napi::CallbackInfo& info);

  struct Made {
    std::shared_ptr<const CompiledSpec> spec;
    SessionWrap* session;
    Napi::Object sessionObject;
  };

  // JS thread: the SpecWrap behind value, or a NativeError naming `what`.
  static SpecWrap* From(const Napi::Value& value, const char* what);

  const std::shared_ptr<const CompiledSpec>& spec() const { return spec_; }
  SessionWrap* session() const { return session_; }
  Napi::Object sessionObject() const { return sessionRef_.Value(); }

 private:
  std::shared_ptr<const CompiledSpec> spec_;
  SessionWrap* session_ = nullptr;
  Napi::ObjectReference sessionRef_;
};

}  // namespace imlage
