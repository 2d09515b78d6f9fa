// The benchmark's world: options, and the deterministic plan that maps a
// session or SA index to its addresses, ids, SPIs and keys. The pcap writer
// and the configuration writer both read it, so frames and config agree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace softwire::trafgen {

enum class Family : uint8_t { kV4, kV6 };
enum class Direction : uint8_t { kUp, kDown };

struct Options {
  uint32_t sessions = 1;
  uint32_t sas = 1;
  uint64_t packets = 0;  // 0 = max(sessions, 1024)
  uint32_t inner_size = 512;
  Family inner = Family::kV6;
  Family outer = Family::kV4;
  bool aes256 = false;
  Direction direction = Direction::kUp;
  std::string out_pcap;
  std::string out_config;
  std::vector<unsigned> workers{1};
  std::vector<std::string> eal;
  uint64_t seed = 1;
};

// rte_lpm6 next hops are 21 bits (docs/architecture.md, Tables).
inline constexpr uint32_t kMaxSessions = 2097151;
// Expanded GCM keys are cached per SA up to this many SA pairs; above it they
// are expanded per packet (slower, but memory stays bounded).
inline constexpr uint32_t kMaxCachedKeys = 65536;
inline constexpr uint32_t kMaxSas = kMaxSessions;
inline constexpr uint32_t kMaxInnerSize = 1500;  // the sessions' default MTU

using Mac = std::array<uint8_t, 6>;
using V4 = std::array<uint8_t, 4>;
using V6 = std::array<uint8_t, 16>;

// The SC's ports and their next hops.
inline constexpr Mac kAccessMac{0x02, 0, 0, 0, 0, 0x02};
inline constexpr Mac kAccessGatewayMac{0x02, 0, 0, 0, 0, 0x01};
inline constexpr Mac kCoreMac{0x02, 0, 0, 0, 0x01, 0x02};
inline constexpr Mac kCoreGatewayMac{0x02, 0, 0, 0, 0x01, 0x01};
inline constexpr V4 kAccessV4{198, 51, 100, 1};
inline constexpr V4 kCoreV4{203, 0, 113, 1};
inline constexpr V6 kAccessV6{0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr V6 kCoreV6{0x20, 0x01, 0x0d, 0xb8, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
// The far end of the inner traffic: RFC 2544 / RFC 5180 benchmarking ranges,
// outside every session prefix.
inline constexpr V4 kPeerV4{198, 18, 0, 1};
inline constexpr V6 kPeerV6{0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr uint16_t kInnerPort = 5001;
inline constexpr uint16_t kL2tpPort = 1701;

// SA pair k carries sessions k, k + K, k + 2K, ...
inline uint32_t sa_of_session(const Options& o, uint32_t session) {
  return session % o.sas;
}
inline uint32_t spi_in(uint32_t k) {
  return 0x10000000u + k;
}
inline uint32_t spi_out(uint32_t k) {
  return 0x20000000u + k;
}

// The SI of SA pair k: 100.64.0.0/10 + k + 1, or 2001:db8:f::/96 + k + 1.
V4 si_v4(uint32_t k);
V6 si_v6(uint32_t k);

// Session i: 10.0.0.0/8 cut into /30s (4,194,304 of them), and
// 2001:db8:8000::/33 cut into /64s (i in the 31 bits after the /33), so
// neither collides with the ports' 2001:db8:a::/64 and 2001:db8:c::/64.
V4 session_v4_prefix(uint32_t i);
V6 session_v6_prefix(uint32_t i);
// The SI's own address inside each prefix: the first host.
V4 session_v4_host(uint32_t i);
V6 session_v6_host(uint32_t i);

// 65,535 sessions per tunnel id.
inline uint16_t tunnel_id(uint32_t i) {
  return static_cast<uint16_t>(1 + i / 65535);
}
inline uint16_t session_id(uint32_t i) {
  return static_cast<uint16_t>(1 + i % 65535);
}
inline uint16_t peer_tunnel_id(uint32_t i) {
  return static_cast<uint16_t>(0x8000 + tunnel_id(i));
}
inline uint16_t peer_session_id(uint32_t i) {
  return static_cast<uint16_t>(65536 - session_id(i));
}

// AES key followed by the 4-byte salt, from the seed and the SPI.
std::vector<uint8_t> sa_key(uint64_t seed, uint32_t spi, bool aes256);

uint64_t packet_count(const Options& o);
// Mbufs the configuration asks for: net_pcap's infinite_rx keeps every
// packet of the pcap in an mbuf, once per RX queue (one queue per worker).
// Returns 0 if more than the loader's maximum would be needed.
uint32_t mempool_mbufs(const Options& o);

std::string format_v4(const V4& a);
std::string format_v6(const V6& a);  // lower-case, zero runs compressed
std::string format_mac(const Mac& m);

}  // namespace softwire::trafgen
