// Just enough JSON for the plugin's configuration: the top-level object's
// number, string and boolean members (nested values are skipped).
#pragma once

#include <map>
#include <string>

namespace imlage_text {

struct JsonValue {
  enum Kind { kNull, kNumber, kString, kBool, kOther } kind = kNull;
  double number = 0;
  std::string string;
  bool boolean = false;
};

// Throws Error(SMI_ERROR_INVALID_ARGUMENT) when text is not a JSON object.
std::map<std::string, JsonValue> ParseObject(const char* text);

// The member as a number within [min, max], or fallback when absent.
double NumberOr(const std::map<std::string, JsonValue>& obj, const std::string& key, double fallback, double min,
                double max);

}  // namespace imlage_text
