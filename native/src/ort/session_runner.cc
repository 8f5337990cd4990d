#include "ort/session_runner.h"

#include <utility>
#include <vector>

#include "core/errors.h"

namespace imlage {
namespace {

class ScoresOutput final : public BatchOutput {
 public:
  explicit ScoresOutput(ImageScores scores) : scores_(std::move(scores)) {}
  Napi::Value ToJs(Napi::Env env) const override { return ScoresToJs(env, scores_); }

 private:
  ImageScores scores_;
};

class SessionRunner final : public BatchRunner {
 public:
  explicit SessionRunner(std::shared_ptr<Session> session) : session_(std::move(session)) {}

  void Run(Batch& batch) override {
    // Requests of one batch share a key, so the first one's spec is every one's.
    const CompiledSpec& spec = *batch.front()->spec;
    std::vector<HeldImage*> images;
    for (auto& r : batch) images.push_back(&r->image);
    std::vector<ImageScores> results;
    BatchTiming timing;
    RunImages(*session_, images, spec.pre, spec.post, spec.plan, results, timing);
    for (size_t k = 0; k < batch.size(); ++k) {
      batch[k]->output = std::make_unique<ScoresOutput>(std::move(results[k]));
      batch[k]->timing = timing;
    }
  }
  void Release() override { session_.reset(); }
  const char* name() const override { return "imlage.session.submit"; }
  const char* failureCode() const override { return code::kOrt; }

 private:
  std::shared_ptr<Session> session_;
};

}  // namespace

std::unique_ptr<BatchRunner> MakeSessionRunner(std::shared_ptr<Session> session) {
  return std::make_unique<SessionRunner>(std::move(session));
}

}  // namespace imlage
