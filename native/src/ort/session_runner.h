// The BatchRunner of an ONNX session's queue (session.submit(),
// submitEncoded()): preprocess each request's pixels into a pooled batch
// buffer, one ORT run, postprocess (workers/run.cc), as the request's
// compiled spec says.
#pragma once

#include <memory>

#include "core/batch_queue.h"
#include "ort/session.h"

namespace imlage {

std::unique_ptr<BatchRunner> MakeSessionRunner(std::shared_ptr<Session> session);

}  // namespace imlage
