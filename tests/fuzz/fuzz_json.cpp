// Fuzzes cp::parse_json, the operator socket's JSON parser: a parsed value
// written back by to_json() parses again to the same value (compared by its
// to_json text), numbers are passed through only when they are JSON
// numbers, and strings decoded from valid UTF-8 are valid UTF-8 (a \u
// escape never produces bytes no decoder accepts).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/json.h"
#include "fuzz_support.h"

using softwire::cp::JsonValue;
using softwire::fuzz::check;

namespace {

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    uint32_t cp = 0;
    if ((b & 0xe0) == 0xc0) {
      extra = 1;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      extra = 2;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      extra = 3;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return false;
    i += extra + 1;
  }
  return true;
}

// RFC 8259 §6, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as a state
// machine written independently of the parser.
bool is_json_number(std::string_view text) {
  enum State { kStart, kSign, kZero, kInteger, kDot, kFraction, kE, kExponentSign, kExponent };
  State state = kStart;
  for (const char c : text) {
    const bool digit = c >= '0' && c <= '9';
    switch (state) {
      case kStart:
        if (c == '-')
          state = kSign;
        else if (c == '0')
          state = kZero;
        else if (digit)
          state = kInteger;
        else
          return false;
        break;
      case kSign:
        if (c == '0')
          state = kZero;
        else if (digit)
          state = kInteger;
        else
          return false;
        break;
      case kZero:
      case kInteger:
      case kFraction:
        if (digit && state != kZero) break;
        if (c == '.' && state != kFraction)
          state = kDot;
        else if (c == 'e' || c == 'E')
          state = kE;
        else
          return false;
        break;
      case kDot:
        if (!digit) return false;
        state = kFraction;
        break;
      case kE:
        if (c == '+' || c == '-')
          state = kExponentSign;
        else if (digit)
          state = kExponent;
        else
          return false;
        break;
      case kExponentSign:
      case kExponent:
        if (!digit) return false;
        state = kExponent;
        break;
    }
  }
  return state == kZero || state == kInteger || state == kFraction || state == kExponent;
}

// Numbers are JSON numbers; with `utf8`, strings and keys are valid UTF-8.
bool well_formed(const JsonValue& v, bool utf8) {
  switch (v.type) {
    case JsonValue::Type::kNumber:
      return is_json_number(v.string);
    case JsonValue::Type::kString:
      return !utf8 || is_valid_utf8(v.string);
    case JsonValue::Type::kArray:
      for (const auto& e : v.array)
        if (!well_formed(e, utf8)) return false;
      return true;
    case JsonValue::Type::kObject:
      for (const auto& [k, e] : v.object)
        if ((utf8 && !is_valid_utf8(k)) || !well_formed(e, utf8)) return false;
      return true;
    default:
      return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto value = softwire::cp::parse_json(text, &error);
  if (!value) {
    check(!error.empty());
    return 0;
  }
  check(well_formed(*value, is_valid_utf8(text)));
  const std::string first = softwire::cp::to_json(*value);
  std::string again_error;
  const auto again = softwire::cp::parse_json(first, &again_error);
  check(again.has_value());
  check(again->type == value->type);
  check(softwire::cp::to_json(*again) == first);
  return 0;
}
