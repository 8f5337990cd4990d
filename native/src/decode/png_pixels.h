// PNG samples to 8-bit RGB, one unfiltered row at a time: alpha dropped,
// grey replicated, palette indices looked up, 1/2/4-bit samples unpacked.
#pragma once

#include <cstdint>

#include "decode/png_chunks.h"

namespace imlage::decode::png {

// Writes header.width RGB pixels of `row` (row_bytes, unfiltered) to rgb.
// Returns false when a palette index is past the PLTE's entries.
bool RowToRgb(const File& file, const uint8_t* row, uint8_t* rgb);

}  // namespace imlage::decode::png
