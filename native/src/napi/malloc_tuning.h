// Keeping glibc malloc's resident memory flat over long runs.
//
// Every thread that decodes or infers (libuv's pool, libvips, ONNX Runtime)
// gets a malloc arena of its own, and glibc raises its mmap threshold to the
// size of the largest block freed (up to 32 MiB). So after the first large
// decode, pixel buffers of a few MiB are carved from those arenas instead of
// mapped, and what is freed there stays resident: RSS creeps up over
// thousands of images. A fixed threshold sends every large buffer back to
// mmap, and munmap returns it at once; malloc_trim returns what the arenas
// hold free. Elsewhere (musl, macOS, Windows) both are no-ops.
#pragma once

#include <napi.h>

namespace imlage {

// Large blocks (pixels, tensors) are mapped from this size on.
constexpr int kMmapThresholdBytes = 1 << 20;
// Free memory at the top of a heap beyond this goes back (glibc's default).
constexpr int kTrimThresholdBytes = 128 << 10;

// Once per process, at module init: fixes glibc's mmap and trim thresholds,
// unless the user tuned either (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_,
// their glibc.malloc.* tunables) or set IMLAGE_MALLOC_TUNING=off.
void TuneMalloc();

// mallocTuning(): { allocator: "glibc" | "other", mmapThresholdBytes (null
// when imlage left it to glibc), setBy: "imlage" | "environment" | null }.
Napi::Value MallocTuning(const Napi::CallbackInfo& info);

// trimMemory(): malloc_trim(0) on a libuv thread. Resolves to { supported,
// released, rssBeforeKiB, rssAfterKiB, ms }; supported is false where the C
// library has no malloc_trim.
Napi::Value TrimMemory(const Napi::CallbackInfo& info);

}  // namespace imlage
