#include "control/ctl_args.h"

#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>

#include "config/addresses.h"
#include "shm/records.h"

namespace softwire::cp {

namespace {

// name=value arguments, each allowed name at most once. A first argument
// without '=' is the positional one when `positional` names it. A dozen
// entries at most: a vector searched linearly beats a map.
class KeyValues {
 public:
  std::string parse(const std::vector<std::string>& args,
                    std::initializer_list<std::string_view> allowed,
                    const char* positional = nullptr) {
    values_.reserve(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      const size_t eq = a.find('=');
      std::string_view name, value;
      if (eq == std::string::npos) {
        if (i != 0 || positional == nullptr) return a + ": expected name=value";
        name = positional;
        value = a;
      } else {
        name = std::string_view(a).substr(0, eq);
        value = std::string_view(a).substr(eq + 1);
      }
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (const auto& n : allowed) {
          if (!list.empty()) list += ", ";
          list += n;
        }
        return std::string(name) + ": unknown argument (known: " + list + ")";
      }
      if (find(name) != nullptr) return std::string(name) + ": given twice";
      // Only the operator socket's JSON can carry a NUL (\u0000); the
      // control channel's fixed fields and inet_pton would stop at it.
      if (value.find('\0') != std::string_view::npos)
        return std::string(name) + ": contains a NUL character";
      values_.emplace_back(std::string(name), std::string(value));
    }
    return "";
  }
  ~KeyValues() {
    for (auto& [name, value] : values_) wipe(value);
  }
  const std::string* find(std::string_view name) const {
    for (const auto& [n, v] : values_)
      if (n == name) return &v;
    return nullptr;
  }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// Decimal or 0x hex, within [min, max].
std::string parse_integer(const std::string& name, const std::string& text, uint64_t min,
                          uint64_t max, uint64_t& out) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  const bool ok = !digits.empty() && std::all_of(digits.begin(), digits.end(), [&](char c) {
    return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '9');
  });
  if (!ok) return name + ": \"" + text + "\" is not a number";
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), nullptr, hex ? 16 : 10);
  if (errno == ERANGE || v < min || v > max)
    return name + ": " + text + " is out of range " + std::to_string(min) + ".." +
           std::to_string(max);
  out = v;
  return "";
}

template <typename T>
std::string integer_setting(const KeyValues& kv, const char* name, uint64_t min, uint64_t max,
                            T& out, bool required) {
  const std::string* text = kv.find(name);
  if (text == nullptr) return required ? std::string(name) + ": missing" : "";
  uint64_t v = 0;
  if (std::string e = parse_integer(name, *text, min, max, v); !e.empty()) return e;
  out = static_cast<T>(v);
  return "";
}

std::string boolean_setting(const KeyValues& kv, const char* name, bool& out) {
  const std::string* text = kv.find(name);
  if (text == nullptr) return "";
  if (*text == "yes" || *text == "true") {
    out = true;
  } else if (*text == "no" || *text == "false") {
    out = false;
  } else {
    return std::string(name) + ": \"" + *text + "\" is not yes/no (or true/false)";
  }
  return "";
}

std::string choice_setting(const KeyValues& kv, const char* name,
                           const std::vector<std::string>& choices, size_t& out, bool required) {
  const std::string* text = kv.find(name);
  if (text == nullptr) return required ? std::string(name) + ": missing" : "";
  auto it = std::find(choices.begin(), choices.end(), *text);
  if (it == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : "|") + c;
    return std::string(name) + ": \"" + *text + "\" is not one of " + list;
  }
  out = static_cast<size_t>(it - choices.begin());
  return "";
}

std::string address_setting(const KeyValues& kv, const char* name, config::IpAddress& out) {
  const std::string* text = kv.find(name);
  if (text == nullptr) return std::string(name) + ": missing";
  config::Parsed<config::IpAddress> parsed = config::parse_ip_address(*text);
  if (!parsed) return std::string(name) + ": " + parsed.error;
  out = *parsed.value;
  return "";
}

std::string prefix_text(const char* name, const std::string& text, config::IpPrefix& out) {
  config::Parsed<config::IpPrefix> parsed = config::parse_ip_prefix(text);
  if (!parsed) return std::string(name) + ": " + parsed.error;
  out = *parsed.value;
  return "";
}

}  // namespace

void wipe(std::string& text) {
  if (!text.empty()) explicit_bzero(text.data(), text.size());
  text.clear();
}

void wipe(std::vector<std::string>& strings) {
  for (auto& s : strings) wipe(s);
  strings.clear();
}

ParseResult<config::SaConfig> parse_sa_add(const std::vector<std::string>& args) {
  KeyValues kv;
  if (std::string e = kv.parse(
          args, {"spi", "direction", "local", "remote", "proposal", "key", "esn", "replay_window",
                 "nat_t", "local_port", "remote_port", "mode", "local_ts", "remote_ts",
                 "life_bytes", "life_packets", "soft_life_bytes", "soft_life_packets"});
      !e.empty())
    return e;
  config::SaConfig sa;
  std::string e;
  if (!(e = integer_setting(kv, "spi", 256, 0xffffffff, sa.spi, true)).empty()) {
    if (const std::string* text = kv.find("spi");
        text != nullptr && e.find("out of range") != std::string::npos)
      e = "spi: " + *text + " is reserved (0..255, RFC 4303) or too large: use 256..4294967295";
    return e;
  }
  size_t direction = 0;
  if (!(e = choice_setting(kv, "direction", {"in", "out"}, direction, true)).empty()) return e;
  sa.direction = direction == 0 ? config::Direction::kIn : config::Direction::kOut;
  if (!(e = address_setting(kv, "local", sa.local)).empty()) return e;
  if (!(e = address_setting(kv, "remote", sa.remote)).empty()) return e;
  if (!config::is_unicast(sa.remote))
    return "remote: " + sa.remote.to_string() + " is not a unicast address";
  if (sa.remote.family != sa.local.family)
    return "remote: " + sa.remote.to_string() + " is not of the same family as local " +
           sa.local.to_string();
  size_t proposal = 0;
  if (!(e = choice_setting(kv, "proposal",
                           {"aes128gcm16", "aes256gcm16", "aes128gmac", "aes256gmac"}, proposal,
                           true))
           .empty())
    return e;
  sa.proposal = static_cast<config::Proposal>(proposal);
  const std::string* key = kv.find("key");
  if (key == nullptr) return "key: missing (key=@FILE or key=- for standard input)";
  if (!key->empty() && ((*key)[0] == '@' || *key == "-"))
    return "key: softwire-ctl reads key=@FILE and key=-; send the hex key here";
  {
    config::Parsed<std::vector<uint8_t>> parsed = config::parse_hex(*key);
    if (!parsed) return "key: not a valid hex key: " + parsed.error;
    const config::KeyMaterial blob(std::move(*parsed.value));  // wiped when it goes
    const size_t key_bytes = config::proposal_key_bytes(sa.proposal);
    if (blob.size() != key_bytes + 4)
      return "key: must be " + std::to_string(key_bytes + 4) + " bytes for " +
             config::proposal_name(sa.proposal) + " (" + std::to_string(key_bytes) +
             "-byte AES key + 4-byte salt), got " + std::to_string(blob.size()) + " bytes";
    const auto& bytes = blob.bytes();
    sa.key = config::KeyMaterial(std::vector<uint8_t>(bytes.begin(), bytes.begin() + key_bytes));
    std::copy(bytes.begin() + key_bytes, bytes.end(), sa.salt.begin());
  }
  if (!(e = boolean_setting(kv, "esn", sa.esn)).empty()) return e;
  sa.replay_window = sa.direction == config::Direction::kOut ? 0 : 1024;
  if (const std::string* w = kv.find("replay_window")) {
    if (sa.direction == config::Direction::kOut)
      return "replay_window: applies to inbound SAs only";
    uint64_t size = 0;
    if (!(e = parse_integer("replay_window", *w, 0, 4096, size)).empty()) return e;
    if (size != 0 && (size < 64 || (size & (size - 1)) != 0))
      return "replay_window: must be 0 (off) or a power of two in 64..4096, got " + *w;
    sa.replay_window = static_cast<uint32_t>(size);
  }
  if (!(e = boolean_setting(kv, "nat_t", sa.nat_t)).empty()) return e;
  for (const char* name : {"local_port", "remote_port"}) {
    if (kv.find(name) == nullptr) continue;
    if (!sa.nat_t) return std::string(name) + ": UDP encapsulation ports need nat_t=yes";
    uint16_t& port = std::string_view(name) == "local_port" ? sa.local_port : sa.remote_port;
    if (!(e = integer_setting(kv, name, 1, 65535, port, false)).empty()) return e;
  }
  size_t mode = 0;
  if (!(e = choice_setting(kv, "mode", {"transport", "tunnel"}, mode, false)).empty()) return e;
  sa.mode = mode == 0 ? config::SaMode::kTransport : config::SaMode::kTunnel;
  sa.local_ts = {sa.local, static_cast<uint8_t>(config::max_prefix_length(sa.local.family))};
  sa.remote_ts = {sa.remote, static_cast<uint8_t>(config::max_prefix_length(sa.remote.family))};
  for (const char* name : {"local_ts", "remote_ts"}) {
    const std::string* text = kv.find(name);
    if (text == nullptr) continue;
    if (sa.mode != config::SaMode::kTunnel)
      return std::string(name) + ": traffic selectors need mode=tunnel";
    config::IpPrefix& ts = std::string_view(name) == "local_ts" ? sa.local_ts : sa.remote_ts;
    if (!(e = prefix_text(name, *text, ts)).empty()) return e;
  }
  constexpr uint64_t kUnlimited = std::numeric_limits<int64_t>::max();
  if (!(e = integer_setting(kv, "life_bytes", 0, kUnlimited, sa.life_bytes, false)).empty())
    return e;
  if (!(e = integer_setting(kv, "life_packets", 0, kUnlimited, sa.life_packets, false)).empty())
    return e;
  if (!(e = integer_setting(kv, "soft_life_bytes", 0, kUnlimited, sa.soft_life_bytes, false))
           .empty())
    return e;
  if (!(e = integer_setting(kv, "soft_life_packets", 0, kUnlimited, sa.soft_life_packets, false))
           .empty())
    return e;
  if (sa.life_bytes != 0 && sa.soft_life_bytes > sa.life_bytes)
    return "soft_life_bytes: exceeds life_bytes";
  if (sa.life_packets != 0 && sa.soft_life_packets > sa.life_packets)
    return "soft_life_packets: exceeds life_packets";
  // The whole SA as the channel carries it: the same checks as the data plane's.
  shm::SaRecord record = shm::to_record(sa);
  auto checked = shm::to_config(record);
  explicit_bzero(&record, sizeof record);
  if (auto* error = std::get_if<std::string>(&checked)) return *error;
  return sa;
}

ParseResult<SaDeleteArgs> parse_sa_delete(const std::vector<std::string>& args) {
  KeyValues kv;
  if (std::string e = kv.parse(args, {"spi", "direction"}, "spi"); !e.empty()) return e;
  SaDeleteArgs out;
  std::string e;
  if (!(e = integer_setting(kv, "spi", 256, 0xffffffff, out.spi, true)).empty()) return e;
  if (kv.find("direction") != nullptr) {
    size_t d = 0;
    if (!(e = choice_setting(kv, "direction", {"in", "out"}, d, false)).empty()) return e;
    out.direction = d == 0 ? shm::Direction::kIn : shm::Direction::kOut;
  }
  return out;
}

ParseResult<config::SessionConfig> parse_session_add(const std::vector<std::string>& args) {
  KeyValues kv;
  if (std::string e =
          kv.parse(args, {"identity", "sa_in", "sa_out", "tunnel_id", "session_id",
                          "peer_tunnel_id", "peer_session_id", "prefixes", "mtu", "peer_port"});
      !e.empty())
    return e;
  config::SessionConfig s;
  const std::string* identity = kv.find("identity");
  if (identity == nullptr) return std::string("identity: missing");
  if (identity->empty() || identity->size() >= shm::kIdentityLength)
    return "identity: must be 1.." + std::to_string(shm::kIdentityLength - 1) + " bytes";
  s.identity = *identity;
  std::string e;
  if (!(e = integer_setting(kv, "sa_in", 256, 0xffffffff, s.sa_in, true)).empty()) return e;
  if (!(e = integer_setting(kv, "sa_out", 256, 0xffffffff, s.sa_out, true)).empty()) return e;
  if (!(e = integer_setting(kv, "tunnel_id", 1, 65535, s.tunnel_id, true)).empty()) return e;
  if (!(e = integer_setting(kv, "session_id", 1, 65535, s.session_id, true)).empty()) return e;
  if (!(e = integer_setting(kv, "peer_tunnel_id", 1, 65535, s.peer_tunnel_id, true)).empty())
    return e;
  if (!(e = integer_setting(kv, "peer_session_id", 1, 65535, s.peer_session_id, true)).empty())
    return e;
  const std::string* prefixes = kv.find("prefixes");
  if (prefixes == nullptr) return std::string("prefixes: missing");
  size_t start = 0;
  while (start <= prefixes->size()) {
    size_t comma = prefixes->find(',', start);
    if (comma == std::string::npos) comma = prefixes->size();
    const std::string item = prefixes->substr(start, comma - start);
    if (item.empty()) return std::string("prefixes: empty entry in \"") + *prefixes + "\"";
    config::IpPrefix p;
    if (!(e = prefix_text("prefixes", item, p)).empty()) return e;
    for (const auto& other : s.prefixes)
      if (other.contains(p.address) || p.contains(other.address))
        return "prefixes: " + p.to_string() + " overlaps " + other.to_string();
    s.prefixes.push_back(p);
    start = comma + 1;
  }
  if (!(e = integer_setting(kv, "mtu", 576, 9000, s.mtu, false)).empty()) return e;
  if (!(e = integer_setting(kv, "peer_port", 1, 65535, s.peer_port, false)).empty()) return e;
  // The session as the channel carries it (the first prefixes; the rest
  // were checked above).
  shm::SessionRecord record = shm::to_record(s);
  auto checked = shm::to_config(record);
  if (auto* error = std::get_if<std::string>(&checked)) return *error;
  return s;
}

ParseResult<RekeyArgs> parse_rekey(const std::vector<std::string>& args) {
  KeyValues kv;
  if (std::string e = kv.parse(args, {"identity", "sa_in", "sa_out", "grace"}, "identity");
      !e.empty())
    return e;
  RekeyArgs out;
  const std::string* identity = kv.find("identity");
  if (identity == nullptr || identity->empty()) return std::string("identity: missing");
  out.identity = *identity;
  std::string e;
  if (!(e = integer_setting(kv, "sa_in", 256, 0xffffffff, out.sa_in, true)).empty()) return e;
  if (!(e = integer_setting(kv, "sa_out", 256, 0xffffffff, out.sa_out, true)).empty()) return e;
  if (const std::string* grace = kv.find("grace")) {
    char* end = nullptr;
    const double g = std::strtod(grace->c_str(), &end);
    if (grace->empty() || end != grace->c_str() + grace->size() || !(g >= 0) || g > 86400)
      return "grace: \"" + *grace + "\" is not a number of seconds in 0..86400";
    out.grace_seconds = g;
  }
  return out;
}

ParseResult<CaptureArgs> parse_capture(const std::vector<std::string>& args) {
  CaptureArgs out;
  bool have_write = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--reason" || a == "--identity" || a == "--count" || a == "--timeout" ||
        a == "--write") {
      if (i + 1 >= args.size()) return a + ": needs a value";
      const std::string& text = args[++i];
      if (text.find('\0') != std::string::npos) return a + ": contains a NUL character";
      if (a == "--reason") {
        out.reason = text;
      } else if (a == "--identity") {
        out.identity = text;
      } else if (a == "--count") {
        uint64_t n = 0;
        if (std::string e = parse_integer("--count", text, 1, 100000, n); !e.empty()) return e;
        out.count = static_cast<uint32_t>(n);
      } else if (a == "--timeout") {
        char* end = nullptr;
        const double t = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !(t > 0) || t > 3600)
          return "--timeout: \"" + text + "\" is not a number of seconds in (0, 3600]";
        out.timeout_seconds = t;
      } else {
        out.write = text;
        have_write = true;
      }
    } else {
      return a + ": unknown argument (known: --reason, --identity, --count, --timeout, --write)";
    }
  }
  if (!have_write) return std::string("--write: missing (the pcapng file to write)");
  return out;
}

std::optional<std::string> resolve_key_argument(std::vector<std::string>& args, std::istream& in,
                                                std::string& warning) {
  for (std::string& a : args) {
    if (a.rfind("key=", 0) != 0) continue;
    const std::string source = a.substr(4);
    std::string text;
    if (source == "-") {
      std::getline(in, text);
    } else if (!source.empty() && source[0] == '@') {
      const std::string path = source.substr(1);
      struct stat st {};
      if (stat(path.c_str(), &st) != 0)
        return "key: cannot read " + path + ": " + std::strerror(errno);
      if (st.st_mode & (S_IRWXG | S_IRWXO))
        warning = "key: " + path + " is readable by group or others (chmod 600 it)";
      std::ifstream file(path);
      if (!file) return "key: cannot read " + path + ": " + std::strerror(errno);
      text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    } else {
      wipe(a);
      return std::string(
          "key: key material is never taken from the command line (ps would show it): use "
          "key=@FILE or key=- (standard input)");
    }
    // The hex text, without whitespace (a trailing newline, "0x..." kept).
    std::string hex;
    hex.reserve(text.size());
    for (char c : text)
      if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
    wipe(text);
    if (hex.empty()) return std::string("key: the key source is empty");
    wipe(a);
    a.reserve(4 + hex.size());
    a.append("key=").append(hex);
    wipe(hex);
  }
  return std::nullopt;
}

}  // namespace softwire::cp
