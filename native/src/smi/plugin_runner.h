// The BatchRunner of an SMI plugin's queue (plugin.submit(), and
// submitEncoded() with a plugin target): each batch runs through every
// model its requests name, one Plugin::Run per model (batch_inference when
// the plugin has it, else inference per image), with the plugin's own
// locking, abort flag and result checks (plugin.cc, results.cc). An image
// the plugin failed fails alone (its outcome's error); a call that failed
// (batch_inference's status, a closed plugin) fails the batch with its code.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/batch_queue.h"
#include "smi/plugin.h"

namespace imlage {

std::unique_ptr<BatchRunner> MakePluginRunner(std::shared_ptr<Plugin> plugin);

// The key requests running through `models` batch under.
std::string ModelsKey(const std::vector<std::string>& models);

}  // namespace imlage
