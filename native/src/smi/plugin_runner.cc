#include "smi/plugin_runner.h"

#include <utility>

#include "core/errors.h"
#include "napi/outcome_js.h"

namespace imlage {
namespace {

// One image's outcomes, one per model, as an array of SmiImageResult.
class OutcomesOutput final : public BatchOutput {
 public:
  explicit OutcomesOutput(std::vector<SmiImageOutcome> outcomes) : outcomes_(std::move(outcomes)) {}
  Napi::Value ToJs(Napi::Env env) const override {
    Napi::Array arr = Napi::Array::New(env, outcomes_.size());
    for (size_t m = 0; m < outcomes_.size(); ++m) arr.Set(static_cast<uint32_t>(m), OutcomeToJs(env, outcomes_[m]));
    return arr;
  }

 private:
  std::vector<SmiImageOutcome> outcomes_;
};

class PluginRunner final : public BatchRunner {
 public:
  explicit PluginRunner(std::shared_ptr<Plugin> plugin) : plugin_(std::move(plugin)) {}

  void Run(Batch& batch) override {
    // Requests of one batch share a key, so the first one's models are every one's.
    const std::vector<std::string>& models = *batch.front()->models;
    std::vector<PluginImageIn> images;
    for (auto& r : batch) {
      const HeldImage& h = r->image;
      images.push_back(PluginImageIn{h.view, h.error, h.originalWidth, h.originalHeight});
    }
    std::vector<std::vector<SmiImageOutcome>> perImage(batch.size());
    double inferenceMs = 0;
    for (const std::string& model : models) {
      std::vector<SmiImageOutcome> outcomes = plugin_->Run(model, images, &inferenceMs);
      for (size_t k = 0; k < batch.size(); ++k) perImage[k].push_back(std::move(outcomes[k]));
    }
    for (size_t k = 0; k < batch.size(); ++k) {
      batch[k]->output = std::make_unique<OutcomesOutput>(std::move(perImage[k]));
      batch[k]->timing = BatchTiming{};
      batch[k]->timing.inferenceMs = inferenceMs;
    }
  }
  void Release() override { plugin_.reset(); }
  const char* name() const override { return "imlage.plugin.submit"; }
  const char* failureCode() const override { return code::kPluginCall; }

 private:
  std::shared_ptr<Plugin> plugin_;
};

}  // namespace

std::unique_ptr<BatchRunner> MakePluginRunner(std::shared_ptr<Plugin> plugin) {
  return std::make_unique<PluginRunner>(std::move(plugin));
}

std::string ModelsKey(const std::vector<std::string>& models) {
  std::string key;
  for (const std::string& m : models) {
    key += m;
    key += '\0';  // model ids are C strings: no id holds a NUL
  }
  return key;
}

}  // namespace imlage
