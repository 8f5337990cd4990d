// The services a host offers SMI plugins (smi_host_api): logging, memory,
// abort polling, and ONNX Runtime sessions run with the addon's own ORT
// (ort/loader, ort/session), so plugins use ORT without linking it.
// Every service is thread-safe and wrapped in a catch-all.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "imlage/smi.h"

namespace imlage {

class HostServices {
 public:
  // Receives plugin log messages on whatever thread the plugin logs from.
  using LogSink = std::function<void(int32_t level, const std::string& message)>;

  explicit HostServices(LogSink sink);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  // The table handed to initialize(); host_ctx points at this object.
  const smi_host_api* api() const { return &api_; }

  // should_abort() returns non-zero from now on.
  void RequestAbort() { abort_.store(true); }
  bool AbortRequested() const { return abort_.load(); }

  void Log(int32_t level, const char* message) const;

 private:
  smi_host_api api_{};
  LogSink sink_;
  std::atomic<bool> abort_{false};
};

}  // namespace imlage
