// The services a host offers SMI plugins (smi_host_api): logging, memory,
// abort polling, and ONNX Runtime sessions run with the addon's own ORT
// (ort/loader, ort/session), so plugins use ORT without linking it.
// Every service is thread-safe and wrapped in a catch-all.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "imlage/smi.h"
#include "ort/session.h"

namespace imlage {

class HostServices {
 public:
  // Receives plugin log messages on whatever thread the plugin logs from.
  using LogSink = std::function<void(int32_t level, const std::string& message)>;

  // sessions: how host->session_create builds sessions for this plugin
  // (providers and threads, as the engine's own sessions get them).
  HostServices(LogSink sink, SessionConfig sessions);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  // The table handed to initialize(); host_ctx points at this object.
  const smi_host_api* api() const { return &api_; }

  // should_abort() returns non-zero from now on.
  void RequestAbort() { abort_.store(true); }
  bool AbortRequested() const { return abort_.load(); }

  void Log(int32_t level, const std::string& message) const;
  const SessionConfig& sessions() const { return sessions_; }

  // Marks the entry point running on this thread for the lifetime of the
  // object, so that host->set_error() from this thread lands here. Nests.
  class CallScope {
   public:
    explicit CallScope(const HostServices& host);
    ~CallScope();
    CallScope(const CallScope&) = delete;
    CallScope& operator=(const CallScope&) = delete;
    // What the plugin passed to set_error() during this call ("" if nothing).
    const std::string& error() const { return error_; }

   private:
    friend void SetCallError(void* hostCtx, const char* message);
    const HostServices* host_;
    CallScope* outer_;
    std::string error_;
  };

 private:
  smi_host_api api_{};
  LogSink sink_;
  SessionConfig sessions_;
  std::atomic<bool> abort_{false};
};

// host->set_error (exposed for CallScope's friendship).
void SetCallError(void* hostCtx, const char* message);

}  // namespace imlage
