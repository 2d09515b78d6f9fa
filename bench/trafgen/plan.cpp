#include "plan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace softwire::trafgen {
namespace {

V4 v4_from(uint32_t host_order) {
  return {static_cast<uint8_t>(host_order >> 24), static_cast<uint8_t>(host_order >> 16),
          static_cast<uint8_t>(host_order >> 8), static_cast<uint8_t>(host_order)};
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

V4 si_v4(uint32_t k) {
  return v4_from((100u << 24 | 64u << 16) + k + 1);
}

V6 si_v6(uint32_t k) {
  V6 a{0x20, 0x01, 0x0d, 0xb8, 0, 0x0f};
  const uint32_t host = k + 1;
  a[12] = static_cast<uint8_t>(host >> 24);
  a[13] = static_cast<uint8_t>(host >> 16);
  a[14] = static_cast<uint8_t>(host >> 8);
  a[15] = static_cast<uint8_t>(host);
  return a;
}

V4 session_v4_prefix(uint32_t i) {
  return v4_from((10u << 24) + i * 4u);
}

V4 session_v4_host(uint32_t i) {
  return v4_from((10u << 24) + i * 4u + 1);
}

V6 session_v6_prefix(uint32_t i) {
  V6 a{0x20, 0x01, 0x0d, 0xb8};
  const uint32_t bits = 0x80000000u | i;  // bits 32..63 of the address
  a[4] = static_cast<uint8_t>(bits >> 24);
  a[5] = static_cast<uint8_t>(bits >> 16);
  a[6] = static_cast<uint8_t>(bits >> 8);
  a[7] = static_cast<uint8_t>(bits);
  return a;
}

V6 session_v6_host(uint32_t i) {
  V6 a = session_v6_prefix(i);
  a[15] = 1;
  return a;
}

std::vector<uint8_t> sa_key(uint64_t seed, uint32_t spi, bool aes256) {
  uint64_t state = seed ^ (uint64_t{spi} * 0xd1b54a32d192ed03ull);
  std::vector<uint8_t> key((aes256 ? 32 : 16) + 4);
  for (size_t i = 0; i < key.size(); i += 8) {
    const uint64_t r = splitmix64(state);
    for (size_t j = 0; j < 8 && i + j < key.size(); ++j)
      key[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  return key;
}

uint64_t packet_count(const Options& o) {
  return o.packets != 0 ? o.packets : std::max<uint64_t>(o.sessions, 1024);
}

uint32_t mempool_mbufs(const Options& o) {
  constexpr uint64_t kLoaderMax = 4194303;
  const uint64_t queues = o.workers.size();
  // Per queue: the replayed pcap, RX and TX rings (1024 each, both ports),
  // bursts in flight and hand-off rings.
  const uint64_t need = queues * (packet_count(o) + 8192) + 8192;
  uint64_t size = 16383;
  while (size < need && size < kLoaderMax) size = size * 2 + 1;
  return need > size ? 0 : static_cast<uint32_t>(size);
}

std::string format_v4(const V4& a) {
  char s[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, a.data(), s, sizeof s);
  return s;
}

std::string format_v6(const V6& a) {
  char s[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a.data(), s, sizeof s);
  return s;
}

std::string format_mac(const Mac& m) {
  char s[18];
  std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return s;
}

}  // namespace softwire::trafgen
