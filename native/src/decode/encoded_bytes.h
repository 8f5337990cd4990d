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
#include <utility>

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
    bytes_ = Free().Take(size);
    bytes_.resize(size);
    if (size > 0) std::memcpy(bytes_.data(), data, size);
  }

  // Any thread: the copy goes back to the free list (or is freed past its bounds).
  void Release() noexcept { Free().Give(std::move(bytes_)); }

  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

 private:
  static BufferStore& Free() {
    static BufferStore* free = new BufferStore(kKeptBytes, kKeptBuffers);  // never destroyed, as scratch::Store()
    return *free;
  }

  Bytes bytes_;
};

}  // namespace imlage::decode
