#include "napi/plugin_wrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

#include "napi/addon.h"
#include "core/errors.h"
#include "napi/js_args.h"
#include "napi/outcome_js.h"
#include "smi/plugin_runner.h"
#include "napi/workers/promise_worker.h"

namespace imlage {
namespace {

struct LogMessage {
  int32_t level;
  std::string text;
};

const char* LevelName(int32_t level) {
  switch (level) {
    case SMI_LOG_DEBUG: return "debug";
    case SMI_LOG_INFO: return "info";
    case SMI_LOG_WARN: return "warn";
    default: return "error";
  }
}

std::string RequireStringArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString()) ThrowTypeError(info.Env(), std::string(what) + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.empty()) ThrowTypeError(info.Env(), std::string(what) + " must not be empty");
  return s;
}

Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array arr = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) arr.Set(static_cast<uint32_t>(i), items[i]);
  return arr;
}

Napi::Object InfoObject(Napi::Env env, const Plugin& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", p.id());
  o.Set("name", p.name());
  o.Set("version", p.version());
  o.Set("frameworks", StringArray(env, p.frameworks()));
  Napi::Object smi = Napi::Object::New(env);
  smi.Set("major", Napi::Number::New(env, p.major()));
  smi.Set("minor", Napi::Number::New(env, p.minor()));
  o.Set("smi", smi);
  o.Set("threadSafe", Napi::Boolean::New(env, p.threadSafe()));
  o.Set("entryPoints", StringArray(env, p.entryPoints()));
  o.Freeze();
  return o;
}

// A plugin call on a worker thread: work() there, result() back on the JS
// thread. Holds the JS object so it cannot be collected meanwhile.
class CallWorker : public PromiseWorker {
 public:
  CallWorker(Napi::Env env, PluginWrap* wrap, Napi::Object self, std::function<void()> work,
             std::function<Napi::Value(Napi::Env)> result)
      : PromiseWorker(env),
        wrap_(wrap),
        self_(Napi::Persistent(self)),
        work_(std::move(work)),
        result_(std::move(result)) {}

 protected:
  void Work() override { work_(); }
  Napi::Value Result() override { return result_(Env()); }
  void Settled() override { wrap_->CallSettled(); }

 private:
  PluginWrap* wrap_;
  Napi::ObjectReference self_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
};

class CloseWorker : public PromiseWorker {
 public:
  CloseWorker(Napi::Env env, std::shared_ptr<Plugin> plugin, std::shared_ptr<LogChannel> log,
              std::function<void()> done)
      : PromiseWorker(env), plugin_(std::move(plugin)), log_(std::move(log)), done_(std::move(done)) {}

 protected:
  void Work() override {
    plugin_->Close();
    plugin_.reset();
  }
  Napi::Value Result() override { return Env().Undefined(); }
  void Settled() override {
    if (log_) log_->Release();  // after the messages cleanup() logged were queued
    done_();
  }

 private:
  std::shared_ptr<Plugin> plugin_;
  std::shared_ptr<LogChannel> log_;
  std::function<void()> done_;
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Addon& addon, std::string path, std::string config, SessionConfig sessions,
             std::shared_ptr<LogChannel> log)
      : PromiseWorker(env),
        addon_(addon),
        path_(std::move(path)),
        config_(std::move(config)),
        sessions_(std::move(sessions)),
        log_(std::move(log)) {}

 protected:
  void Work() override {
    std::unique_ptr<PluginLibrary> lib = PluginLibrary::Open(path_);
    std::weak_ptr<LogChannel> weak = log_;
    HostServices::LogSink sink;
    if (log_) {
      sink = [weak](int32_t level, const std::string& message) {
        if (auto channel = weak.lock()) channel->Send(level, message);
      };
    }
    auto plugin = std::make_shared<Plugin>(std::move(lib), std::move(sink), sessions_);
    plugin->Initialize(config_);  // on failure, plugin's destructor dlcloses
    plugin_ = std::move(plugin);
  }
  Napi::Value Result() override {
    PluginHandoff handoff{plugin_, log_};
    Napi::Object obj = addon_.pluginConstructor.New({Napi::External<PluginHandoff>::New(Env(), &handoff)});
    handedOver_ = true;
    return obj;
  }
  void Settled() override {
    if (!handedOver_ && log_) log_->Release();
  }

 private:
  Addon& addon_;
  std::string path_;
  std::string config_;
  SessionConfig sessions_;
  std::shared_ptr<LogChannel> log_;
  std::shared_ptr<Plugin> plugin_;
  bool handedOver_ = false;
};

}  // namespace

// ---- LogChannel

LogChannel::LogChannel(Napi::Env env, Napi::Function onLog) {
  tsfn_.Create([&](auto finalizer, auto* data) {
    return Napi::ThreadSafeFunction::New(env, onLog, "imlage-plugin-log", 0, 1, static_cast<void*>(nullptr),
                                         finalizer, data);
  });
  tsfn_.Use([&](Napi::ThreadSafeFunction& t) { t.Unref(env); });  // logging alone never keeps the process alive
}

LogChannel::~LogChannel() { Release(); }

void LogChannel::Send(int32_t level, const std::string& message) {
  tsfn_.Use([&](Napi::ThreadSafeFunction& t) {
    auto* msg = new LogMessage{level, message};
    napi_status status = t.NonBlockingCall(msg, [](Napi::Env env, Napi::Function fn, LogMessage* m) {
      std::unique_ptr<LogMessage> owned(m);
      if (env == nullptr || fn.IsEmpty()) return;
      try {
        fn.Call({Napi::String::New(env, LevelName(owned->level)), Napi::String::New(env, owned->text)});
      } catch (const Napi::Error&) {
        // An exception thrown by onLog must not escape into plugin code paths;
        // it is dropped (onLog is a sink).
      }
    });
    if (status != napi_ok) delete msg;
  });
}

void LogChannel::Release() { tsfn_.Release(); }

// ---- PluginWrap

Napi::Function PluginWrap::DefineClass(Napi::Env env) {
  return ObjectWrap<PluginWrap>::DefineClass(env, "NativePlugin",
                                             {
                                                 InstanceMethod<&PluginWrap::RegisterModel>("registerModel"),
                                                 InstanceMethod<&PluginWrap::UnregisterModel>("unregisterModel"),
                                                 InstanceMethod<&PluginWrap::LoadModel>("loadModel"),
                                                 InstanceMethod<&PluginWrap::UnloadModel>("unloadModel"),
                                                 InstanceMethod<&PluginWrap::ModelInfo>("modelInfo"),
                                                 InstanceMethod<&PluginWrap::Run>("run"),
                                                 InstanceMethod<&PluginWrap::Submit>("submit"),
                                                 InstanceMethod<&PluginWrap::Flush>("flush"),
                                                 InstanceMethod<&PluginWrap::Close>("close"),
                                             });
}

PluginWrap::PluginWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PluginWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    ThrowTypeError(env, "NativePlugin cannot be constructed directly; use loadPlugin()");
  }
  PluginHandoff* handoff = info[0].As<Napi::External<PluginHandoff>>().Data();
  plugin_ = handoff->plugin;
  log_ = handoff->log;
  if (!plugin_) ThrowTypeError(env, "NativePlugin: missing native plugin");
  info.This().As<Napi::Object>().DefineProperty(
      Napi::PropertyDescriptor::Value("info", InfoObject(env, *plugin_), napi_enumerable));
  teardown_.Add(env, [this] { EnvTeardown(); });
}

void PluginWrap::EnvTeardown() {
  if (plugin_) plugin_->Close();
  plugin_.reset();
  if (log_) log_->Release();
  log_.reset();
}

PluginWrap::~PluginWrap() {
  teardown_.Remove();
  if (!plugin_) return;
  // Collected without close(); no call is in flight (each holds a reference
  // to this object).
  Env().GetInstanceData<Addon>()->pluginReaper.Close(std::move(plugin_), std::move(log_));
}

// ---- PluginReaper

void PluginReaper::Close(std::shared_ptr<Plugin> plugin, std::shared_ptr<LogChannel> log) {
  // Join the jobs that finished, so the list stays short.
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([plugin = std::move(plugin), log = std::move(log), done]() mutable {
    plugin->Close();
    plugin.reset();
    if (log) log->Release();
    done->store(true);
  });
  jobs_.push_back(Job{std::move(thread), std::move(done)});
}

PluginReaper::~PluginReaper() {
  for (Job& job : jobs_) job.thread.join();
}

void PluginWrap::CallSettled() {
  life_.End();
  MaybeFinishClose();
}

void PluginWrap::MaybeFinishClose() {
  if (!life_.TakeFinish()) return;
  if (queue_) queue_->Join();  // no request is pending: its thread has nothing left to do
  auto* worker = new CloseWorker(Env(), plugin_, log_, [this] {
    life_.Finished(Env());
    Unref();
  });
  plugin_.reset();
  log_.reset();
  Ref();  // keep this object alive until cleanup finished
  worker->Queue();
}

template <typename F>
Napi::Value PluginWrap::Start(const Napi::CallbackInfo& info, F&& make) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    life_.ThrowIfClosed("plugin");
    Napi::Value p = make();
    life_.Begin();
    return p;
  });
}

namespace {

Napi::Value QueueCall(const Napi::CallbackInfo& info, PluginWrap* wrap, std::function<void()> work,
                      std::function<Napi::Value(Napi::Env)> result) {
  auto* worker = new CallWorker(info.Env(), wrap, info.This().As<Napi::Object>(), std::move(work), std::move(result));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

std::function<Napi::Value(Napi::Env)> ResolveUndefined() {
  return [](Napi::Env env) { return env.Undefined(); };
}

}  // namespace

Napi::Value PluginWrap::RegisterModel(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) ThrowTypeError(env, "registerModel(spec) needs {id, files, configJson?}");
    Napi::Object o = info[0].As<Napi::Object>();
    SmiModelSpecIn spec;
    Napi::Value id = o.Get("id");
    if (!id.IsString() || id.As<Napi::String>().Utf8Value().empty()) ThrowTypeError(env, "spec.id must be a non-empty string");
    spec.id = id.As<Napi::String>().Utf8Value();
    Napi::Value files = o.Get("files");
    if (!files.IsUndefined()) {
      if (!files.IsArray()) ThrowTypeError(env, "spec.files must be an array of strings");
      Napi::Array arr = files.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        Napi::Value f = arr.Get(i);
        if (!f.IsString()) ThrowTypeError(env, "spec.files must be an array of strings");
        spec.files.push_back(f.As<Napi::String>().Utf8Value());
      }
    }
    Napi::Value config = o.Get("configJson");
    if (!config.IsUndefined()) {
      if (!config.IsString()) ThrowTypeError(env, "spec.configJson must be a string");
      spec.configJson = config.As<Napi::String>().Utf8Value();
    }
    auto plugin = plugin_;
    return QueueCall(info, this, [plugin, spec] { plugin->RegisterModel(spec); }, ResolveUndefined());
  });
}

Napi::Value PluginWrap::UnregisterModel(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    std::string id = RequireStringArg(info, 0, "model id");
    auto plugin = plugin_;
    return QueueCall(info, this, [plugin, id] { plugin->UnregisterModel(id); }, ResolveUndefined());
  });
}

Napi::Value PluginWrap::LoadModel(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    std::string id = RequireStringArg(info, 0, "model id");
    auto plugin = plugin_;
    return QueueCall(info, this, [plugin, id] { plugin->LoadModel(id); }, ResolveUndefined());
  });
}

Napi::Value PluginWrap::UnloadModel(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    std::string id = RequireStringArg(info, 0, "model id");
    auto plugin = plugin_;
    return QueueCall(info, this, [plugin, id] { plugin->UnloadModel(id); }, ResolveUndefined());
  });
}

Napi::Value PluginWrap::ModelInfo(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    std::string id = RequireStringArg(info, 0, "model id");
    auto plugin = plugin_;
    auto text = std::make_shared<std::string>();
    const std::string who = "plugin '" + plugin->id() + "'";
    return QueueCall(
        info, this, [plugin, id, text] { *text = plugin->ModelInfo(id); },
        [text, id, who](Napi::Env env) -> Napi::Value {
          if (text->empty()) return env.Null();
          Napi::Function parse = env.Global().Get("JSON").As<Napi::Object>().Get("parse").As<Napi::Function>();
          try {
            return parse.Call({Napi::String::New(env, *text)});
          } catch (const Napi::Error& e) {
            throw NativeError(code::kPluginCall,
                              who + ": get_model_info('" + id + "') returned invalid JSON: " + e.Message());
          }
        });
  });
}

Napi::Value PluginWrap::Run(const Napi::CallbackInfo& info) {
  return Start(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::string model = RequireStringArg(info, 0, "model id");
    if (info.Length() < 2 || !info[1].IsArray()) ThrowTypeError(env, "run(modelId, images) needs an array of images");
    // The pixels are copied here, on the JS thread: a plugin call may take
    // long, and a buffer transferred or detached meanwhile must not be read.
    auto held = std::make_shared<std::vector<HeldImage>>(ReadImages(info[1], PixelCopy::kCopy));
    auto plugin = plugin_;
    struct Out {
      std::vector<SmiImageOutcome> outcomes;
      double inferenceMs = 0;
    };
    auto out = std::make_shared<Out>();
    return QueueCall(
        info, this,
        [plugin, model, held, out] {
          std::vector<PluginImageIn> images;
          for (const HeldImage& h : *held) {
            images.push_back(PluginImageIn{h.view, h.error, h.originalWidth, h.originalHeight});
          }
          out->outcomes = plugin->Run(model, images, &out->inferenceMs);
        },
        [held, out](Napi::Env env) -> Napi::Value {
          Napi::Array results = Napi::Array::New(env, out->outcomes.size());
          for (size_t i = 0; i < out->outcomes.size(); ++i) {
            results.Set(static_cast<uint32_t>(i), OutcomeToJs(env, out->outcomes[i]));
          }
          Napi::Object timing = Napi::Object::New(env);
          timing.Set("inferenceMs", Napi::Number::New(env, out->inferenceMs));
          Napi::Object res = Napi::Object::New(env);
          res.Set("results", results);
          res.Set("timing", timing);
          return res;
        });
  });
}

BatchQueue& PluginWrap::QueueFor(const Napi::Object& self) {
  life_.ThrowIfClosed("plugin");
  if (!queue_) queue_ = std::make_unique<BatchQueue>(MakePluginRunner(plugin_), self, [this] { CallSettled(); });
  return *queue_;
}

Napi::Promise PluginWrap::Expect(const Napi::Object& self, BatchRequest& r, BatchQueue** queue) {
  BatchQueue& q = QueueFor(self);
  Napi::Promise p = q.Expect(self.Env(), r);
  life_.Begin();
  *queue = &q;
  return p;
}

std::shared_ptr<const std::vector<std::string>> ReadModelIds(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw NativeError(code::kInvalidArg, what + " must be an array of model ids");
  Napi::Array arr = value.As<Napi::Array>();
  if (arr.Length() < 1 || arr.Length() > 256) {
    throw NativeError(code::kInvalidArg, what + " must name 1 to 256 models, got " + std::to_string(arr.Length()));
  }
  auto models = std::make_shared<std::vector<std::string>>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value m = arr.Get(i);
    if (!m.IsString() || m.As<Napi::String>().Utf8Value().empty()) {
      throw NativeError(code::kInvalidArg, what + "[" + std::to_string(i) + "] must be a non-empty string");
    }
    std::string id = m.As<Napi::String>().Utf8Value();
    if (id.find('\0') != std::string::npos) {
      throw NativeError(code::kInvalidArg, what + "[" + std::to_string(i) + "] holds a NUL character");
    }
    models->push_back(std::move(id));
  }
  return models;
}

Napi::Value PluginWrap::Submit(const Napi::CallbackInfo& info) {
  return PromiseOrRejection(info.Env(), [&]() -> Napi::Value {
    if (info.Length() < 2 || !info[1].IsObject()) {
      throw NativeError(code::kInvalidArg, "submit(image, opts) needs an options object {models, maxBatch, maxDelayMs}");
    }
    Napi::Object opts = info[1].As<Napi::Object>();
    auto models = ReadModelIds(opts.Get("models"), "submit options.models");
    Napi::Promise p = QueueFor(info.This().As<Napi::Object>()).Submit(info[0], opts, [&](BatchRequest& r) {
      r.key = ModelsKey(*models);
      r.models = models;
    });
    life_.Begin();
    return p;
  });
}

Napi::Value PluginWrap::Flush(const Napi::CallbackInfo& info) {
  if (queue_) queue_->Flush();
  return info.Env().Undefined();
}

Napi::Value PluginWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Promise closed = life_.Close(info.Env());
  if (queue_) queue_->Stop();  // queued submits run at once and settle
  // Calls in flight see should_abort() now, not only after they returned.
  if (plugin_) plugin_->RequestAbort();
  MaybeFinishClose();
  return closed;
}

Napi::Promise QueueLoadPlugin(Addon& addon, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty()) {
    ThrowTypeError(env, "loadPlugin(libraryPath, options) needs the path of the plugin library");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string config = "{}";
  SessionConfig sessions;
  std::shared_ptr<LogChannel> log;
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) ThrowTypeError(env, "loadPlugin options must be an object {configJson, onLog?, session?}");
    Napi::Object o = info[1].As<Napi::Object>();
    Napi::Value c = o.Get("configJson");
    if (!c.IsUndefined()) {
      if (!c.IsString()) ThrowTypeError(env, "options.configJson must be a string (JSON text)");
      config = c.As<Napi::String>().Utf8Value();
    }
    // Options for the ORT sessions the plugin creates through the host.
    sessions = ReadSessionConfig(o.Get("session"));
    Napi::Value onLog = o.Get("onLog");
    if (!onLog.IsUndefined()) {
      if (!onLog.IsFunction()) ThrowTypeError(env, "options.onLog must be a function");
      log = std::make_shared<LogChannel>(env, onLog.As<Napi::Function>());
    }
  }
  auto* worker = new LoadWorker(env, addon, std::move(path), std::move(config), std::move(sessions), log);
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Value DivertStdout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Whatever C stdio buffered so far belongs to the real stdout.
  std::fflush(stdout);
  const int results = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (results < 0) {
    throw MakeError(env, code::kStdout, std::string("cannot duplicate stdout: ") + std::strerror(errno));
  }
  if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    const int err = errno;
    close(results);
    throw MakeError(env, code::kStdout, std::string("cannot point stdout at stderr: ") + std::strerror(err));
  }
  return Napi::Number::New(env, results);
}

}  // namespace imlage
