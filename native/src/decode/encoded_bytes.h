// The copy of a file's encoded bytes a decode task holds (issue #9, fast
// mode's CPU). A task copies the bytes on the JS thread (a JS buffer can be
// detached while a decode thread reads it) and drops them on a decode thread
// once decoded; above glibc's mmap threshold (1 MiB, malloc_tuning.cc) each
// copy was a fresh mapping, page-faulted for every file. The copies now come
// from one process-wide free list, bounded like the decoders' scratch:
// at most kKeptBuffers buffers of kKeptBytes in all are kept, a larger file's
// copy is freed when done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "decode/scratch.h"

namespace imlage::decode {

class EncodedBytes {
 public:
  static constexpr size_t kKeptBytes = size_t{16} << 20;
  static constexpr size_t kKeptBuffers = 4;

  EncodedBytes() = default;
  ~EncodedBytes() { Release(); }
  EncodedBytes(const EncodedBytes&) = delete;
  EncodedBytes& operator=(const EncodedBytes&) = delete;

  // Any thread: a copy of data[0, size), in a kept buffer when one is large enough.
  void Assign(const uint8_t* data, size_t size) {
    Release();
    {
      std::lock_guard<std::mutex> lock(Mu());
      std::vector<Bytes>& free = Free();
      size_t best = free.size();
      for (size_t i = 0; i < free.size(); ++i) {
        if (free[i].capacity() >= size && (best == free.size() || free[i].capacity() < free[best].capacity())) best = i;
      }
      if (best < free.size()) {
        bytes_ = std::move(free[best]);
        free.erase(free.begin() + static_cast<std::ptrdiff_t>(best));
      }
    }
    bytes_.resize(size);
    if (size > 0) std::memcpy(bytes_.data(), data, size);
  }

  // Any thread: the copy goes back to the free list (or is freed past its bounds).
  void Release() noexcept {
    if (bytes_.capacity() == 0) return;
    Bytes b = std::move(bytes_);
    bytes_ = Bytes();
    if (b.capacity() > kKeptBytes) return;
    std::lock_guard<std::mutex> lock(Mu());
    std::vector<Bytes>& free = Free();
    try {
      free.push_back(std::move(b));
    } catch (...) {
      return;  // b is freed
    }
    for (;;) {
      size_t total = 0;
      size_t smallest = 0;
      size_t largest = 0;
      for (size_t i = 0; i < free.size(); ++i) {
        total += free[i].capacity();
        if (free[i].capacity() < free[smallest].capacity()) smallest = i;
        if (free[i].capacity() > free[largest].capacity()) largest = i;
      }
      if (free.size() > kKeptBuffers) {
        free.erase(free.begin() + static_cast<std::ptrdiff_t>(smallest));
      } else if (total > kKeptBytes) {
        free.erase(free.begin() + static_cast<std::ptrdiff_t>(largest));
      } else {
        return;
      }
    }
  }

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  static std::mutex& Mu() {
    static std::mutex mu;
    return mu;
  }
  static std::vector<Bytes>& Free() {
    static std::vector<Bytes> free;
    return free;
  }

  Bytes bytes_;
};

}  // namespace imlage::decode
