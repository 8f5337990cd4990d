#include "smi/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace imlage {
namespace {

constexpr uint64_t kMaxOutputs = 1024;
constexpr uint32_t kMaxRank = 16;
constexpr uint64_t kMaxOutputElements = uint64_t{1} << 30;

// A label for messages: printable ASCII kept, other bytes as \xNN, cut at 64.
std::string Printable(const char* s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (n > 64) out += "...";
  return out;
}

std::string FormatScore(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

// An array and its count from the plugin: at most `limit` entries, NULL
// only when empty. noun names the entries, member and count_member the
// smi_image_result members.
std::string CheckArray(const void* array, uint64_t count, uint64_t limit, const char* noun, const char* member,
                       const char* count_member) {
  if (count > limit) {
    return "plugin returned " + std::to_string(count) + " " + noun + " (at most " + std::to_string(limit) +
           " are allowed)";
  }
  if (array == nullptr && count > 0) {
    return std::string("plugin returned ") + count_member + " " + std::to_string(count) + " with a NULL " + member +
           " array";
  }
  return "";
}

std::string FormatBox(const smi_region& g) {
  return "[" + FormatScore(g.x) + ", " + FormatScore(g.y) + ", " + FormatScore(g.width) + ", " +
         FormatScore(g.height) + "]";
}

// A label the header allows (non-NULL, at most SMI_MAX_LABEL_BYTES of
// UTF-8), or why not; `what` names the owner, e.g. "tag 3".
std::string CheckLabel(const char* label, const std::string& what, size_t* length) {
  if (label == nullptr) return "plugin returned a NULL label for " + what;
  const size_t n = strnlen(label, SMI_MAX_LABEL_BYTES + 1);
  if (n > SMI_MAX_LABEL_BYTES) {
    return "plugin returned a label longer than " + std::to_string(SMI_MAX_LABEL_BYTES) + " bytes for " + what;
  }
  if (!IsValidUtf8(label, n)) {
    return "plugin returned a label that is not valid UTF-8 for " + what + " ('" + Printable(label, n) + "')";
  }
  *length = n;
  return "";
}

// The box is in the pixels the plugin got; the caller wants the picture's.
// Overhanging edges are clipped first (in the plugin's pixels, where the
// image's bounds are exact), then both axes are scaled as the host stretched
// them.
std::string CheckRegion(const smi_region* g, uint64_t index, const smi_image& image, SmiRegionOut& out) {
  const std::string where = "region " + std::to_string(index);
  if (g == nullptr) return "plugin returned " + where + " as NULL";
  if (g->struct_size < SMI_REGION_V1_2_SIZE) {
    return "plugin returned " + where + " with struct_size " + std::to_string(g->struct_size) +
           " (SMI 1.2 requires at least " + std::to_string(SMI_REGION_V1_2_SIZE) + ")";
  }
  size_t n = 0;
  std::string err = CheckLabel(g->label, where, &n);
  if (!err.empty()) return err;
  const std::string named = "plugin returned " + where + " ('" + Printable(g->label, n) + "')";
  if (!std::isfinite(g->confidence) || g->confidence < 0.0f || g->confidence > 1.0f) {
    return named + " with confidence " + FormatScore(g->confidence) + " (must be within [0,1])";
  }
  if (!std::isfinite(g->x) || !std::isfinite(g->y) || !std::isfinite(g->width) || !std::isfinite(g->height)) {
    return named + " with box " + FormatBox(*g) + " (x, y, width and height must be finite)";
  }
  if (g->width < 0.0f || g->height < 0.0f) {
    return named + " with box " + FormatBox(*g) + " (width and height must not be negative)";
  }
  const double w = image.width, h = image.height;
  const double x0 = std::clamp<double>(g->x, 0, w), x1 = std::clamp<double>(double{g->x} + g->width, 0, w);
  const double y0 = std::clamp<double>(g->y, 0, h), y1 = std::clamp<double>(double{g->y} + g->height, 0, h);
  const bool scaled = image.struct_size >= SMI_IMAGE_V1_1_SIZE && image.original_width > 0 &&
                      image.original_height > 0;
  const double sx = scaled ? image.original_width / w : 1.0;
  const double sy = scaled ? image.original_height / h : 1.0;
  out.label.assign(g->label, n);
  out.confidence = g->confidence;
  out.x = x0 * sx;
  out.y = y0 * sy;
  out.width = (x1 - x0) * sx;
  out.height = (y1 - y0) * sy;
  return "";
}

std::string CheckTensor(const smi_tensor* t, uint64_t index, SmiTensorOut& out) {
  const std::string where = "plugin returned output tensor " + std::to_string(index);
  if (t == nullptr) return where + " as NULL";
  if (t->struct_size < SMI_TENSOR_V1_0_SIZE) {
    return where + " with struct_size " + std::to_string(t->struct_size) + " (SMI 1.0 requires at least " +
           std::to_string(SMI_TENSOR_V1_0_SIZE) + ")";
  }
  if (t->name != nullptr) {
    const size_t n = strnlen(t->name, SMI_MAX_LABEL_BYTES + 1);
    if (n > SMI_MAX_LABEL_BYTES || !IsValidUtf8(t->name, n)) return where + " with an invalid name";
    out.name.assign(t->name, n);
  }
  if (t->dtype != SMI_DTYPE_FLOAT32) {
    return where + " ('" + out.name + "') of dtype " + std::to_string(t->dtype) +
           "; this host accepts float32 outputs only";
  }
  if (t->rank > kMaxRank || (t->rank > 0 && t->shape == nullptr)) {
    return where + " ('" + out.name + "') with an invalid shape";
  }
  uint64_t count = 1;
  for (uint32_t d = 0; d < t->rank; ++d) {
    if (t->shape[d] < 0 || static_cast<uint64_t>(t->shape[d]) > kMaxOutputElements) {
      return where + " ('" + out.name + "') with an invalid shape";
    }
    count *= static_cast<uint64_t>(t->shape[d]);
    if (count > kMaxOutputElements) return where + " ('" + out.name + "') that is too large";
  }
  if (t->byte_size != count * sizeof(float) || (count > 0 && t->data == nullptr)) {
    return where + " ('" + out.name + "') whose byte_size " + std::to_string(t->byte_size) +
           " does not match its shape";
  }
  out.shape.assign(t->shape, t->shape + t->rank);
  const float* p = static_cast<const float*>(t->data);
  out.data.assign(p, p + count);
  return "";
}

std::string CheckRegions(const smi_image_result& r, const smi_image& image, SmiImageOutcome& out) {
  // A plugin of an older minor may have rewritten struct_size to its own
  // size: then these members are not its to set.
  if (r.struct_size < SMI_IMAGE_RESULT_V1_2_SIZE) return "";
  std::string err = CheckArray(r.regions, r.region_count, SMI_MAX_REGIONS, "regions", "regions", "region_count");
  if (!err.empty()) return err;
  out.regions.resize(static_cast<size_t>(r.region_count));
  for (uint64_t i = 0; i < r.region_count; ++i) {
    err = CheckRegion(r.regions[i], i, image, out.regions[i]);
    if (!err.empty()) return err;
  }
  std::stable_sort(out.regions.begin(), out.regions.end(),
                   [](const SmiRegionOut& a, const SmiRegionOut& b) { return a.confidence > b.confidence; });
  return "";
}

std::string Check(const smi_image_result& r, const smi_image& image, SmiImageOutcome& out) {
  std::string err = CheckArray(r.tags, r.tag_count, SMI_MAX_TAGS, "tags", "tags", "tag_count");
  if (!err.empty()) return err;
  out.tags.reserve(static_cast<size_t>(r.tag_count));
  for (uint64_t i = 0; i < r.tag_count; ++i) {
    const smi_tag& t = r.tags[i];
    size_t n = 0;
    err = CheckLabel(t.label, "tag " + std::to_string(i), &n);
    if (!err.empty()) return err;
    if (!std::isfinite(t.score) || t.score < 0.0f || t.score > 1.0f) {
      return "plugin returned score " + FormatScore(t.score) + " for label '" + Printable(t.label, n) +
             "' (must be within [0,1])";
    }
    out.tags.push_back(SmiTagOut{std::string(t.label, n), t.score});
  }
  err = CheckArray(r.outputs, r.output_count, kMaxOutputs, "output tensors", "outputs", "output_count");
  if (!err.empty()) return err;
  out.outputs.resize(static_cast<size_t>(r.output_count));
  for (uint64_t i = 0; i < r.output_count; ++i) {
    err = CheckTensor(r.outputs[i], i, out.outputs[i]);
    if (!err.empty()) return err;
  }
  return CheckRegions(r, image, out);
}

}  // namespace

bool IsValidUtf8(const char* str, size_t n) {
  const unsigned char* s = reinterpret_cast<const unsigned char*>(str);
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string StatusName(int32_t status) {
  switch (status) {
    case SMI_OK: return "SMI_OK";
    case SMI_ERROR: return "SMI_ERROR";
    case SMI_ERROR_INVALID_ARGUMENT: return "SMI_ERROR_INVALID_ARGUMENT";
    case SMI_ERROR_NOT_FOUND: return "SMI_ERROR_NOT_FOUND";
    case SMI_ERROR_NOT_SUPPORTED: return "SMI_ERROR_NOT_SUPPORTED";
    case SMI_ERROR_OUT_OF_MEMORY: return "SMI_ERROR_OUT_OF_MEMORY";
    case SMI_ERROR_BUFFER_TOO_SMALL: return "SMI_ERROR_BUFFER_TOO_SMALL";
    case SMI_ERROR_NOT_LOADED: return "SMI_ERROR_NOT_LOADED";
    case SMI_ERROR_ALREADY_EXISTS: return "SMI_ERROR_ALREADY_EXISTS";
    case SMI_ERROR_ABORTED: return "SMI_ERROR_ABORTED";
    case SMI_ERROR_INTERNAL: return "SMI_ERROR_INTERNAL";
    default: return "status " + std::to_string(status);
  }
}

void CopyResult(const smi_image_result& result, const smi_image& image, SmiImageOutcome& out) {
  out = SmiImageOutcome{};
  std::string err = Check(result, image, out);
  if (!err.empty()) {
    out = SmiImageOutcome{};
    out.error = std::move(err);
  }
}

}  // namespace imlage
