// PNG row filters (PNG spec, section 9): undoing one row's filter.
#pragma once

#include <cstddef>
#include <cstdint>

namespace imlage::decode::png {

// Reverses filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) on one row
// of n bytes: dst[i] = src[i] + predictor(dst[i - bpp], prev[i], prev[i - bpp]).
// prev is the previous row, already unfiltered (all zeros for the first row).
// dst may be src (in place) or lie before it in the same buffer (rows being
// compacted); prev must not overlap dst. bpp is 1..4.
// Returns false for a filter type above 4.
bool UnfilterRow(uint8_t type, const uint8_t* src, const uint8_t* prev, uint8_t* dst, size_t n, int bpp);

}  // namespace imlage::decode::png
