#include "napi/malloc_tuning.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "napi/workers/promise_worker.h"

namespace imlage {

namespace {

enum class SetBy { kNobody, kImlage, kEnvironment };
SetBy g_setBy = SetBy::kNobody;  // written once under call_once, before any reader

bool UserTunedThresholds() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) return true;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  return tunables != nullptr && (std::strstr(tunables, "glibc.malloc.mmap_threshold") != nullptr ||
                                 std::strstr(tunables, "glibc.malloc.trim_threshold") != nullptr);
}

// Resident set in KiB from /proc/self/statm, or -1 where there is none.
double RssKiB() {
  std::FILE* f = std::fopen("/proc/self/statm", "re");
  if (f == nullptr) return -1;
  long size = 0;
  long resident = 0;
  const int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * 4.0 : -1;
}

class TrimWorker : public PromiseWorker {
 public:
  using PromiseWorker::PromiseWorker;

 protected:
  void Work() override {
    const auto t0 = std::chrono::steady_clock::now();
    before_ = RssKiB();
#if defined(__GLIBC__)
    released_ = malloc_trim(0) == 1;
#endif
    after_ = RssKiB();
    ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  Napi::Value Result() override {
    Napi::Object out = Napi::Object::New(Env());
#if defined(__GLIBC__)
    out.Set("supported", true);
#else
    out.Set("supported", false);
#endif
    out.Set("released", released_);
    out.Set("rssBeforeKiB", before_);
    out.Set("rssAfterKiB", after_);
    out.Set("ms", ms_);
    return out;
  }

 private:
  bool released_ = false;
  double before_ = -1;
  double after_ = -1;
  double ms_ = 0;
};

}  // namespace

void TuneMalloc() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    const char* off = std::getenv("IMLAGE_MALLOC_TUNING");
    if (off != nullptr && std::strcmp(off, "off") == 0) return;
    if (UserTunedThresholds()) {
      g_setBy = SetBy::kEnvironment;
      return;
    }
    // Both, because by now glibc may have raised the trim threshold along
    // with the mmap threshold (to twice the largest block freed so far).
    if (mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes) == 1) {
      g_setBy = SetBy::kImlage;
    }
#endif
  });
}

Napi::Value MallocTuning(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__GLIBC__)
  out.Set("allocator", "glibc");
#else
  out.Set("allocator", "other");
#endif
  out.Set("mmapThresholdBytes", g_setBy == SetBy::kImlage ? Napi::Number::New(env, kMmapThresholdBytes) : env.Null());
  out.Set("setBy", g_setBy == SetBy::kImlage ? Napi::String::New(env, "imlage")
                   : g_setBy == SetBy::kEnvironment ? Napi::String::New(env, "environment")
                                                     : env.Null());
  return out;
}

Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
  auto* worker = new TrimWorker(info.Env());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace imlage
