// An ONNX Runtime session run by the host (smi_host_api session services),
// with RAII release. Run() may be called from several threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace imlage_text {

// The host-owned outputs of one run; released on destruction.
class Outputs {
 public:
  Outputs(const smi_host_api* host, smi_tensor_list* list) : host_(host), list_(list) {}
  ~Outputs() { host_->tensors_release(host_->host_ctx, list_); }
  Outputs(const Outputs&) = delete;
  Outputs& operator=(const Outputs&) = delete;

  // Output i, checked to be float32 of the given rank.
  const smi_tensor& Float(size_t i, uint32_t rank) const;

 private:
  const smi_host_api* host_;
  smi_tensor_list* list_;
};

class Session {
 public:
  // Throws Error with the host's message if the model cannot be loaded.
  Session(const smi_host_api* host, const std::string& path);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Feeds one float32 tensor to the model's first input; returns all outputs.
  Outputs Run(const std::vector<int64_t>& shape, std::vector<float>& data) const;
  // Static size of dimension dim of output 0, or -1 if dynamic/unknown.
  int64_t OutputDim(uint32_t dim) const { return dim < output_shape_.size() ? output_shape_[dim] : -1; }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void Fail(smi_status status, const std::string& what) const;

  const smi_host_api* host_;
  smi_session* session_ = nullptr;
  std::string path_;
  std::string input_name_;
  std::vector<int64_t> output_shape_;
};

}  // namespace imlage_text
