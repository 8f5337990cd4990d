#include "ort/session.h"

#include <atomic>
#include <cstdint>

#include "core/errors.h"

namespace imlage {
namespace {

// Set by every Session (from whichever worker thread creates it) and read by
// ValueDeleter on any thread: atomic. Every runtime's OrtApi table is the same
// static table of the one loaded library, so the last writer is as good as
// the first.
std::atomic<const OrtApi*> g_valueApi{nullptr};

struct OptionsHolder {
  const OrtApi& api;
  OrtSessionOptions* options = nullptr;
  explicit OptionsHolder(const OrtApi& a) : api(a) {}
  ~OptionsHolder() {
    if (options != nullptr) api.ReleaseSessionOptions(options);
  }
};

// Appends one execution provider. Returns "" on success, else ORT's reason.
std::string AppendProvider(const OrtApi& api, OrtSessionOptions* options, const std::string& name) {
  if (name == "cuda") {
    OrtCUDAProviderOptionsV2* cuda = nullptr;
    OrtStatus* status = api.CreateCUDAProviderOptions(&cuda);
    if (status == nullptr) {
      status = api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda);
      api.ReleaseCUDAProviderOptions(cuda);
      return TakeStatusMessage(api, status);
    }
    // Builds without CUDA compiled in (the V2 options are stubbed out there)
    // can still load the CUDA provider library through the provider bridge,
    // which the V1 entry point uses.
    std::string v2 = TakeStatusMessage(api, status);
    OrtCUDAProviderOptions v1{};
    v1.device_id = 0;
    v1.cudnn_conv_algo_search = OrtCudnnConvAlgoSearchExhaustive;
    v1.gpu_mem_limit = SIZE_MAX;
    v1.arena_extend_strategy = 0;
    v1.do_copy_in_default_stream = 1;
    std::string v1err = TakeStatusMessage(api, api.SessionOptionsAppendExecutionProvider_CUDA(options, &v1));
    return v1err.empty() ? "" : v1err + " (and: " + v2 + ")";
  }
  if (name == "tensorrt") {
    OrtTensorRTProviderOptionsV2* trt = nullptr;
    OrtStatus* status = api.CreateTensorRTProviderOptions(&trt);
    if (status != nullptr) return TakeStatusMessage(api, status);
    status = api.SessionOptionsAppendExecutionProvider_TensorRT_V2(options, trt);
    api.ReleaseTensorRTProviderOptions(trt);
    return TakeStatusMessage(api, status);
  }
  if (name == "coreml") {
    return TakeStatusMessage(
        api, api.SessionOptionsAppendExecutionProvider(options, "CoreML", nullptr, nullptr, 0));
  }
  return "unknown execution provider '" + name + "'";
}

void MakeOptions(const OrtApi& api, OptionsHolder& holder, const SessionConfig& config) {
  ThrowIfFailed(api, api.CreateSessionOptions(&holder.options), "CreateSessionOptions");
  ThrowIfFailed(api, api.SetIntraOpNumThreads(holder.options, config.intraOpThreads),
                "SetIntraOpNumThreads");
  ThrowIfFailed(api, api.SetInterOpNumThreads(holder.options, config.interOpThreads),
                "SetInterOpNumThreads");
  ThrowIfFailed(api, api.SetSessionGraphOptimizationLevel(holder.options, config.graphOptimization),
                "SetSessionGraphOptimizationLevel");
  const char* spin = config.allowSpinning ? "1" : "0";
  ThrowIfFailed(api, api.AddSessionConfigEntry(holder.options, "session.intra_op.allow_spinning", spin),
                "AddSessionConfigEntry(session.intra_op.allow_spinning)");
  ThrowIfFailed(api, api.AddSessionConfigEntry(holder.options, "session.inter_op.allow_spinning", spin),
                "AddSessionConfigEntry(session.inter_op.allow_spinning)");
}

TensorMeta ReadMeta(const OrtApi& api, OrtTypeInfo* typeInfo, std::string name) {
  TensorMeta meta;
  meta.name = std::move(name);
  const OrtTensorTypeAndShapeInfo* tensorInfo = nullptr;
  OrtStatus* status = api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo);
  if (status != nullptr || tensorInfo == nullptr) {
    TakeStatusMessage(api, status);
    return meta;  // not a tensor (sequence/map): type stays "undefined"
  }
  ThrowIfFailed(api, api.GetTensorElementType(tensorInfo, &meta.type), "GetTensorElementType");
  size_t rank = 0;
  ThrowIfFailed(api, api.GetDimensionsCount(tensorInfo, &rank), "GetDimensionsCount");
  meta.shape.resize(rank);
  if (rank > 0) {
    ThrowIfFailed(api, api.GetDimensions(tensorInfo, meta.shape.data(), rank), "GetDimensions");
  }
  for (int64_t& d : meta.shape) {
    if (d < 0) d = -1;
  }
  return meta;
}

template <typename T>
void ConvertTo(const void* src, size_t count, std::vector<float>& out) {
  const T* p = static_cast<const T*>(src);
  out.resize(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<float>(p[i]);
}

// The one allocator there is today; a GPU provider would choose a pinned one
// here (see buffer_pool.h).
std::unique_ptr<BufferPool> MakeInputPool(const OrtApi& api) {
  OrtMemoryInfo* info = nullptr;
  ThrowIfFailed(api, api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info),
                "CreateCpuMemoryInfo");
  std::unique_ptr<HostAllocator> allocator;
  try {
    allocator = std::make_unique<CpuHostAllocator>(api, info);
  } catch (...) {
    api.ReleaseMemoryInfo(info);
    throw;
  }
  return std::make_unique<BufferPool>(std::move(allocator));
}

}  // namespace

void ValueDeleter::operator()(OrtValue* v) const {
  const OrtApi* api = g_valueApi.load(std::memory_order_acquire);
  if (v != nullptr && api != nullptr) api->ReleaseValue(v);
}

const char* ElementTypeName(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16: return "uint16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16: return "int16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING: return "string";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: return "bool";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32: return "uint32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64: return "uint64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16: return "bfloat16";
    default: return "unknown";
  }
}

Session::Session(const OrtRuntime& ort, const std::string& modelPath, const void* modelBytes,
                 size_t modelLength, const SessionConfig& config)
    : api_(*ort.api) {
  g_valueApi.store(ort.api, std::memory_order_release);
  const OrtApi& api = api_;

  auto create = [&](OrtSessionOptions* options) -> OrtStatus* {
    if (modelBytes != nullptr) {
      return api.CreateSessionFromArray(ort.env, modelBytes, modelLength, options, &session_);
    }
    return api.CreateSession(ort.env, modelPath.c_str(), options, &session_);
  };
  const std::string what =
      modelBytes != nullptr ? std::string("cannot create session from model bytes")
                            : "cannot create session from " + modelPath;

  OptionsHolder holder(api);
  MakeOptions(api, holder, config);
  bool appendedAccelerator = false;
  for (const std::string& name : config.providers) {
    if (name == "cpu") break;  // CPU is implicit; later entries would never be used
    std::string reason = AppendProvider(api, holder.options, name);
    if (reason.empty()) {
      // Later providers are appended too (ORT uses them in priority order for
      // nodes the first cannot run); `provider` names the first that worked.
      if (!appendedAccelerator) provider_ = name;
      appendedAccelerator = true;
    } else {
      warnings_.push_back(name + ": " + reason);
    }
  }

  OrtStatus* status = create(holder.options);
  if (status != nullptr && appendedAccelerator) {
    // The provider was accepted but could not run this model: retry on CPU.
    warnings_.push_back(provider_ + ": " + TakeStatusMessage(api, status));
    provider_ = "cpu";
    OptionsHolder plain(api);
    MakeOptions(api, plain, config);
    status = create(plain.options);
  }
  ThrowIfFailed(api, status, what);

  try {
    ThrowIfFailed(api,
                  api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memoryInfo_),
                  "CreateCpuMemoryInfo");
    inputPool_ = MakeInputPool(api);
    OrtAllocator* allocator = nullptr;
    ThrowIfFailed(api, api.GetAllocatorWithDefaultOptions(&allocator), "GetAllocator");
    auto readAll = [&](bool input, std::vector<TensorMeta>& out) {
      size_t count = 0;
      ThrowIfFailed(api,
                    input ? api.SessionGetInputCount(session_, &count)
                          : api.SessionGetOutputCount(session_, &count),
                    "SessionGetCount");
      for (size_t i = 0; i < count; ++i) {
        char* rawName = nullptr;
        ThrowIfFailed(api,
                      input ? api.SessionGetInputName(session_, i, allocator, &rawName)
                            : api.SessionGetOutputName(session_, i, allocator, &rawName),
                      "SessionGetName");
        std::string name(rawName);
        TakeStatusMessage(api, api.AllocatorFree(allocator, rawName));
        OrtTypeInfo* typeInfo = nullptr;
        ThrowIfFailed(api,
                      input ? api.SessionGetInputTypeInfo(session_, i, &typeInfo)
                            : api.SessionGetOutputTypeInfo(session_, i, &typeInfo),
                      "SessionGetTypeInfo");
        try {
          out.push_back(ReadMeta(api, typeInfo, std::move(name)));
        } catch (...) {
          api.ReleaseTypeInfo(typeInfo);
          throw;
        }
        api.ReleaseTypeInfo(typeInfo);
      }
    };
    readAll(true, inputs_);
    readAll(false, outputs_);
  } catch (...) {
    if (memoryInfo_ != nullptr) api.ReleaseMemoryInfo(memoryInfo_);
    api.ReleaseSession(session_);
    throw;
  }
}

Session::~Session() {
  if (memoryInfo_ != nullptr) api_.ReleaseMemoryInfo(memoryInfo_);
  if (session_ != nullptr) api_.ReleaseSession(session_);
}

ValuePtr Session::WrapFloat(float* data, size_t count, const std::vector<int64_t>& shape) const {
  OrtValue* value = nullptr;
  ThrowIfFailed(api_,
                api_.CreateTensorWithDataAsOrtValue(memoryInfo_, data, count * sizeof(float),
                                                    shape.data(), shape.size(),
                                                    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &value),
                "CreateTensorWithDataAsOrtValue");
  return ValuePtr(value);
}

ValuePtr Session::WrapInput(const HostBuffer& buffer, size_t count,
                            const std::vector<int64_t>& shape) const {
  if (count > buffer.capacity()) {
    throw NativeError(code::kInvalidArg, "input tensor larger than its buffer");
  }
  OrtValue* value = nullptr;
  ThrowIfFailed(api_,
                api_.CreateTensorWithDataAsOrtValue(buffer.memoryInfo(), buffer.data(),
                                                    count * sizeof(float), shape.data(), shape.size(),
                                                    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &value),
                "CreateTensorWithDataAsOrtValue");
  return ValuePtr(value);
}

std::vector<FloatTensor> Session::Run(const std::vector<std::string>& inputNames,
                                      const std::vector<const OrtValue*>& inputValues,
                                      const std::vector<std::string>& outputNames) const {
  std::vector<const char*> inNames;
  for (const auto& n : inputNames) inNames.push_back(n.c_str());
  std::vector<const char*> outNames;
  for (const auto& n : outputNames) outNames.push_back(n.c_str());
  std::vector<OrtValue*> raw(outNames.size(), nullptr);

  OrtStatus* status = api_.Run(session_, nullptr, inNames.data(), inputValues.data(),
                               inputValues.size(), outNames.data(), outNames.size(), raw.data());
  std::vector<ValuePtr> outputs;
  for (OrtValue* v : raw) outputs.emplace_back(v);
  ThrowIfFailed(api_, status, "inference failed");

  std::vector<FloatTensor> result(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    FloatTensor& t = result[i];
    t.name = outputNames[i];
    OrtTensorTypeAndShapeInfo* info = nullptr;
    ThrowIfFailed(api_, api_.GetTensorTypeAndShape(outputs[i].get(), &info),
                  "GetTensorTypeAndShape");
    ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    size_t rank = 0;
    size_t count = 0;
    OrtStatus* s1 = api_.GetTensorElementType(info, &type);
    OrtStatus* s2 = s1 == nullptr ? api_.GetDimensionsCount(info, &rank) : nullptr;
    if (s1 == nullptr && s2 == nullptr) {
      t.shape.resize(rank);
      s2 = rank > 0 ? api_.GetDimensions(info, t.shape.data(), rank) : nullptr;
    }
    if (s1 == nullptr && s2 == nullptr) s2 = api_.GetTensorShapeElementCount(info, &count);
    api_.ReleaseTensorTypeAndShapeInfo(info);
    ThrowIfFailed(api_, s1, "GetTensorElementType");
    ThrowIfFailed(api_, s2, "GetDimensions");

    void* data = nullptr;
    ThrowIfFailed(api_, api_.GetTensorMutableData(outputs[i].get(), &data), "GetTensorMutableData");
    switch (type) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: {
        const float* p = static_cast<const float*>(data);
        t.data.assign(p, p + count);
        break;
      }
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE: ConvertTo<double>(data, count, t.data); break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: ConvertTo<int64_t>(data, count, t.data); break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: ConvertTo<int32_t>(data, count, t.data); break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: ConvertTo<uint8_t>(data, count, t.data); break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8: ConvertTo<int8_t>(data, count, t.data); break;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: ConvertTo<bool>(data, count, t.data); break;
      default:
        throw NativeError(code::kUnsupportedModel,
                          "output '" + t.name + "' has unsupported element type " +
                              ElementTypeName(type));
    }
  }
  return result;
}

}  // namespace imlage
