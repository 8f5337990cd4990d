// Per-environment addon state (Napi::Addon instance data). Holds only JS
// handles that belong to one environment (main thread or a worker thread).
#pragma once

#include <napi.h>

#include "decode/decode_pool.h"
#include "napi/plugin_wrap.h"

namespace imlage {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

  // Constructor of the JS session class (SessionWrap) for this environment.
  Napi::FunctionReference sessionConstructor;
  // Constructor of the JS compiled-spec class (SpecWrap) for this environment.
  Napi::FunctionReference specConstructor;
  // Constructor of the JS plugin class (PluginWrap) for this environment.
  Napi::FunctionReference pluginConstructor;
  // Closes plugins collected without close(); joined when the environment ends.
  PluginReaper pluginReaper;
  // The addon's own decode threads (decodeToSize).
  decode::DecodePool decodePool;

 private:
  Napi::Value LoadOrt(const Napi::CallbackInfo& info);
  Napi::Value CreateSession(const Napi::CallbackInfo& info);
  Napi::Value Preprocess(const Napi::CallbackInfo& info);
  Napi::Value LoadPlugin(const Napi::CallbackInfo& info);
  Napi::Value SmiVersion(const Napi::CallbackInfo& info);
  Napi::Value DivertStdout(const Napi::CallbackInfo& info);
  Napi::Value BuildInfo(const Napi::CallbackInfo& info);
  Napi::Value DecodeToSize(const Napi::CallbackInfo& info);
  Napi::Value SubmitEncoded(const Napi::CallbackInfo& info);
  Napi::Value DecoderInfo(const Napi::CallbackInfo& info);
  Napi::Value SetDecodeThreads(const Napi::CallbackInfo& info);
};

}  // namespace imlage
