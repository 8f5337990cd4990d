#include "json.h"

#include <cmath>
#include <cstdlib>

#include "common.h"

namespace imlage_text {

namespace {

class Parser {
 public:
  explicit Parser(const char* s) : s_(s) {}

  std::map<std::string, JsonValue> Object() {
    std::map<std::string, JsonValue> out;
    Expect('{');
    if (Peek() == '}') {
      ++s_;
      End();
      return out;
    }
    for (;;) {
      if (Peek() != '"') Fail("expected a member name");
      std::string key = String();
      Expect(':');
      out[key] = Value();
      const char c = Peek();
      ++s_;
      if (c == '}') break;
      if (c != ',') Fail("expected ',' or '}'");
    }
    End();
    return out;
  }

 private:
  [[noreturn]] void Fail(const char* what) { throw Error(SMI_ERROR_INVALID_ARGUMENT, std::string("bad configuration JSON: ") + what); }

  char Peek() {
    while (*s_ == ' ' || *s_ == '\t' || *s_ == '\n' || *s_ == '\r') ++s_;
    return *s_;
  }
  void Expect(char c) {
    if (Peek() != c) Fail("unexpected character");
    ++s_;
  }
  void End() {
    if (Peek() != '\0') Fail("trailing characters");
  }
  bool Literal(const char* word) {
    size_t n = 0;
    while (word[n] != '\0') {
      if (s_[n] != word[n]) return false;
      ++n;
    }
    s_ += n;
    return true;
  }

  std::string String() {
    Expect('"');
    std::string out;
    for (;;) {
      const char c = *s_++;
      if (c == '\0') Fail("unterminated string");
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      const char e = *s_++;
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          unsigned cp = 0;
          for (int i = 0; i < 4; ++i) {
            const char h = *s_++;
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else Fail("bad \\u escape");
          }
          // Settings are ASCII in practice; other code points become '?'.
          out += cp < 0x80 ? static_cast<char>(cp) : '?';
          break;
        }
        case '\0': Fail("unterminated string");
        default: out += e; break;
      }
    }
  }

  JsonValue Value() {
    JsonValue v;
    const char c = Peek();
    if (c == '"') {
      v.kind = JsonValue::kString;
      v.string = String();
    } else if (c == '{' || c == '[') {
      Skip();
      v.kind = JsonValue::kOther;
    } else if (Literal("true")) {
      v.kind = JsonValue::kBool;
      v.boolean = true;
    } else if (Literal("false")) {
      v.kind = JsonValue::kBool;
    } else if (Literal("null")) {
      v.kind = JsonValue::kNull;
    } else {
      char* end = nullptr;
      v.number = std::strtod(s_, &end);
      if (end == s_ || !std::isfinite(v.number)) Fail("expected a value");
      s_ = end;
      v.kind = JsonValue::kNumber;
    }
    return v;
  }

  // Skips a nested object or array (strings inside may hold brackets).
  void Skip() {
    int depth = 0;
    do {
      const char c = Peek();
      if (c == '\0') Fail("unterminated object or array");
      if (c == '"') {
        String();
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      ++s_;
    } while (depth > 0);
  }

  const char* s_;
};

}  // namespace

std::map<std::string, JsonValue> ParseObject(const char* text) {
  if (text == nullptr) throw Error(SMI_ERROR_INVALID_ARGUMENT, "configuration JSON is NULL");
  return Parser(text).Object();
}

double NumberOr(const std::map<std::string, JsonValue>& obj, const std::string& key, double fallback, double min,
                double max) {
  auto it = obj.find(key);
  if (it == obj.end() || it->second.kind == JsonValue::kNull) return fallback;
  if (it->second.kind != JsonValue::kNumber) {
    throw Error(SMI_ERROR_INVALID_ARGUMENT, "setting '" + key + "' must be a number");
  }
  const double v = it->second.number;
  if (v < min || v > max) {
    throw Error(SMI_ERROR_INVALID_ARGUMENT, "setting '" + key + "' is " + std::to_string(v) + ", expected " +
                                                std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

}  // namespace imlage_text
