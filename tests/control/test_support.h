// Builders for SAs and sessions in control-plane tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/addresses.h"
#include "config/model.h"

namespace softwire::cp::testing {

inline config::SaConfig make_sa(uint32_t spi, config::Direction direction, uint8_t key_byte = 1,
                                const char* local = "192.0.2.1",
                                const char* remote = "198.51.100.2") {
  config::SaConfig sa;
  sa.spi = spi;
  sa.direction = direction;
  sa.local = *config::parse_ip_address(local).value;
  sa.remote = *config::parse_ip_address(remote).value;
  sa.proposal = config::Proposal::kAes128Gcm16;
  sa.key = config::KeyMaterial(std::vector<uint8_t>(16, key_byte));
  sa.salt = {1, 2, 3, 4};
  sa.replay_window = direction == config::Direction::kIn ? 1024 : 0;
  sa.local_ts = {sa.local, 32};
  sa.remote_ts = {sa.remote, 32};
  return sa;
}

inline config::SessionConfig make_session(const std::string& identity, uint32_t sa_in,
                                          uint32_t sa_out, uint16_t tunnel_id, uint16_t session_id,
                                          const std::vector<std::string>& prefixes) {
  config::SessionConfig s;
  s.identity = identity;
  s.sa_in = sa_in;
  s.sa_out = sa_out;
  s.tunnel_id = tunnel_id;
  s.session_id = session_id;
  s.peer_tunnel_id = tunnel_id;
  s.peer_session_id = session_id;
  for (const auto& p : prefixes) s.prefixes.push_back(*config::parse_ip_prefix(p).value);
  return s;
}

}  // namespace softwire::cp::testing
