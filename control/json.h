// Just enough JSON for the operator socket: a writer that escapes strings
// and a small parser for requests and responses. No external dependency.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_quote.h"

namespace softwire::cp {

// Appends JSON text. The caller keeps the structure valid; comma placement
// is handled here.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(uint64_t number);
  JsonWriter& value(int64_t number);
  JsonWriter& value(int number) { return value(int64_t{number}); }
  JsonWriter& value(unsigned number) { return value(uint64_t{number}); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // Inserts already valid JSON text as one value.
  JsonWriter& raw(std::string_view json);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();

  std::string out_;
  bool need_comma_ = false;
};

using softwire::json_quote;

struct JsonMember;

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;  // kString: the text; kNumber: the number as written
  std::vector<JsonValue> array;
  std::vector<JsonMember> object;  // in document order

  const JsonValue* find(std::string_view name) const;
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_bool() const { return type == Type::kBool; }
};

struct JsonMember {
  std::string first;  // the key
  JsonValue second;
};

// Parses one JSON document; nullopt (with `error` set) on malformed input.
std::optional<JsonValue> parse_json(std::string_view text, std::string* error = nullptr);

// The operator socket's request, {"id": N, "json": bool, "args": ["..", ..]},
// parsed without building a JsonValue tree (bulk adds parse one per
// session). Other keys are skipped. nullopt (with `error`) when malformed,
// when args is missing or holds anything but strings, or when a numeric id
// is not an integer in 0..2^64-1 (digits only; kept exact).
struct OperatorRequest {
  uint64_t id = 0;
  bool json = false;
  std::vector<std::string> args;
};
std::optional<OperatorRequest> parse_operator_request(std::string_view text,
                                                      std::string* error = nullptr);

// Compact JSON text of a value (used to pass a response's result through).
std::string to_json(const JsonValue& value);

}  // namespace softwire::cp
