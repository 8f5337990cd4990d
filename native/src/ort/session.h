// An ORT inference session: options, execution-provider selection, model
// metadata and Run(). Pure native code, usable from worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ort/buffer_pool.h"
#include "ort/loader.h"

namespace imlage {

struct TensorMeta {
  std::string name;
  std::vector<int64_t> shape;  // -1 for dynamic dimensions
  ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
};

const char* ElementTypeName(ONNXTensorElementDataType type);

struct SessionConfig {
  int intraOpThreads = 0;
  int interOpThreads = 0;
  GraphOptimizationLevel graphOptimization = ORT_ENABLE_ALL;
  // ORT's worker threads spin while waiting for work by default. In a
  // pipeline where decoding shares the cores, spinning takes CPU from the
  // decoders, so it is off unless asked for.
  bool allowSpinning = false;
  std::vector<std::string> providers;  // tried in order; CPU is always the fallback
};

// Owns an OrtValue and releases it.
struct ValueDeleter {
  void operator()(OrtValue* v) const;
};
using ValuePtr = std::unique_ptr<OrtValue, ValueDeleter>;

// An output tensor copied out of ORT as float32 (other numeric types converted).
struct FloatTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// "[1,3,224,224]": how error messages show a tensor's shape. Inline, so the
// fuzz targets that compile postprocess.cc alone need no session.cc.
inline std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

class Session {
 public:
  // Model from a file path, or from bytes when modelBytes is non-null.
  // Throws NativeError. Runs on any thread.
  Session(const OrtRuntime& ort, const std::string& modelPath, const void* modelBytes,
          size_t modelLength, const SessionConfig& config);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::vector<TensorMeta>& inputs() const { return inputs_; }
  const std::vector<TensorMeta>& outputs() const { return outputs_; }
  const std::string& provider() const { return provider_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Wraps caller-owned float data (not copied; must outlive the value).
  ValuePtr WrapFloat(float* data, size_t count, const std::vector<int64_t>& shape) const;

  // A reusable buffer for building an input batch in place, from this
  // session's pool; its memory (CPU today, pinned for a GPU provider later)
  // is whatever the pool's allocator provides. Thread-safe.
  HostBuffer AcquireInput(size_t floats) const { return inputPool_->Acquire(floats); }
  // Wraps the first count floats of a leased buffer (which must outlive the value).
  ValuePtr WrapInput(const HostBuffer& buffer, size_t count, const std::vector<int64_t>& shape) const;

  // Runs with the given inputs (names parallel to values) and returns the
  // requested outputs converted to float. Thread-safe (ORT allows concurrent Run).
  std::vector<FloatTensor> Run(const std::vector<std::string>& inputNames,
                               const std::vector<const OrtValue*>& inputValues,
                               const std::vector<std::string>& outputNames) const;

 private:
  const OrtApi& api_;
  OrtSession* session_ = nullptr;
  OrtMemoryInfo* memoryInfo_ = nullptr;
  std::unique_ptr<BufferPool> inputPool_;  // internally synchronised, hence usable from const Run paths
  std::vector<TensorMeta> inputs_;
  std::vector<TensorMeta> outputs_;
  std::string provider_ = "cpu";
  std::vector<std::string> warnings_;
};

}  // namespace imlage
