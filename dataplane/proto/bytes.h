// Big-endian loads and stores over byte spans, shared by every protocol codec.
// Codecs work on contiguous bytes so that they can be unit-tested without EAL;
// mbuf_bytes() adapts a single-segment mbuf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace softwire::proto {

using ConstBytes = std::span<const uint8_t>;
using MutableBytes = std::span<uint8_t>;

inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

// Equality of two 16-byte values (IPv6 addresses) as two 64-bit words, no
// memcmp call: per-packet address checks use it.
inline bool same_16(const void* a, const void* b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, static_cast<const uint8_t*>(a) + 8, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, static_cast<const uint8_t*>(b) + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

}  // namespace softwire::proto
