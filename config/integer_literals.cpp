#include "config/integer_literals.h"

#include <cstdint>
#include <limits>

namespace softwire::config {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c) || c == '-' || c == '_';
}

unsigned hex_value(char c) {
  if (is_digit(c)) return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

// Walks the text with libconfig's lexical rules, as far as they matter here:
// comments, strings, names, and numbers.
class LiteralScanner {
 public:
  explicit LiteralScanner(std::string_view text) : text_(text) {}

  std::optional<LiteralProblem> run() {
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '\n') {
        ++line_;
        ++at_;
      } else if (c == '#' || starts_with("//")) {
        skip_to_end_of_line();
      } else if (starts_with("/*")) {
        skip_block_comment();
      } else if (c == '"') {
        skip_string();
      } else if (starts_with("@include")) {
        return LiteralProblem{line_,
                              "@include is not supported: keep the configuration in one file"};
      } else if (is_name_start(c)) {
        while (at_ < text_.size() && is_name_char(text_[at_])) ++at_;
      } else if (starts_number()) {
        if (auto problem = scan_number()) return problem;
      } else {
        ++at_;
      }
    }
    return std::nullopt;
  }

 private:
  bool starts_with(std::string_view prefix) const {
    return text_.substr(at_, prefix.size()) == prefix;
  }
  char peek(size_t ahead) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }

  void skip_to_end_of_line() {
    while (at_ < text_.size() && text_[at_] != '\n') ++at_;
  }

  void skip_block_comment() {
    at_ += 2;
    while (at_ < text_.size() && !starts_with("*/")) {
      if (text_[at_] == '\n') ++line_;
      ++at_;
    }
    at_ += 2;
  }

  void skip_string() {
    ++at_;
    while (at_ < text_.size() && text_[at_] != '"') {
      if (text_[at_] == '\n') ++line_;
      if (text_[at_] == '\\') ++at_;  // the escaped character cannot end the string
      ++at_;
    }
    ++at_;
  }

  bool starts_number() const {
    const char c = peek(0);
    if (is_digit(c)) return true;
    if (c == '.') return is_digit(peek(1));
    if (c == '+' || c == '-') return is_digit(peek(1)) || (peek(1) == '.' && is_digit(peek(2)));
    return false;
  }

  // Consumes an "L" or "LL" suffix; true if there was one.
  bool consume_long_suffix() {
    if (peek(0) != 'L') return false;
    ++at_;
    if (peek(0) == 'L') ++at_;
    return true;
  }

  std::optional<LiteralProblem> scan_number() {
    const size_t start = at_;
    const bool negative = peek(0) == '-';
    const bool signed_literal = negative || peek(0) == '+';
    if (signed_literal) ++at_;

    if (!signed_literal && peek(0) == '0' && (peek(1) == 'x' || peek(1) == 'X') &&
        is_hex_digit(peek(2))) {
      return scan_hex(start);
    }

    // Magnitude with saturation: anything above 2^63 is too big anyway.
    uint64_t magnitude = 0;
    bool saturated = false;
    while (is_digit(peek(0))) {
      const uint64_t digit = static_cast<uint64_t>(peek(0) - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
        saturated = true;
      } else {
        magnitude = magnitude * 10 + digit;
      }
      ++at_;
    }
    if (peek(0) == '.' ||
        ((peek(0) == 'e' || peek(0) == 'E') &&
         (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2)))))) {
      skip_float_rest();
      return std::nullopt;
    }
    const bool is_long = consume_long_suffix();
    const std::string literal(text_.substr(start, at_ - start));
    const uint64_t limit = is_long ? (negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)
                                   : (negative ? uint64_t{1} << 31 : (uint64_t{1} << 31) - 1);
    if (!saturated && magnitude <= limit) return std::nullopt;
    if (is_long) {
      return LiteralProblem{line_, "integer " + literal + " does not fit in 64 bits"};
    }
    return LiteralProblem{line_, "integer " + literal +
                                     " does not fit in 32 bits: libconfig needs the L suffix "
                                     "for larger integers (" +
                                     literal + "L)"};
  }

  std::optional<LiteralProblem> scan_hex(size_t start) {
    at_ += 2;
    unsigned significant_digits = 0;
    uint64_t value = 0;
    while (is_hex_digit(peek(0))) {
      if (significant_digits > 0 || peek(0) != '0') ++significant_digits;
      if (significant_digits <= 16) value = value << 4 | hex_value(peek(0));
      ++at_;
    }
    const bool is_long = consume_long_suffix();
    const std::string literal(text_.substr(start, at_ - start));
    if (is_long) {
      if (significant_digits <= 16 && value <= uint64_t{std::numeric_limits<int64_t>::max()}) {
        return std::nullopt;
      }
      return LiteralProblem{line_, "integer " + literal + " does not fit in 63 bits"};
    }
    // Up to 0xffffffff the bits survive the cast to int; the loader reads them back as unsigned.
    if (significant_digits <= 8) return std::nullopt;
    return LiteralProblem{line_, "integer " + literal +
                                     " does not fit in 32 bits: libconfig needs the L suffix "
                                     "for larger integers (" +
                                     literal + "L)"};
  }

  void skip_float_rest() {
    if (peek(0) == '.') {
      ++at_;
      while (is_digit(peek(0))) ++at_;
    }
    if ((peek(0) == 'e' || peek(0) == 'E') &&
        (is_digit(peek(1)) || ((peek(1) == '+' || peek(1) == '-') && is_digit(peek(2))))) {
      at_ += 2;
      while (is_digit(peek(0))) ++at_;
    }
  }

  std::string_view text_;
  size_t at_ = 0;
  int line_ = 1;
};

}  // namespace

std::optional<LiteralProblem> find_unsafe_integer_literal(std::string_view text) {
  return LiteralScanner(text).run();
}

}  // namespace softwire::config
