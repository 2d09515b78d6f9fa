// Arguments of softwire-ctl's commands, parsed the same way by softwire-ctl
// (to fail early, exit code 2) and by softwire-cp (which trusts nobody).
// Settings are named like the configuration's; every error starts with the
// name of the argument that is wrong ("prefixes: ...").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/model.h"
#include "shm/protocol.h"

namespace softwire::cp {

template <typename T>
using ParseResult = std::variant<T, std::string>;  // the value or an error text

// `sa add` arguments. `key` must be hex (key || 4-byte salt) here:
// softwire-ctl resolves key=@FILE and key=- before (resolve_key_argument).
ParseResult<config::SaConfig> parse_sa_add(const std::vector<std::string>& args);

struct SaDeleteArgs {
  uint32_t spi = 0;
  std::optional<shm::Direction> direction;
};
ParseResult<SaDeleteArgs> parse_sa_delete(const std::vector<std::string>& args);

ParseResult<config::SessionConfig> parse_session_add(const std::vector<std::string>& args);

struct RekeyArgs {
  std::string identity;
  uint32_t sa_in = 0;
  uint32_t sa_out = 0;
  std::optional<double> grace_seconds;
};
ParseResult<RekeyArgs> parse_rekey(const std::vector<std::string>& args);

struct CaptureArgs {
  std::string reason;    // "" = any
  std::string identity;  // "" = any
  uint32_t count = 100;
  double timeout_seconds = 10;
  std::string write;  // pcapng path (softwire-ctl's side); the cp returns the packets
};
ParseResult<CaptureArgs> parse_capture(const std::vector<std::string>& args);

// softwire-ctl: replaces key=@FILE or key=- in `args` by key=<hex read from
// the file or standard input>. A literal key is refused (it would show in
// `ps`). `warning` gets a note when the file is readable by group or others.
// Error texts never quote the key material.
std::optional<std::string> resolve_key_argument(std::vector<std::string>& args, std::istream& in,
                                                std::string& warning);

// Overwrites the strings' characters before they are released.
void wipe(std::vector<std::string>& strings);
void wipe(std::string& text);

}  // namespace softwire::cp
