#include "control/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace softwire::cp {

void JsonWriter::separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  out_ += json_quote(name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view text) {
  separate();
  out_ += json_quote(text);
  return *this;
}
JsonWriter& JsonWriter::value(uint64_t number) {
  separate();
  out_ += std::to_string(number);
  return *this;
}
JsonWriter& JsonWriter::value(int64_t number) {
  separate();
  out_ += std::to_string(number);
  return *this;
}
JsonWriter& JsonWriter::value(double number) {
  separate();
  if (!std::isfinite(number)) {
    out_ += "null";
    return *this;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", number);
  out_ += buffer;
  return *this;
}
JsonWriter& JsonWriter::value(bool flag) {
  separate();
  out_ += flag ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

const JsonValue* JsonValue::find(std::string_view name) const {
  for (const auto& [k, v] : object)
    if (k == name) return &v;
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool document(JsonValue& out) {
    if (!value(out, 0)) return false;
    skip_space();
    if (pos_ != text_.size()) return fail("trailing characters");
    return true;
  }
  const std::string& error() const { return error_; }

  bool request(OperatorRequest& out) {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '{') return fail("expected an object");
    ++pos_;
    bool have_args = false;
    while (true) {
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '}' && !have_args) break;
      std::string name;
      if (!member_name(name)) return false;
      skip_space();
      if (name == "args") {
        if (pos_ >= text_.size() || text_[pos_] != '[') return fail("args: expected an array");
        ++pos_;
        have_args = true;
        skip_space();
        while (pos_ < text_.size() && text_[pos_] != ']') {
          if (text_[pos_] != '"') return fail("args: expected strings");
          out.args.emplace_back();
          if (!string(out.args.back())) return false;
          skip_space();
          if (pos_ < text_.size() && text_[pos_] == ',') {
            ++pos_;
            skip_space();
          }
        }
        if (pos_ >= text_.size()) return fail("unterminated array");
        ++pos_;
      } else {
        JsonValue v;
        if (!value(v, 1)) return false;
        if (name == "id" && v.is_number() && !request_id(v.string, out.id))
          return fail("id: not an integer in 0..18446744073709551615");
        if (name == "json" && v.is_bool()) out.json = v.boolean;
      }
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') break;
      return fail("expected , or }");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) return fail("trailing characters");
    if (!have_args) return fail("args: missing");
    return true;
  }

 private:
  bool fail(const std::string& what) {
    if (error_.empty()) error_ = what + " at offset " + std::to_string(pos_);
    return false;
  }
  // The request id as written: decimal digits that fit 64 bits (a double
  // would round large ids, and converting one out of range is undefined).
  static bool request_id(const std::string& digits, uint64_t& out) {
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return false;
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
    if (errno == ERANGE) return false;
    out = v;
    return true;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("unexpected character");
    pos_ += word.size();
    return true;
  }
  bool value(JsonValue& out, int depth) {
    if (depth > 64) return fail("nested too deeply");
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end");
    const char c = text_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out.type = JsonValue::Type::kString;
      return string(out.string);
    }
    if (c == 't') {
      out.type = JsonValue::Type::kBool;
      out.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      out.type = JsonValue::Type::kBool;
      return literal("false");
    }
    if (c == 'n') {
      out.type = JsonValue::Type::kNull;
      return literal("null");
    }
    return number(out);
  }
  // RFC 8259 §6: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. to_json
  // passes the text through, so it has to be JSON itself ("+1", ".5", "01"
  // and "1." are not).
  bool number(JsonValue& out) {
    const size_t start = pos_;
    auto at = [&](std::string_view set) {
      return pos_ < text_.size() && set.find(text_[pos_]) != std::string_view::npos;
    };
    auto digits = [&] {
      const size_t from = pos_;
      while (at("0123456789")) ++pos_;
      return pos_ > from;
    };
    if (at("-")) ++pos_;
    if (!at("0123456789")) return fail(pos_ == start ? "unexpected character" : "bad number");
    if (at("0"))
      ++pos_;
    else
      digits();
    if (at(".")) {
      ++pos_;
      if (!digits()) return fail("bad number");
    }
    if (at("eE")) {
      ++pos_;
      if (at("+-")) ++pos_;
      if (!digits()) return fail("bad number");
    }
    std::string text(text_.substr(start, pos_ - start));
    out.number = std::strtod(text.c_str(), nullptr);
    out.type = JsonValue::Type::kNumber;
    out.string = std::move(text);  // exact text: 64-bit counters survive a pass-through
    return true;
  }
  bool hex4(unsigned& out) {
    if (pos_ + 4 > text_.size()) return fail("short \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      out <<= 4;
      if (h >= '0' && h <= '9')
        out |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f')
        out |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        out |= unsigned(h - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    return true;
  }
  void utf8(unsigned cp, std::string& out) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xc0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += char(0xe0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    } else {
      out += char(0xf0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3f));
      out += char(0x80 | ((cp >> 6) & 0x3f));
      out += char(0x80 | (cp & 0x3f));
    }
  }
  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < text_.size()) {
      // Plain characters in one append.
      size_t run = pos_;
      while (run < text_.size() && text_[run] != '"' && text_[run] != '\\' &&
             static_cast<unsigned char>(text_[run]) >= 0x20)
        ++run;
      out.append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            unsigned low = 0;
            if (!hex4(low)) return false;
            if (low >= 0xdc00 && low < 0xe000) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            } else {
              pos_ -= 6;  // not a pair: the second escape is decoded on its own
            }
          }
          // A surrogate left unpaired has no UTF-8 form: U+FFFD stands in
          // for it, so decoded strings stay valid UTF-8.
          if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
          utf8(cp, out);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }
  // An object member's `"name" :` (after skip_space()), up to the value.
  bool member_name(std::string& name) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a key");
    if (!string(name)) return false;
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != ':') return fail("expected :");
    ++pos_;
    return true;
  }
  bool array(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kArray;
    out.array.reserve(16);  // requests hold a dozen arguments: no regrowth
    ++pos_;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      out.array.emplace_back();
      if (!value(out.array.back(), depth + 1)) return false;
      skip_space();
      if (pos_ >= text_.size()) return fail("unterminated array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return fail("expected , or ]");
    }
  }
  bool object(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kObject;
    ++pos_;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      std::string name;
      if (!member_name(name)) return false;
      out.object.push_back(JsonMember{std::move(name), JsonValue{}});
      if (!value(out.object.back().second, depth + 1)) return false;
      skip_space();
      if (pos_ >= text_.size()) return fail("unterminated object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return fail("expected , or }");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

void write_value(JsonWriter& w, const JsonValue& v) {
  switch (v.type) {
    case JsonValue::Type::kNull:
      w.null();
      break;
    case JsonValue::Type::kBool:
      w.value(v.boolean);
      break;
    case JsonValue::Type::kNumber:
      if (!v.string.empty())
        w.raw(v.string);
      else
        w.value(v.number);
      break;
    case JsonValue::Type::kString:
      w.value(v.string);
      break;
    case JsonValue::Type::kArray:
      w.begin_array();
      for (const auto& e : v.array) write_value(w, e);
      w.end_array();
      break;
    case JsonValue::Type::kObject:
      w.begin_object();
      for (const auto& [k, e] : v.object) {
        w.key(k);
        write_value(w, e);
      }
      w.end_object();
      break;
  }
}

}  // namespace

std::optional<JsonValue> parse_json(std::string_view text, std::string* error) {
  Parser parser(text);
  JsonValue out;
  if (!parser.document(out)) {
    if (error != nullptr) *error = parser.error();
    return std::nullopt;
  }
  return out;
}

std::optional<OperatorRequest> parse_operator_request(std::string_view text, std::string* error) {
  Parser parser(text);
  OperatorRequest out;
  if (!parser.request(out)) {
    if (error != nullptr) *error = parser.error();
    for (auto& a : out.args)
      if (!a.empty()) explicit_bzero(a.data(), a.size());  // may hold a key
    return std::nullopt;
  }
  return out;
}

std::string to_json(const JsonValue& value) {
  JsonWriter w;
  write_value(w, value);
  return w.take();
}

}  // namespace softwire::cp
