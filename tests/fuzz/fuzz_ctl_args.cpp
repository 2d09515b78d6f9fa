// Fuzzes softwire-ctl's argument parsers (control/ctl_args.h), which
// softwire-cp also runs on what arrives on the operator socket. The first
// byte picks the parser; the rest, split at spaces and newlines, are the
// arguments. Every parser returns a value or an error that starts with the
// name of an argument ("spi: ..."), never throws; a value obeys the
// parser's ranges, holds no argument with a NUL, and an SA or session
// survives the trip through its control channel record unchanged.
#include <string.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "control/ctl_args.h"
#include "fuzz_sa_compare.h"
#include "fuzz_support.h"
#include "shm/records.h"

using namespace softwire;
using softwire::fuzz::check;
using softwire::fuzz::check_same_sa;

namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> args(1);
  for (char c : text) {
    if (c == ' ' || c == '\n') {
      args.emplace_back();
    } else {
      // key=@FILE would be read by softwire-ctl's resolve_key_argument (not
      // fuzzed here); keep file names out of the arguments anyway.
      args.back() += c == '@' ? '#' : c;
    }
  }
  return args;
}

// The error names a known argument, or repeats the one that is wrong (an
// unknown name, or a positional argument without '=').
void check_error(const std::string& error, const std::vector<std::string>& args,
                 std::initializer_list<std::string_view> names) {
  check(!error.empty());
  auto starts_with_name = [&](std::string_view name) {
    return error.size() > name.size() && error.compare(0, name.size(), name) == 0 &&
           error[name.size()] == ':';
  };
  for (std::string_view name : names)
    if (starts_with_name(name)) return;
  for (const std::string& a : args) {
    if (starts_with_name(a)) return;
    const size_t eq = a.find('=');
    if (eq != std::string::npos && starts_with_name(std::string_view(a).substr(0, eq))) return;
  }
  check(false);
}

// Accepted arguments hold no NUL (the operator socket's JSON can carry one;
// the channel's fixed fields and inet_pton would stop at it).
void check_no_nul(const std::vector<std::string>& args) {
  for (const std::string& a : args) check(a.find('\0') == std::string::npos);
}

void fuzz_sa_add(const std::vector<std::string>& args) {
  auto result = cp::parse_sa_add(args);
  if (auto* error = std::get_if<std::string>(&result)) {
    check_error(*error, args,
                {"spi",
                 "direction",
                 "local",
                 "remote",
                 "proposal",
                 "key",
                 "esn",
                 "replay_window",
                 "nat_t",
                 "local_port",
                 "remote_port",
                 "mode",
                 "local_ts",
                 "remote_ts",
                 "life_bytes",
                 "life_packets",
                 "soft_life_bytes",
                 "soft_life_packets",
                 "local_port/remote_port",
                 "local_ts/remote_ts",
                 "soft_life_*"});
    return;
  }
  check_no_nul(args);
  const config::SaConfig& sa = std::get<config::SaConfig>(result);
  check(sa.spi >= 256);
  check(sa.key.size() == config::proposal_key_bytes(sa.proposal));
  shm::SaRecord record = shm::to_record(sa);
  auto carried = shm::to_config(record);
  explicit_bzero(&record, sizeof record);
  check(std::holds_alternative<config::SaConfig>(carried));
  check_same_sa(sa, std::get<config::SaConfig>(carried));
}

void fuzz_session_add(const std::vector<std::string>& args) {
  auto result = cp::parse_session_add(args);
  if (auto* error = std::get_if<std::string>(&result)) {
    check_error(*error, args,
                {"identity", "sa_in", "sa_out", "tunnel_id", "session_id", "peer_tunnel_id",
                 "peer_session_id", "prefixes", "mtu", "peer_port"});
    return;
  }
  check_no_nul(args);
  const config::SessionConfig& s = std::get<config::SessionConfig>(result);
  check(!s.identity.empty() && s.identity.size() < shm::kIdentityLength);
  check(s.sa_in >= 256 && s.sa_out >= 256 && !s.prefixes.empty());
  check(s.mtu >= 576 && s.mtu <= 9000);
  const shm::SessionRecord record = shm::to_record(s);
  auto carried = shm::to_config(record);
  check(std::holds_alternative<config::SessionConfig>(carried));
  const config::SessionConfig& t = std::get<config::SessionConfig>(carried);
  check(t.identity == s.identity && t.sa_in == s.sa_in && t.sa_out == s.sa_out);
  check(t.tunnel_id == s.tunnel_id && t.session_id == s.session_id);
  check(t.peer_tunnel_id == s.peer_tunnel_id && t.peer_session_id == s.peer_session_id);
  check(t.peer_port == s.peer_port && t.mtu == s.mtu);
  const size_t carried_prefixes = std::min<size_t>(s.prefixes.size(), shm::kPrefixesPerRecord);
  check(t.prefixes.size() == carried_prefixes &&
        std::equal(t.prefixes.begin(), t.prefixes.end(), s.prefixes.begin()));
}

void fuzz_sa_delete(const std::vector<std::string>& args) {
  auto result = cp::parse_sa_delete(args);
  if (auto* error = std::get_if<std::string>(&result)) {
    check_error(*error, args, {"spi", "direction"});
    return;
  }
  check_no_nul(args);
  check(std::get<cp::SaDeleteArgs>(result).spi >= 256);
}

void fuzz_rekey(const std::vector<std::string>& args) {
  auto result = cp::parse_rekey(args);
  if (auto* error = std::get_if<std::string>(&result)) {
    check_error(*error, args, {"identity", "sa_in", "sa_out", "grace"});
    return;
  }
  check_no_nul(args);
  const cp::RekeyArgs& r = std::get<cp::RekeyArgs>(result);
  check(!r.identity.empty() && r.sa_in >= 256 && r.sa_out >= 256);
  check(!r.grace_seconds || (*r.grace_seconds >= 0 && *r.grace_seconds <= 86400));
}

void fuzz_capture(const std::vector<std::string>& args) {
  auto result = cp::parse_capture(args);
  if (auto* error = std::get_if<std::string>(&result)) {
    check_error(*error, args, {"--reason", "--identity", "--count", "--timeout", "--write"});
    return;
  }
  check_no_nul(args);
  const cp::CaptureArgs& c = std::get<cp::CaptureArgs>(result);
  check(c.count >= 1 && c.count <= 100000);
  check(c.timeout_seconds > 0 && c.timeout_seconds <= 3600);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<std::string> args =
      split(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  switch (data[0] % 5) {
    case 0:
      fuzz_sa_add(args);
      break;
    case 1:
      fuzz_session_add(args);
      break;
    case 2:
      fuzz_sa_delete(args);
      break;
    case 3:
      fuzz_rekey(args);
      break;
    default:
      fuzz_capture(args);
      break;
  }
  cp::wipe(args);  // sa add arguments hold keys
  return 0;
}
