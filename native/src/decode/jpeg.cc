// DecodeJpeg: libjpeg-turbo at the smallest DCT scale that keeps the target
// size, a progressive JPEG stopped as soon as that scale has what it reads.
//
// Failures leave libjpeg through longjmp (error_exit, and the progress
// monitor for the time limit): libjpeg is C, so a C++ exception must not
// unwind its frames. Nothing between setjmp and a longjmp owns a resource
// whose destructor would be skipped; everything owned lives in the caller's
// frame (Job), set up before setjmp.
//
// The error manager is our own, not jpeg_std_error(): jerror.c is the one
// object of Debian's libjpeg.a that is not position-independent (its default
// output_message writes to stderr), and leaving it out lets the archive link
// into the addon. The message table comes from jerror.h, as jerror.c builds it.
#include "decode/decode.h"

#if defined(IMLAGE_HAVE_JPEG) && IMLAGE_HAVE_JPEG

// jpeglib.h needs size_t and FILE declared first.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>
#include <jerror.h>

#include <csetjmp>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#define IMLAGE_STR2(x) #x
#define IMLAGE_STR(x) IMLAGE_STR2(x)

namespace imlage::decode {
namespace {

// jversion.h, which jerror.c has for these two, is not installed; neither message is ever shown.
#define JVERSION "libjpeg-turbo"
#define JCOPYRIGHT_SHORT "libjpeg-turbo"
#define JMESSAGE(code, string) string,
const char* const kMessages[] = {
#include <jerror.h>
    nullptr};

struct Job {
  jpeg_error_mgr err{};
  jpeg_progress_mgr progress{};
  std::jmp_buf jump{};
  const Limits* limits = nullptr;
  Status status = Status::kCorrupt;
  char message[JMSG_LENGTH_MAX + 64] = {0};
};

Job& JobOf(j_common_ptr cinfo) { return *reinterpret_cast<Job*>(cinfo->err); }

[[noreturn]] void Fail(j_common_ptr cinfo, Status status) {
  Job& job = JobOf(cinfo);
  job.status = status;
  std::longjmp(job.jump, 1);
}

[[noreturn]] void ErrorExit(j_common_ptr cinfo) {
  Job& job = JobOf(cinfo);
  (*cinfo->err->format_message)(cinfo, job.message);
  Fail(cinfo, Status::kCorrupt);
}

// Warnings that lose no pixel; the same list as HARMLESS in
// src/engine/vips-message.ts. Any other warning means missing or wrong
// pixels (a scan cut short, a bad Huffman code, a lost restart marker), and
// the decode fails as the sharp path's failOn 'warning' makes it fail.
bool Harmless(int code) {
  switch (code) {
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_JFIF_MAJOR:
    case JWRN_ADOBE_XFORM:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_ICC:
      return true;
    default:
      return false;
  }
}

void EmitMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  if (Harmless(cinfo->err->msg_code)) return;
  Job& job = JobOf(cinfo);
  (*cinfo->err->format_message)(cinfo, job.message);
  Fail(cinfo, Status::kCorrupt);
}

void OutputMessage(j_common_ptr) {}  // libjpeg would print to stderr

void FormatMessage(j_common_ptr cinfo, char* buffer) {
  const jpeg_error_mgr& err = *cinfo->err;
  const int code = err.msg_code;
  const char* text = code > 0 && code <= err.last_jpeg_message ? err.jpeg_message_table[code] : nullptr;
  if (text == nullptr) {
    std::snprintf(buffer, JMSG_LENGTH_MAX, "libjpeg error %d", code);
    return;
  }
  const char* pct = std::strchr(text, '%');
  if (pct != nullptr && pct[1] == 's') {
    std::snprintf(buffer, JMSG_LENGTH_MAX, text, err.msg_parm.s);
  } else {
    const int* i = err.msg_parm.i;
    std::snprintf(buffer, JMSG_LENGTH_MAX, text, i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]);
  }
}

void ResetErrorMgr(j_common_ptr cinfo) {
  cinfo->err->num_warnings = 0;
  cinfo->err->msg_code = 0;
}

// Called by libjpeg about once per row of MCUs, in input and output passes.
void Progress(j_common_ptr cinfo) {
  Job& job = JobOf(cinfo);
  if (job.limits->Stopped()) {
    std::snprintf(job.message, sizeof job.message, "stopped: time limit reached");
    Fail(cinfo, Status::kTimedOut);
  }
}

// Whether a progressive JPEG has what a 1/8 decode reads, so the rest of
// its scans can be skipped. libjpeg's 1×1 IDCT reads only the DC
// coefficient; a subsampled chroma component gets a 2×2 IDCT there only to
// upsample itself, and its missing AC terms are estimated by libjpeg's block
// smoothing (chroma is interpolated anyway). DC is accepted one bit short of
// full precision (Al = 1, where libjpeg's standard progression first sends
// it; the last bit comes only after most of the AC data): that bit moves a
// block's mean by less than its DC quantisation step / 8, under one level
// for quality 75 and up. At larger scales every scan is read: the reduced
// IDCTs read AC coefficients, and a scan may overwrite an earlier one's.
bool HaveWhatScaleNeeds(const jpeg_decompress_struct& c) {
  if (!c.progressive_mode || c.coef_bits == nullptr || c.min_DCT_scaled_size != 1) return false;
  // coef_bits[component][k]: the precision (Al) coefficient k (zig-zag
  // order, DC first) has so far; 0 is complete, -1 not yet seen.
  for (int ci = 0; ci < c.num_components; ++ci) {
    const int al = c.coef_bits[ci][0];
    if (al < 0 || al > 1) return false;
  }
  return true;
}

// Smallest n (of n/8) with both output sides >= the minimum; libjpeg rounds up.
int PickScale(int width, int height, int minW, int minH) {
  for (int n = 1; n < 8; ++n) {
    const long w = (static_cast<long>(width) * n + 7) / 8;
    const long h = (static_cast<long>(height) * n + 7) / 8;
    if (w >= minW && h >= minH) return n;
  }
  return 8;
}

void ReadRows(jpeg_decompress_struct& c, Image* out) {
  const size_t stride = static_cast<size_t>(c.output_width) * 3;
  while (c.output_scanline < c.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(c.output_scanline) * stride;
    jpeg_read_scanlines(&c, &row, 1);
  }
}

// The decode proper. No object with a destructor may live in this frame:
// longjmp returns to the setjmp below.
Status Run(jpeg_decompress_struct& c, Job& job, const uint8_t* data, size_t size, int minW, int minH, Image* out) {
  if (setjmp(job.jump)) return job.status;
  jpeg_create_decompress(&c);
  c.progress = &job.progress;
  jpeg_mem_src(&c, data, static_cast<unsigned long>(size));
  jpeg_read_header(&c, TRUE);
  if (c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK ||
      (c.num_components != 1 && c.num_components != 3)) {
    std::snprintf(job.message, sizeof job.message, "%d-component (CMYK or YCCK) JPEG", c.num_components);
    return Status::kUnsupported;
  }
  if (c.data_precision != 8) {
    std::snprintf(job.message, sizeof job.message, "%d-bit JPEG", c.data_precision);
    return Status::kUnsupported;
  }
  const uint64_t pixels = static_cast<uint64_t>(c.image_width) * c.image_height;
  if (pixels > job.limits->max_pixels) {
    std::snprintf(job.message, sizeof job.message, "%ux%u is more than %llu pixels", c.image_width, c.image_height,
                  static_cast<unsigned long long>(job.limits->max_pixels));
    return Status::kTooLarge;
  }
  c.out_color_space = JCS_RGB;
  c.scale_num = static_cast<unsigned>(minW > 0 || minH > 0 ? PickScale(static_cast<int>(c.image_width),
                                                                          static_cast<int>(c.image_height), minW, minH)
                                                             : 8);
  c.scale_denom = 8;
  const bool buffered = jpeg_has_multiple_scans(&c);
  c.buffered_image = buffered ? TRUE : FALSE;
  jpeg_start_decompress(&c);
  out->width = static_cast<int>(c.output_width);
  out->height = static_cast<int>(c.output_height);
  try {
    const size_t bytes = static_cast<size_t>(c.output_width) * c.output_height * 3;
    if (out->pixels.capacity() < bytes) {
      scratch::Give(std::move(out->pixels));
      out->pixels = scratch::Take(bytes);
    }
    out->pixels.resize(bytes);
  } catch (const std::bad_alloc&) {
    // Returned, not thrown: the caller must still destroy the decompressor.
    std::snprintf(job.message, sizeof job.message, "not enough memory for %ux%u pixels", c.output_width, c.output_height);
    return Status::kTooLarge;
  }
  if (!buffered) {
    ReadRows(c, out);
    jpeg_finish_decompress(&c);
    return Status::kOk;
  }
  // jpeg_read_header stopped at the first scan's header.
  int scans = 1;
  for (;;) {
    Progress(reinterpret_cast<j_common_ptr>(&c));
    const int r = jpeg_consume_input(&c);
    if (r == JPEG_REACHED_EOI) break;
    if (r == JPEG_SUSPENDED) {
      // jpeg_mem_src never suspends: it inserts an EOI (with a warning) at the end.
      std::snprintf(job.message, sizeof job.message, "the JPEG data ends early");
      return Status::kCorrupt;
    }
    if (r == JPEG_REACHED_SOS && ++scans > job.limits->max_scans) {
      std::snprintf(job.message, sizeof job.message, "the JPEG has more than %d scans (%d read so far)",
                    job.limits->max_scans, scans);
      return Status::kCorrupt;
    }
    if (r == JPEG_SCAN_COMPLETED && HaveWhatScaleNeeds(c)) break;
  }
  jpeg_start_output(&c, c.input_scan_number);
  ReadRows(c, out);
  jpeg_finish_output(&c);
  return Status::kOk;
}

}  // namespace

Result DecodeJpeg(const uint8_t* data, size_t size, int min_width, int min_height, const Limits& limits, Image* out) {
  jpeg_decompress_struct c{};
  Job job;
  job.limits = &limits;
  job.err.error_exit = ErrorExit;
  job.err.emit_message = EmitMessage;
  job.err.output_message = OutputMessage;
  job.err.format_message = FormatMessage;
  job.err.reset_error_mgr = ResetErrorMgr;
  job.err.jpeg_message_table = kMessages;
  job.err.last_jpeg_message = static_cast<int>(JMSG_LASTMSGCODE) - 1;
  c.err = &job.err;
  job.progress.progress_monitor = Progress;
  if (limits.Stopped()) return {Status::kTimedOut, "stopped: time limit reached"};
  const Status status = Run(c, job, data, size, min_width, min_height, out);
  jpeg_destroy_decompress(&c);
  if (status != Status::kOk) {
    out->pixels.clear();
    out->width = out->height = 0;
    return {status, job.message};
  }
  return {};
}

const char* JpegVersion() {
#ifdef LIBJPEG_TURBO_VERSION
  return IMLAGE_STR(LIBJPEG_TURBO_VERSION);
#else
  return "unknown";
#endif
}

}  // namespace imlage::decode

#else  // built without libjpeg-turbo: every JPEG goes to libvips

namespace imlage::decode {

Result DecodeJpeg(const uint8_t*, size_t, int, int, const Limits&, Image*) {
  return {Status::kUnsupported, "this build has no JPEG decoder (libjpeg-turbo was not found when it was built)"};
}

const char* JpegVersion() { return nullptr; }

}  // namespace imlage::decode

#endif
