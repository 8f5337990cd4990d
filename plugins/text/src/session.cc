#include "session.h"

namespace imlage_text {

const smi_tensor& Outputs::Float(size_t i, uint32_t rank) const {
  if (list_ == nullptr || i >= list_->count || list_->tensors[i] == nullptr) {
    throw Error(SMI_ERROR_INTERNAL, "the model returned fewer outputs than expected");
  }
  const smi_tensor& t = *list_->tensors[i];
  if (t.dtype != SMI_DTYPE_FLOAT32 || t.rank != rank || t.data == nullptr) {
    throw Error(SMI_ERROR_INTERNAL, "unexpected model output (dtype " + std::to_string(t.dtype) + ", rank " +
                                        std::to_string(t.rank) + ")");
  }
  return t;
}

void Session::Fail(smi_status status, const std::string& what) const {
  throw Error(status, what + " (" + path_ + "): " + host_->get_last_error(host_->host_ctx));
}

Session::Session(const smi_host_api* host, const std::string& path) : host_(host), path_(path) {
  smi_status s = host_->session_create(host_->host_ctx, path.c_str(), &session_);
  if (s != SMI_OK) Fail(s, "cannot load model");
  try {
    smi_tensor_info info{};
    info.struct_size = sizeof(info);
    s = host_->session_input_info(host_->host_ctx, session_, 0, &info);
    if (s != SMI_OK) Fail(s, "cannot read the model's input");
    if (info.name == nullptr) throw Error(SMI_ERROR_NOT_SUPPORTED, "model input has no name (" + path_ + ")");
    input_name_ = info.name;
    smi_tensor_info out{};
    out.struct_size = sizeof(out);
    s = host_->session_output_info(host_->host_ctx, session_, 0, &out);
    if (s != SMI_OK) Fail(s, "cannot read the model's output");
    if (out.shape != nullptr) output_shape_.assign(out.shape, out.shape + out.rank);
  } catch (...) {
    host_->session_release(host_->host_ctx, session_);
    throw;
  }
}

Session::~Session() { host_->session_release(host_->host_ctx, session_); }

Outputs Session::Run(const std::vector<int64_t>& shape, std::vector<float>& data) const {
  smi_tensor input{};
  input.struct_size = sizeof(input);
  input.dtype = SMI_DTYPE_FLOAT32;
  input.name = input_name_.c_str();
  input.data = data.data();
  input.shape = shape.data();
  input.rank = static_cast<uint32_t>(shape.size());
  input.byte_size = data.size() * sizeof(float);
  const smi_tensor* inputs[] = {&input};
  smi_tensor_list* list = nullptr;
  const smi_status s = host_->session_run(host_->host_ctx, session_, inputs, 1, nullptr, 0, &list);
  if (s != SMI_OK) Fail(s, "inference failed");
  return Outputs(host_, list);
}

}  // namespace imlage_text
