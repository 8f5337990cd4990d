// Reusable host buffers for model inputs, behind an allocator seam.
//
// Why a pool: every run used to allocate (and zero) a fresh batch buffer of
// up to tens of MB; with a pool, steady-state runs reuse the same pages and
// the allocator is not hit at all.
//
// Why an allocator interface: today the buffers are plain 64-byte aligned CPU
// memory (CpuHostAllocator). A GPU session wants pinned (page-locked) staging
// memory instead, so that ORT's host->device copy of the input is a DMA
// rather than a bounce through a pageable buffer. That is a second
// HostAllocator: Allocate/Free call cudaHostAlloc/cudaFreeHost, or wrap the
// OrtAllocator that OrtApi::CreateAllocator(session, info) returns for
// info = CreateMemoryInfo("CudaPinned", OrtDeviceAllocator, 0,
// OrtMemTypeCPUOutput) on a CUDA session; MemoryInfo() returns that info.
// Session chooses the allocator once it knows its provider; the pool, the run
// worker, the JS API and the plugin API stay as they are, since tensors are
// created with CreateTensorWithDataAsOrtValue from whatever MemoryInfo()
// says. A device ("Cuda") allocator fits the same seam, but preprocessing
// writes through a host float*, so it would sit behind a pinned staging
// buffer rather than replace it.
//
// Header-only so that the build lists (CMakeLists.txt, binding.gyp) need no
// change; everything here is small.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "onnxruntime_c_api.h"

namespace imlage {

class HostAllocator {
 public:
  virtual ~HostAllocator() = default;
  // Throws std::bad_alloc (or NativeError) on failure; never returns null.
  virtual void* Allocate(size_t bytes) = 0;
  virtual void Free(void* p) noexcept = 0;
  // Describes where Allocate()'s memory lives, for CreateTensorWithDataAsOrtValue.
  virtual const OrtMemoryInfo* MemoryInfo() const = 0;
};

// Pageable CPU memory, 64-byte aligned (a cache line, and the widest SIMD
// load ORT's CPU kernels use), described by the same CPU memory info that
// caller-owned tensors get.
class CpuHostAllocator final : public HostAllocator {
 public:
  static constexpr size_t kAlign = 64;
  // Takes ownership of info (released with api).
  CpuHostAllocator(const OrtApi& api, OrtMemoryInfo* info) : api_(api), info_(info) {}
  ~CpuHostAllocator() override { api_.ReleaseMemoryInfo(info_); }
  CpuHostAllocator(const CpuHostAllocator&) = delete;
  CpuHostAllocator& operator=(const CpuHostAllocator&) = delete;

  void* Allocate(size_t bytes) override { return ::operator new(bytes, std::align_val_t{kAlign}); }
  void Free(void* p) noexcept override { ::operator delete(p, std::align_val_t{kAlign}); }
  const OrtMemoryInfo* MemoryInfo() const override { return info_; }

 private:
  const OrtApi& api_;
  OrtMemoryInfo* info_;
};

class BufferPool;

// A leased buffer of at least the requested number of floats. Returns itself
// to the pool when destroyed; must not outlive the pool (the Session).
class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(BufferPool* pool, float* data, size_t capacity)
      : pool_(pool), data_(data), capacity_(capacity) {}
  HostBuffer(HostBuffer&& o) noexcept
      : pool_(std::exchange(o.pool_, nullptr)), data_(std::exchange(o.data_, nullptr)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  HostBuffer& operator=(HostBuffer&& o) noexcept {
    if (this != &o) {
      Reset();
      pool_ = std::exchange(o.pool_, nullptr);
      data_ = std::exchange(o.data_, nullptr);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  ~HostBuffer() { Reset(); }

  float* data() const { return data_; }
  size_t capacity() const { return capacity_; }  // in floats
  const OrtMemoryInfo* memoryInfo() const;

 private:
  void Reset() noexcept;
  BufferPool* pool_ = nullptr;
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

// Thread-safe: concurrent runs of one session lease from the same pool.
class BufferPool {
 public:
  // At most kMaxFree idle buffers are kept: enough for the few runs of one
  // session that overlap in practice, not so many that idle memory adds up.
  static constexpr size_t kMaxFree = 4;
  // An idle buffer more than kSlack times the recent peak request is freed, so
  // one huge batch does not pin its memory for the session's lifetime.
  static constexpr size_t kSlack = 2;

  explicit BufferPool(std::unique_ptr<HostAllocator> allocator) : allocator_(std::move(allocator)) {
    free_.reserve(kMaxFree);  // so that Release() never allocates
  }
  ~BufferPool() {
    for (const Block& b : free_) allocator_->Free(b.data);
  }
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  const HostAllocator& allocator() const { return *allocator_; }

  HostBuffer Acquire(size_t floats) {
    // Whole cache lines, so that near-equal requests share buffers.
    constexpr size_t kLine = CpuHostAllocator::kAlign / sizeof(float);
    const size_t want = std::max<size_t>(kLine, (floats + kLine - 1) / kLine * kLine);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The peak decays by 1/8 per lease, so after a few dozen smaller runs
      // a past spike no longer counts as "recent".
      peak_ = std::max(want, peak_ - peak_ / 8);
      auto best = free_.end();
      for (auto it = free_.begin(); it != free_.end(); ++it) {
        if (it->capacity >= want && (best == free_.end() || it->capacity < best->capacity)) best = it;
      }
      if (best != free_.end()) {
        Block b = *best;
        free_.erase(best);
        return HostBuffer(this, b.data, b.capacity);
      }
    }
    // Allocated outside the lock: it may be slow (pinned memory especially).
    return HostBuffer(this, static_cast<float*>(allocator_->Allocate(want * sizeof(float))), want);
  }

  size_t idleCount() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.size();
  }

 private:
  friend class HostBuffer;
  struct Block {
    float* data;
    size_t capacity;
  };

  void Release(float* data, size_t capacity) noexcept {
    std::array<float*, kMaxFree + 1> drop{};
    size_t dropped = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const size_t limit = peak_ * kSlack;
      for (auto it = free_.begin(); it != free_.end();) {
        if (it->capacity > limit) {
          drop[dropped++] = it->data;
          it = free_.erase(it);
        } else {
          ++it;
        }
      }
      if (capacity > limit || free_.size() >= kMaxFree) {
        drop[dropped++] = data;
      } else {
        free_.push_back({data, capacity});
      }
    }
    for (size_t i = 0; i < dropped; ++i) allocator_->Free(drop[i]);
  }

  std::unique_ptr<HostAllocator> allocator_;
  mutable std::mutex mutex_;
  std::vector<Block> free_;
  size_t peak_ = 0;  // recent peak request, in floats
};

inline const OrtMemoryInfo* HostBuffer::memoryInfo() const { return pool_->allocator().MemoryInfo(); }

inline void HostBuffer::Reset() noexcept {
  if (pool_ != nullptr && data_ != nullptr) pool_->Release(data_, capacity_);
  pool_ = nullptr;
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace imlage
