#include "plugin/results.h"

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

std::string Check(const smi_image_result& r, SmiImageOutcome& out) {
  if (r.tag_count > SMI_MAX_TAGS) {
    return "plugin returned " + std::to_string(r.tag_count) + " tags (at most " +
           std::to_string(SMI_MAX_TAGS) + " are allowed)";
  }
  if (r.tags == nullptr && r.tag_count > 0) {
    return "plugin returned tag_count " + std::to_string(r.tag_count) + " with a NULL tags array";
  }
  out.tags.reserve(static_cast<size_t>(r.tag_count));
  for (uint64_t i = 0; i < r.tag_count; ++i) {
    const smi_tag& t = r.tags[i];
    if (t.label == nullptr) return "plugin returned a NULL label for tag " + std::to_string(i);
    const size_t n = strnlen(t.label, SMI_MAX_LABEL_BYTES + 1);
    if (n > SMI_MAX_LABEL_BYTES) {
      return "plugin returned a label longer than " + std::to_string(SMI_MAX_LABEL_BYTES) +
             " bytes for tag " + std::to_string(i);
    }
    if (!IsValidUtf8(t.label, n)) {
      return "plugin returned a label that is not valid UTF-8 for tag " + std::to_string(i) + " ('" +
             Printable(t.label, n) + "')";
    }
    if (!std::isfinite(t.score) || t.score < 0.0f || t.score > 1.0f) {
      return "plugin returned score " + FormatScore(t.score) + " for label '" + Printable(t.label, n) +
             "' (must be within [0,1])";
    }
    out.tags.push_back(SmiTagOut{std::string(t.label, n), t.score});
  }
  if (r.output_count > kMaxOutputs) {
    return "plugin returned " + std::to_string(r.output_count) + " output tensors (at most " +
           std::to_string(kMaxOutputs) + " are allowed)";
  }
  if (r.outputs == nullptr && r.output_count > 0) {
    return "plugin returned output_count " + std::to_string(r.output_count) + " with a NULL outputs array";
  }
  out.outputs.resize(static_cast<size_t>(r.output_count));
  for (uint64_t i = 0; i < r.output_count; ++i) {
    std::string err = CheckTensor(r.outputs[i], i, out.outputs[i]);
    if (!err.empty()) return err;
  }
  return "";
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

void CopyResult(const smi_image_result& result, SmiImageOutcome& out) {
  out = SmiImageOutcome{};
  std::string err = Check(result, out);
  if (!err.empty()) {
    out = SmiImageOutcome{};
    out.error = std::move(err);
  }
}

}  // namespace imlage
