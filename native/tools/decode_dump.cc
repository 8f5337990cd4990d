// decode_dump: the addon's PNG decoder (DecodePng) from the command line, for
// tests/native/png-decode.test.ts and for measuring it. Built only with
// IMLAGE_BUILD_TESTS=ON (into <build>/tools/).
//
//   decode_dump FILE                 stdout: "W H\n" then W*H*3 RGB bytes
//   decode_dump --bench N FILE       decodes once, then N times timed; stdout: "W H cpu_ms_per_decode\n"
//   decode_dump --max-pixels P ...   limits.max_pixels = P
//   decode_dump --timeout-ms T ...   limits.deadline = now + T ms
//
// Exit codes: 0 ok, 1 usage or unreadable file, 2 unsupported, 3 corrupt,
// 4 too large, 5 timed out; the status and message go to stderr.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "decode/decode.h"

namespace {

using imlage::decode::Status;

int ExitCode(Status s) {
  switch (s) {
    case Status::kOk: return 0;
    case Status::kUnsupported: return 2;
    case Status::kCorrupt: return 3;
    case Status::kTooLarge: return 4;
    case Status::kTimedOut: return 5;
  }
  return 1;
}

const char* Name(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kUnsupported: return "unsupported";
    case Status::kCorrupt: return "corrupt";
    case Status::kTooLarge: return "too large";
    case Status::kTimedOut: return "timed out";
  }
  return "?";
}

bool ReadFile(const char* path, std::vector<uint8_t>* out) {
  FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return false;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

int Usage() {
  std::fprintf(stderr, "usage: decode_dump [--max-pixels P] [--timeout-ms T] [--bench N] FILE.png\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  imlage::decode::Limits limits;
  long bench = 0;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bench") == 0 && i + 1 < argc) {
      bench = std::strtol(argv[++i], nullptr, 10);
      if (bench <= 0) return Usage();
    } else if (std::strcmp(argv[i], "--max-pixels") == 0 && i + 1 < argc) {
      limits.max_pixels = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
      limits.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::strtol(argv[++i], nullptr, 10));
    } else if (path == nullptr && argv[i][0] != '-') {
      path = argv[i];
    } else {
      return Usage();
    }
  }
  if (path == nullptr) return Usage();
  std::vector<uint8_t> file;
  if (!ReadFile(path, &file)) {
    std::fprintf(stderr, "decode_dump: cannot read %s: %s\n", path, std::strerror(errno));
    return 1;
  }
  imlage::decode::Image img;
  const imlage::decode::Result r = imlage::decode::DecodePng(file.data(), file.size(), limits, &img);
  if (r.status != Status::kOk) {
    std::fprintf(stderr, "%s: %s: %s\n", path, Name(r.status), r.message.c_str());
    return ExitCode(r.status);
  }
  if (bench > 0) {
    // The decode above warmed the caches and the allocator; time the next N.
    const double start = CpuMs();
    for (long i = 0; i < bench; ++i) imlage::decode::DecodePng(file.data(), file.size(), limits, &img);
    std::printf("%d %d %.3f\n", img.width, img.height, (CpuMs() - start) / static_cast<double>(bench));
    return 0;
  }
  std::printf("%d %d\n", img.width, img.height);
  std::fflush(stdout);
  if (std::fwrite(img.pixels.data(), 1, img.pixels.size(), stdout) != img.pixels.size()) return 1;
  return std::fflush(stdout) == 0 ? 0 : 1;
}
