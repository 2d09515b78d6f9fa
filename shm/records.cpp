#include "shm/records.h"

#include <algorithm>
#include <cstring>

#include "config/addresses.h"

namespace softwire::shm {

namespace {

using config::AddressFamily;

bool host_bits_clear(const config::IpPrefix& p) {
  return config::network_of(p) == p;
}

template <typename T>
std::string* error_of(std::variant<T, std::string>& v) {
  return std::get_if<std::string>(&v);
}

}  // namespace

Address to_shm(const config::IpAddress& a) {
  Address out{};
  out.family = a.is_v4() ? Family::kIpv4 : Family::kIpv6;
  std::memcpy(out.bytes, a.bytes.data(), 16);
  return out;
}

Prefix to_shm(const config::IpPrefix& p) {
  Prefix out{};
  out.family = p.address.is_v4() ? Family::kIpv4 : Family::kIpv6;
  out.length = p.length;
  std::memcpy(out.bytes, p.address.bytes.data(), 16);
  return out;
}

std::variant<config::IpAddress, std::string> to_config(const Address& a) {
  config::IpAddress out;
  if (a.family == Family::kIpv4) {
    out.family = AddressFamily::kIpv4;
    std::memcpy(out.bytes.data(), a.bytes, 4);  // bytes 4..15 stay zero
  } else if (a.family == Family::kIpv6) {
    out.family = AddressFamily::kIpv6;
    std::memcpy(out.bytes.data(), a.bytes, 16);
  } else {
    return std::string("family must be 4 or 6");
  }
  return out;
}

std::variant<config::IpPrefix, std::string> to_config(const Prefix& p) {
  Address a{};
  a.family = p.family;
  std::memcpy(a.bytes, p.bytes, 16);
  auto address = to_config(a);
  if (auto* e = error_of(address)) return *e;
  config::IpPrefix out{std::get<config::IpAddress>(address), p.length};
  if (p.length > config::max_prefix_length(out.address.family))
    return "prefix length " + std::to_string(p.length) + " too long";
  if (!host_bits_clear(out)) return out.to_string() + " has host bits set";
  return out;
}

SaRecord to_record_without_key(const config::SaConfig& sa) {
  SaRecord r{};
  r.spi = sa.spi;
  r.direction = sa.direction == config::Direction::kIn ? Direction::kIn : Direction::kOut;
  r.proposal = static_cast<Proposal>(sa.proposal);
  r.mode = sa.mode == config::SaMode::kTunnel ? SaMode::kTunnel : SaMode::kTransport;
  r.flags = static_cast<uint8_t>((sa.esn ? kSaFlagEsn : 0) | (sa.nat_t ? kSaFlagNatT : 0));
  r.replay_window = sa.replay_window;
  r.local_port = sa.local_port;
  r.remote_port = sa.remote_port;
  r.local = to_shm(sa.local);
  r.remote = to_shm(sa.remote);
  r.local_ts = to_shm(sa.local_ts);
  r.remote_ts = to_shm(sa.remote_ts);
  r.life_bytes = sa.life_bytes;
  r.life_packets = sa.life_packets;
  r.soft_life_bytes = sa.soft_life_bytes;
  r.soft_life_packets = sa.soft_life_packets;
  return r;
}

SaRecord to_record(const config::SaConfig& sa) {
  SaRecord r = to_record_without_key(sa);
  r.key_length = static_cast<uint8_t>(sa.key.size());
  std::memcpy(r.key, sa.key.bytes().data(), std::min<size_t>(sa.key.size(), sizeof r.key));
  std::memcpy(r.salt, sa.salt.data(), 4);
  return r;
}

std::variant<config::SaConfig, std::string> to_config(const SaRecord& r) {
  config::SaConfig sa;
  if (r.spi < 256) return "spi: " + std::to_string(r.spi) + " is reserved (0..255)";
  sa.spi = r.spi;
  if (r.direction != Direction::kIn && r.direction != Direction::kOut)
    return std::string("direction: must be in or out");
  sa.direction = r.direction == Direction::kIn ? config::Direction::kIn : config::Direction::kOut;
  if (static_cast<uint8_t>(r.proposal) > 3) return std::string("proposal: unknown");
  sa.proposal = static_cast<config::Proposal>(r.proposal);
  if (r.mode != SaMode::kTransport && r.mode != SaMode::kTunnel)
    return std::string("mode: must be transport or tunnel");
  sa.mode = r.mode == SaMode::kTunnel ? config::SaMode::kTunnel : config::SaMode::kTransport;
  if (r.flags & ~(kSaFlagEsn | kSaFlagNatT)) return std::string("flags: unknown bits");
  sa.esn = (r.flags & kSaFlagEsn) != 0;
  sa.nat_t = (r.flags & kSaFlagNatT) != 0;
  const uint32_t w = r.replay_window;
  if (w != 0 && (w < 64 || w > 4096 || (w & (w - 1)) != 0))
    return "replay_window: must be 0 or a power of two in 64..4096, got " + std::to_string(w);
  if (sa.direction == config::Direction::kOut && w != 0)
    return std::string("replay_window: applies to inbound SAs only");
  sa.replay_window = w;
  if (sa.nat_t && (r.local_port == 0 || r.remote_port == 0))
    return std::string("local_port/remote_port: must be 1..65535");
  sa.local_port = sa.nat_t ? r.local_port : 4500;
  sa.remote_port = sa.nat_t ? r.remote_port : 4500;
  const struct {
    const char* name;
    const Address& in;
    config::IpAddress& out;
  } addresses[] = {{"local", r.local, sa.local}, {"remote", r.remote, sa.remote}};
  for (const auto& a : addresses) {
    auto v = to_config(a.in);
    if (auto* e = error_of(v)) return std::string(a.name) + ": " + *e;
    a.out = std::get<config::IpAddress>(v);
  }
  if (sa.local.family != sa.remote.family)
    return std::string("remote: not of the same family as local");
  if (!config::is_unicast(sa.remote)) return std::string("remote: not a unicast address");
  const struct {
    const char* name;
    const Prefix& in;
    config::IpPrefix& out;
  } selectors[] = {{"local_ts", r.local_ts, sa.local_ts}, {"remote_ts", r.remote_ts, sa.remote_ts}};
  for (const auto& s : selectors) {
    auto v = to_config(s.in);
    if (auto* e = error_of(v)) return std::string(s.name) + ": " + *e;
    s.out = std::get<config::IpPrefix>(v);
  }
  if (sa.local_ts.address.family != sa.remote_ts.address.family)
    return std::string("remote_ts: not of the same family as local_ts");
  if (sa.mode == config::SaMode::kTransport &&
      (sa.local_ts !=
           config::IpPrefix{sa.local, uint8_t(config::max_prefix_length(sa.local.family))} ||
       sa.remote_ts !=
           config::IpPrefix{sa.remote, uint8_t(config::max_prefix_length(sa.remote.family))}))
    return std::string("local_ts/remote_ts: traffic selectors need mode tunnel");
  sa.life_bytes = r.life_bytes;
  sa.life_packets = r.life_packets;
  sa.soft_life_bytes = r.soft_life_bytes;
  sa.soft_life_packets = r.soft_life_packets;
  if ((sa.life_bytes && sa.soft_life_bytes > sa.life_bytes) ||
      (sa.life_packets && sa.soft_life_packets > sa.life_packets))
    return std::string("soft_life_*: above the hard limit");
  const unsigned key_bytes = config::proposal_key_bytes(sa.proposal);
  if (r.key_length != key_bytes)
    return "key: " + std::to_string(key_bytes) + " bytes and a 4-byte salt expected for " +
           config::proposal_name(sa.proposal);
  sa.key = config::KeyMaterial(std::vector<uint8_t>(r.key, r.key + r.key_length));
  std::memcpy(sa.salt.data(), r.salt, 4);
  return sa;
}

SessionRecord to_record(const config::SessionConfig& s) {
  SessionRecord r{};
  copy_string(r.identity, sizeof r.identity, s.identity);
  r.sa_in_spi = s.sa_in;
  r.sa_in_old_spi = kNone;
  r.sa_out_spi = s.sa_out;
  r.tunnel_id = s.tunnel_id;
  r.session_id = s.session_id;
  r.peer_tunnel_id = s.peer_tunnel_id;
  r.peer_session_id = s.peer_session_id;
  r.peer_port = s.peer_port;
  r.mtu = s.mtu;
  r.total_prefixes = static_cast<uint32_t>(s.prefixes.size());
  r.prefix_count = static_cast<uint8_t>(std::min<size_t>(s.prefixes.size(), kPrefixesPerRecord));
  for (unsigned i = 0; i < r.prefix_count; ++i) r.prefixes[i] = to_shm(s.prefixes[i]);
  return r;
}

std::variant<config::SessionConfig, std::string> to_config(const SessionRecord& r) {
  config::SessionConfig s;
  if (!read_string(r.identity, sizeof r.identity, s.identity) || s.identity.empty())
    return std::string("identity: must be 1..127 bytes, NUL-terminated");
  s.sa_in = r.sa_in_spi;
  s.sa_out = r.sa_out_spi;
  const struct {
    const char* name;
    uint16_t value;
  } ids[] = {{"tunnel_id", r.tunnel_id},
             {"session_id", r.session_id},
             {"peer_tunnel_id", r.peer_tunnel_id},
             {"peer_session_id", r.peer_session_id},
             {"peer_port", r.peer_port}};
  for (const auto& id : ids)
    if (id.value == 0) return std::string(id.name) + ": must be 1..65535";
  s.tunnel_id = r.tunnel_id;
  s.session_id = r.session_id;
  s.peer_tunnel_id = r.peer_tunnel_id;
  s.peer_session_id = r.peer_session_id;
  s.peer_port = r.peer_port;
  if (r.mtu < 576 || r.mtu > 9000) return "mtu: must be 576..9000, got " + std::to_string(r.mtu);
  s.mtu = r.mtu;
  if (r.prefix_count > kPrefixesPerRecord)
    return "prefix_count: at most " + std::to_string(kPrefixesPerRecord);
  for (unsigned i = 0; i < r.prefix_count; ++i) {
    auto v = to_config(r.prefixes[i]);
    if (auto* e = error_of(v)) return "prefixes[" + std::to_string(i) + "]: " + *e;
    s.prefixes.push_back(std::get<config::IpPrefix>(v));
  }
  return s;
}

void copy_string(char* out, size_t size, const std::string& text) {
  const size_t n = std::min(size - 1, text.size());
  std::memcpy(out, text.data(), n);
  std::memset(out + n, 0, size - n);
}

bool read_string(const char* field, size_t size, std::string& out) {
  const void* end = std::memchr(field, 0, size);
  if (end == nullptr) return false;
  out.assign(field, static_cast<const char*>(end) - field);
  return true;
}

}  // namespace softwire::shm
