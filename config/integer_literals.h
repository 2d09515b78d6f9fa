// libconfig 1.5 (Debian 12) silently truncates integer literals: a decimal
// literal without the L suffix is read through atoi (4294967296 becomes 0),
// and a hex one through a cast to int (0x100000001 becomes 1). This scanner
// finds such literals in the text before libconfig reads it, so that a wrong
// number never passes as a right one. It also rejects @include: the loader
// scans one text, so it cannot vouch for the literals of another file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace softwire::config {

struct LiteralProblem {
  int line = 0;
  std::string message;
};

// The first problem in `text`, if any. Does not otherwise validate the
// syntax: libconfig does that afterwards.
std::optional<LiteralProblem> find_unsafe_integer_literal(std::string_view text);

}  // namespace softwire::config
