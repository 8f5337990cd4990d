// CRNN-style (SVTR) line recognition, PP-OCRv4 rec model: crops resized to
// height 48 keeping their aspect, padded to a common width, then CTC.
#pragma once

#include <vector>

#include "common.h"
#include "ctc.h"
#include "session.h"

namespace imlage_text {

struct RecParams {
  int height = 48;
  int min_width = 320;   // PaddleOCR's rec_image_shape width: narrower crops are padded
  int max_width = 1600;  // wider crops are squeezed to this
  int batch = 6;         // PaddleOCR's rec_batch_num
};

// One Line per crop, in the same order. Empty crops give empty lines.
std::vector<Line> Recognize(const Session& rec, const Charset& charset, const std::vector<BgrImage>& crops,
                            const RecParams& p);

}  // namespace imlage_text
