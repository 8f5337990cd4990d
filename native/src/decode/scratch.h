// Buffers the decoders keep between images (issue #9, fast mode's CPU).
//
// Why: the addon sets glibc's mmap threshold to 1 MiB (malloc_tuning.cc, for
// an RSS that stays flat over long runs), so every buffer of 1 MiB or more
// (a full-size PNG, a JPEG at its DCT scale, the joined IDAT stream) was a
// fresh mmap, page-faulted and zero-filled again for every image, and
// unmapped after it: a quarter of fast mode's CPU went to the kernel. A
// decoder now takes its large buffers from here and gives them back when
// the image is done, so in steady state a decode allocates nothing large.
//
// Bounded, for the whole process (every decode thread together): at most
// kKeptBuffers buffers of kKeptBytes in all are kept (BufferStore); past that
// the largest goes, so one 100-megapixel PNG does not leave its 300 MB resident. What is
// kept is memory a decode was using a moment before: it raises the resident
// set between images, not the peak of a decode.
//
// Header-only (inline functions, one list for the whole program): the fuzz
// targets and decode_dump build the decoders from their sources alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace imlage::decode {

// An allocator whose resize() leaves new bytes uninitialised: every byte of
// a decode buffer is written by the decoder before it is read, so zeroing it
// first is wasted work.
template <typename T>
struct NoInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <typename U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using Bytes = std::vector<uint8_t, NoInitAllocator<uint8_t>>;

// A bounded store of buffers: at most max_buffers buffers of max_bytes in
// all are kept; past that the largest goes (too many: the smallest). Any
// thread may Take and Give.
class BufferStore {
 public:
  BufferStore(size_t max_bytes, size_t max_buffers) : maxBytes_(max_bytes), maxBuffers_(max_buffers) {}

  // An empty buffer, with the capacity of the smallest kept one that holds
  // `bytes` (else the largest kept one, or none): resize() it to what is needed.
  Bytes Take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t best = kept_.size();
    for (size_t i = 0; i < kept_.size(); ++i) {
      const size_t c = kept_[i].capacity();
      if (best == kept_.size()) {
        best = i;
        continue;
      }
      const size_t b = kept_[best].capacity();
      const bool fits = c >= bytes;
      const bool bestFits = b >= bytes;
      if ((fits && (!bestFits || c < b)) || (!fits && !bestFits && c > b)) best = i;
    }
    if (best == kept_.size()) return Bytes();
    Bytes out = std::move(kept_[best]);
    kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(best));
    out.clear();
    return out;
  }

  // Keeps `b` for a later Take, or frees it when more would then be kept
  // than the bounds allow. Never throws (destructors call it): without the
  // memory to note it, b is freed.
  void Give(Bytes&& b) noexcept {
    if (b.capacity() == 0) return;
    if (b.capacity() > maxBytes_) {
      Bytes().swap(b);
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    try {
      kept_.push_back(std::move(b));
    } catch (...) {
      Bytes().swap(b);
      return;
    }
    for (;;) {
      size_t total = 0;
      size_t smallest = 0;
      size_t largest = 0;
      for (size_t i = 0; i < kept_.size(); ++i) {
        total += kept_[i].capacity();
        if (kept_[i].capacity() < kept_[smallest].capacity()) smallest = i;
        if (kept_[i].capacity() > kept_[largest].capacity()) largest = i;
      }
      if (kept_.size() > maxBuffers_) {
        kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(smallest));
      } else if (total > maxBytes_) {
        kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(largest));
      } else {
        return;
      }
    }
  }

 private:
  const size_t maxBytes_;
  const size_t maxBuffers_;
  std::mutex mu_;
  std::vector<Bytes> kept_;
};

namespace scratch {

// What the decoders keep, in all, and how many buffers.
constexpr size_t kKeptBytes = size_t{64} << 20;
constexpr size_t kKeptBuffers = 8;

inline BufferStore& Store() {
  static BufferStore* store = new BufferStore(kKeptBytes, kKeptBuffers);  // never destroyed: decode threads may outlive static destructors
  return *store;
}

inline Bytes Take(size_t bytes) { return Store().Take(bytes); }
inline void Give(Bytes&& b) noexcept { Store().Give(std::move(b)); }

}  // namespace scratch
}  // namespace imlage::decode
