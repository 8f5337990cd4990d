// The text (OCR) plugin: PP-OCRv4 detection + recognition through the
// host's ONNX Runtime sessions. This file holds the SMI entry points, the
// plugin state, the tags and (SMI 1.2) the regions, each kept line's box;
// detector.cc, recognizer.cc, ctc.cc and geometry.cc hold the pipeline.
//
// Models: one [[models]] entry whose files are, in order, the detection
// model, the recognition model and the character list (ppocr_keys_v1.txt).
// Its config table may set limit_side, thresh, box_thresh, unclip_ratio,
// rec_max_width and rec_batch. Plugin settings: min_score, max_lines.
//
// Threading: sessions are shared and may run concurrently; everything an
// inference needs lives on its own stack, models change only in the
// exclusive lifecycle calls, and the last error is per thread, so the
// plugin declares SMI_PLUGIN_THREAD_SAFE. One instance per process: the SMI
// context is the library's, so a second initialize() before cleanup() is
// refused.
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "ctc.h"
#include "detector.h"
#include "json.h"
#include "recognizer.h"
#include "session.h"

namespace imlage_text {
namespace {

const char kName[] = "text";
const char kVersion[] = "1.0.0";

thread_local std::string t_last_error;

struct Model {
  std::vector<std::string> files;  // det, rec, keys
  DetParams det;
  RecParams rec;
  std::unique_ptr<Session> det_session;
  std::unique_ptr<Session> rec_session;
  Charset charset;
};

struct State {
  const smi_host_api* host = nullptr;
  float min_score = 0.5f;
  int max_lines = 20;
  std::map<std::string, std::unique_ptr<Model>> models;
};

State* g_state = nullptr;

// What a result's plugin_data points at; freed in release_results.
struct ResultData {
  std::vector<std::string> labels;
  std::vector<smi_tag> tags;
  // SMI 1.2: each kept line's box, labelled with its text (labels of the
  // regions live in region_labels; the pointers are set once both are full).
  std::vector<std::string> region_labels;
  std::vector<smi_region> regions;
  std::vector<const smi_region*> region_ptrs;
  std::string error;
};

template <typename F>
smi_status Guard(F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    t_last_error = e.what();
    return e.status();
  } catch (const std::bad_alloc&) {
    t_last_error = "out of memory";
    return SMI_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    t_last_error = e.what();
    return SMI_ERROR_INTERNAL;
  } catch (...) {
    t_last_error = "unknown exception";
    return SMI_ERROR_INTERNAL;
  }
}

State& Live() {
  if (g_state == nullptr) throw Error(SMI_ERROR_INTERNAL, "the text plugin is not initialised");
  return *g_state;
}

Model& Find(const char* model_id) {
  if (model_id == nullptr) throw Error(SMI_ERROR_INVALID_ARGUMENT, "model id is NULL");
  auto it = Live().models.find(model_id);
  if (it == Live().models.end()) throw Error(SMI_ERROR_NOT_FOUND, std::string("unknown model '") + model_id + "'");
  return *it->second;
}

// At most max_bytes bytes of s, cut at a UTF-8 character boundary.
std::string Clip(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

void Tag(const State& st, const Model& m, const smi_image& image, ResultData* out) {
  if (m.det_session == nullptr || m.rec_session == nullptr) {
    throw Error(SMI_ERROR_NOT_LOADED, "the OCR models are not loaded");
  }
  const BgrImage bgr = ToBgr(image);
  std::vector<Box> boxes = Detect(*m.det_session, bgr, m.det);
  // Recognise at most a few times max_lines boxes: the most confident ones.
  const size_t cap = std::max<size_t>(50, static_cast<size_t>(st.max_lines) * 4);
  if (boxes.size() > cap) {
    std::stable_sort(boxes.begin(), boxes.end(), [](const Box& a, const Box& b) { return a.score > b.score; });
    boxes.resize(cap);
    SortReadingOrder(&boxes);
  }
  if (st.host->should_abort(st.host->host_ctx)) throw Error(SMI_ERROR_ABORTED, "aborted by the host");
  std::vector<BgrImage> crops;
  crops.reserve(boxes.size());
  for (const Box& b : boxes) crops.push_back(Crop(bgr, b));
  std::vector<Line> lines = Recognize(*m.rec_session, m.charset, crops, m.rec);

  // Confident, non-empty lines, each with its box (one Line per crop, in order).
  std::vector<std::pair<Line, Box>> found;
  for (size_t i = 0; i < lines.size() && i < boxes.size(); ++i) {
    Line& l = lines[i];
    if (l.text.empty() || !(l.score >= st.min_score)) continue;
    l.text = Clip(l.text, SMI_MAX_LABEL_BYTES - 1);
    found.emplace_back(l, boxes[i]);
  }
  // One tag per text: the same text twice keeps its best score.
  std::vector<Line> kept;
  for (const auto& [l, box] : found) {
    auto same = std::find_if(kept.begin(), kept.end(), [&](const Line& k) { return k.text == l.text; });
    if (same == kept.end()) {
      kept.push_back(l);
    } else {
      same->score = std::max(same->score, l.score);
    }
  }
  if (kept.size() > static_cast<size_t>(st.max_lines)) {
    std::stable_sort(kept.begin(), kept.end(), [](const Line& a, const Line& b) { return a.score > b.score; });
    kept.resize(static_cast<size_t>(st.max_lines));
  }
  if (kept.empty()) return;
  float best = 0;
  out->labels.reserve(kept.size() + 1);
  out->labels.emplace_back("text");
  for (const Line& l : kept) best = std::max(best, l.score);
  out->tags.push_back({nullptr, std::clamp(best, 0.0f, 1.0f)});
  for (const Line& l : kept) {
    if (l.text == "text") continue;  // the summary tag already says it, with at least this score
    out->labels.push_back(l.text);
    out->tags.push_back({nullptr, std::clamp(l.score, 0.0f, 1.0f)});
  }
  for (size_t i = 0; i < out->tags.size(); ++i) out->tags[i].label = out->labels[i].c_str();

  // A region for every box of a kept text (the same text twice: two boxes).
  for (const auto& [l, box] : found) {
    if (std::none_of(kept.begin(), kept.end(), [&](const Line& k) { return k.text == l.text; })) continue;
    smi_region g{};
    g.struct_size = sizeof g;
    g.confidence = std::clamp(l.score, 0.0f, 1.0f);
    g.x = box.x0;
    g.y = box.y0;
    g.width = box.x1 - box.x0;
    g.height = box.y1 - box.y0;
    out->region_labels.push_back(l.text);
    out->regions.push_back(g);
  }
  for (size_t i = 0; i < out->regions.size(); ++i) {
    out->regions[i].label = out->region_labels[i].c_str();
    out->region_ptrs.push_back(&out->regions[i]);
  }
}

// Runs one image into a host result; the status also goes into the result.
smi_status RunOne(const char* model_id, const smi_image* image, smi_image_result* result) {
  if (result == nullptr || result->struct_size < SMI_IMAGE_RESULT_V1_0_SIZE) {
    t_last_error = "result is NULL or too small";
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  ResultData* data = nullptr;
  const smi_status s = Guard([&] {
    if (image == nullptr) throw Error(SMI_ERROR_INVALID_ARGUMENT, "image is NULL");
    const State& st = Live();
    const Model& m = Find(model_id);
    auto d = std::make_unique<ResultData>();
    Tag(st, m, *image, d.get());
    data = d.release();
    return SMI_OK;
  });
  result->status = s;
  if (s == SMI_OK) {
    result->plugin_data = data;
    result->tags = data->tags.empty() ? nullptr : data->tags.data();
    result->tag_count = data->tags.size();
    if (SMI_HAS_MEMBER(result, smi_image_result, region_count)) {  // an SMI 1.2 host
      result->regions = data->region_ptrs.empty() ? nullptr : data->region_ptrs.data();
      result->region_count = data->region_ptrs.size();
    }
  } else {
    // The message travels with the result too (for batches).
    try {
      auto d = std::make_unique<ResultData>();
      d->error = t_last_error;
      result->error = d->error.c_str();
      result->plugin_data = d.release();
    } catch (...) {
    }
  }
  return s;
}

// ---- entry points ----------------------------------------------------------

smi_status Initialize(void*, const smi_host_api* host, const char* config_json) {
  return Guard([&] {
    if (g_state != nullptr) {
      throw Error(SMI_ERROR_ALREADY_EXISTS,
                  "the text plugin is already initialised in this process (one instance per process; "
                  "isolation = \"process\" runs more)");
    }
    if (host == nullptr || !SMI_HAS_MEMBER(host, smi_host_api, session_release) ||
        host->session_create == nullptr || host->session_run == nullptr) {
      throw Error(SMI_ERROR_NOT_SUPPORTED, "the host offers no ONNX Runtime sessions (SMI 1.0 host API needed)");
    }
    const auto config = ParseObject(config_json);
    auto st = std::make_unique<State>();
    st->host = host;
    st->min_score = static_cast<float>(NumberOr(config, "min_score", 0.5, 0.0, 1.0));
    const double lines = NumberOr(config, "max_lines", 20, 1, 1000);
    if (lines != static_cast<int>(lines)) throw Error(SMI_ERROR_INVALID_ARGUMENT, "setting 'max_lines' must be an integer");
    st->max_lines = static_cast<int>(lines);
    g_state = st.release();
    return SMI_OK;
  });
}

void Cleanup(void*) {
  delete g_state;  // releases the sessions
  g_state = nullptr;
}

smi_status RegisterModel(void*, const smi_model_desc* desc) {
  return Guard([&] {
    if (desc == nullptr || desc->struct_size < SMI_MODEL_DESC_V1_0_SIZE || desc->model_id == nullptr) {
      throw Error(SMI_ERROR_INVALID_ARGUMENT, "invalid model description");
    }
    State& st = Live();
    if (st.models.count(desc->model_id)) {
      throw Error(SMI_ERROR_ALREADY_EXISTS, std::string("model '") + desc->model_id + "' is already registered");
    }
    if (desc->file_count != 3 || desc->files == nullptr) {
      throw Error(SMI_ERROR_INVALID_ARGUMENT,
                  "model '" + std::string(desc->model_id) +
                      "' needs 3 files: the detection model, the recognition model and the character list");
    }
    auto m = std::make_unique<Model>();
    for (uint32_t i = 0; i < desc->file_count; ++i) {
      if (desc->files[i] == nullptr) throw Error(SMI_ERROR_INVALID_ARGUMENT, "model file path is NULL");
      m->files.emplace_back(desc->files[i]);
    }
    const auto c = ParseObject(desc->config_json);
    m->det.limit_side = static_cast<int>(NumberOr(c, "limit_side", m->det.limit_side, 32, 8192));
    m->det.thresh = static_cast<float>(NumberOr(c, "thresh", m->det.thresh, 0, 1));
    m->det.box_thresh = static_cast<float>(NumberOr(c, "box_thresh", m->det.box_thresh, 0, 1));
    m->det.unclip_ratio = static_cast<float>(NumberOr(c, "unclip_ratio", m->det.unclip_ratio, 0, 10));
    m->rec.max_width = static_cast<int>(NumberOr(c, "rec_max_width", m->rec.max_width, 48, 8192));
    m->rec.batch = static_cast<int>(NumberOr(c, "rec_batch", m->rec.batch, 1, 64));
    st.models.emplace(desc->model_id, std::move(m));
    return SMI_OK;
  });
}

smi_status UnregisterModel(void*, const char* model_id) {
  return Guard([&] {
    Find(model_id);
    Live().models.erase(model_id);
    return SMI_OK;
  });
}

smi_status LoadModel(void*, const char* model_id) {
  return Guard([&] {
    State& st = Live();
    Model& m = Find(model_id);
    if (m.det_session && m.rec_session) return SMI_OK;
    Charset charset;
    charset.Load(m.files[2]);
    auto det = std::make_unique<Session>(st.host, m.files[0]);
    auto rec = std::make_unique<Session>(st.host, m.files[1]);
    const int64_t classes = rec->OutputDim(2);
    if (classes > 0 && static_cast<size_t>(classes) != charset.size()) {
      throw Error(SMI_ERROR_NOT_SUPPORTED, "the recognition model " + m.files[1] + " has " +
                                               std::to_string(classes) + " classes but " + m.files[2] + " gives " +
                                               std::to_string(charset.size()) + " (blank + keys + space)");
    }
    m.charset = std::move(charset);
    m.det_session = std::move(det);
    m.rec_session = std::move(rec);
    return SMI_OK;
  });
}

smi_status UnloadModel(void*, const char* model_id) {
  return Guard([&] {
    Model& m = Find(model_id);
    m.det_session.reset();
    m.rec_session.reset();
    return SMI_OK;
  });
}

smi_status Inference(void*, const char* model_id, const smi_image* image, smi_image_result* result) {
  return RunOne(model_id, image, result);
}

smi_status BatchInference(void*, const char* model_id, const smi_image* const* images, size_t count,
                          smi_image_result* const* results) {
  if (images == nullptr || results == nullptr) {
    t_last_error = "images or results is NULL";
    return SMI_ERROR_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < count; ++i) {
    const smi_status s = RunOne(model_id, images[i], results[i]);
    // Per-image failures stay in results[i]; these fail the whole batch.
    if (s == SMI_ERROR_NOT_FOUND || s == SMI_ERROR_NOT_LOADED || s == SMI_ERROR_ABORTED) return s;
  }
  return SMI_OK;
}

smi_status GetModelInfo(void*, const char* model_id, char* buffer, size_t buffer_size, size_t* required_size) {
  return Guard([&] {
    if (required_size == nullptr) throw Error(SMI_ERROR_INVALID_ARGUMENT, "required_size is NULL");
    const Model& m = Find(model_id);
    std::ostringstream o;
    o << "{\"pipeline\":\"PP-OCRv4 det (DB) + rec (CTC)\",\"loaded\":" << (m.det_session ? "true" : "false")
      << ",\"classes\":" << m.charset.size() << ",\"limit_side\":" << m.det.limit_side
      << ",\"thresh\":" << m.det.thresh << ",\"box_thresh\":" << m.det.box_thresh
      << ",\"unclip_ratio\":" << m.det.unclip_ratio << ",\"rec_height\":" << m.rec.height
      << ",\"rec_max_width\":" << m.rec.max_width << ",\"rec_batch\":" << m.rec.batch << "}";
    const std::string s = o.str();
    *required_size = s.size() + 1;
    if (buffer == nullptr || buffer_size < s.size() + 1) return SMI_ERROR_BUFFER_TOO_SMALL;
    std::memcpy(buffer, s.c_str(), s.size() + 1);
    return SMI_OK;
  });
}

const char* GetName(void*) { return kName; }
const char* GetVersion(void*) { return kVersion; }
const char* GetFrameworks(void*) { return "onnx"; }

void GetSmiVersion(void*, uint32_t* major, uint32_t* minor) {
  if (major != nullptr) *major = SMI_VERSION_MAJOR;
  if (minor != nullptr) *minor = SMI_VERSION_MINOR;
}

const char* GetLastError(void*) { return t_last_error.empty() ? nullptr : t_last_error.c_str(); }

void ReleaseResults(void*, smi_image_result* const* results, size_t count) {
  if (results == nullptr) return;
  for (size_t i = 0; i < count; ++i) {
    if (results[i] == nullptr) continue;
    delete static_cast<ResultData*>(results[i]->plugin_data);
    results[i]->plugin_data = nullptr;
    results[i]->tags = nullptr;
    results[i]->tag_count = 0;
    results[i]->error = nullptr;
  }
}

const smi_plugin_interface kInterface = {
    sizeof(smi_plugin_interface),
    0,                     // reserved0
    Initialize,
    Cleanup,
    RegisterModel,
    UnregisterModel,
    LoadModel,
    UnloadModel,
    Inference,
    BatchInference,
    nullptr,               // allocate_resources
    nullptr,               // deallocate_resources
    GetModelInfo,
    GetName,
    GetVersion,
    GetFrameworks,
    GetSmiVersion,
    GetLastError,
    ReleaseResults,
};

}  // namespace
}  // namespace imlage_text

SMI_DEFINE_PLUGIN("text", SMI_PLUGIN_THREAD_SAFE, &imlage_text::kInterface, nullptr)
