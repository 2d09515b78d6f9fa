// JSON string quoting shared by softwire-dp (--stats-json) and softwire-cp
// (operator socket, ctl output). No dependencies.
#pragma once

#include <string>
#include <string_view>

namespace softwire {

// `text` as a JSON string literal, with its quotes: ", \ and control
// characters escaped; other bytes copied as they are (the callers' strings
// are names and identities, UTF-8 or ASCII).
std::string json_quote(std::string_view text);

}  // namespace softwire
