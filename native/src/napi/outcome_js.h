// An SMI image outcome (results.h) as the TS SmiImageResult: what
// plugin.run() and plugin.submit() resolve with. JS thread only.
#pragma once

#include <napi.h>

#include "smi/results.h"

namespace imlage {

Napi::Object OutcomeToJs(Napi::Env env, const SmiImageOutcome& outcome);

}  // namespace imlage
