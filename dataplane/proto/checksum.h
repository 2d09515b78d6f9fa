// Internet checksum (RFC 1071), pseudo-header sums for UDP/TCP over IPv4 and
// IPv6, and incremental update (RFC 1624).
//
// Every 16-bit value here is a number in host order whose big-endian bytes are
// what goes on the wire (0x1234 is stored as 12 34 with store_be16), like every
// other field the codecs report. A "sum" is the folded one's-complement sum,
// not complemented; a "checksum" is the complement of a sum.
#pragma once

#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

// Folds a 32-bit accumulator of 16-bit words into 16 bits (end-around carry).
constexpr uint16_t checksum_fold(uint32_t sum) {
  sum = (sum >> 16) + (sum & 0xffff);
  sum = (sum >> 16) + (sum & 0xffff);
  return static_cast<uint16_t>(sum);
}

// One's-complement addition of two sums.
constexpr uint16_t checksum_add(uint16_t a, uint16_t b) {
  return checksum_fold(uint32_t{a} + uint32_t{b});
}

// Folded sum of the big-endian 16-bit words of `data` plus `initial`; an odd
// trailing byte is padded with zero. To chain spans, every span but the last
// must have an even length.
inline uint16_t checksum_sum(ConstBytes data, uint16_t initial = 0) {
  // rte_raw_cksum accumulates in 32 bits, which overflows beyond ~128 KiB;
  // feed it even-sized chunks that cannot.
  constexpr size_t kChunk = 65536;
  const uint8_t* p = data.data();
  size_t remaining = data.size();
  uint32_t native_sum = 0;
  while (remaining > kChunk) {
    native_sum += rte_raw_cksum(p, kChunk);
    p += kChunk;
    remaining -= kChunk;
  }
  native_sum += rte_raw_cksum(p, remaining);
  // rte_raw_cksum adds words in host order; a one's-complement sum of
  // byte-swapped words is the byte-swapped sum (RFC 1071 section 2(B)).
  const uint16_t sum = rte_be_to_cpu_16(checksum_fold(native_sum));
  return checksum_add(sum, initial);
}

// The checksum to store in a header whose checksum field is zero.
inline uint16_t internet_checksum(ConstBytes data, uint16_t initial = 0) {
  return static_cast<uint16_t>(~checksum_sum(data, initial));
}

// True if `data`, checksum field included, sums to 0xffff (negative zero).
inline bool checksum_ok(ConstBytes data, uint16_t initial = 0) {
  return checksum_sum(data, initial) == 0xffff;
}

// Pseudo-header sums (RFC 768 / RFC 8200 section 8.1). `l4_length` is the
// length of the UDP/TCP header plus payload.
constexpr uint16_t ipv4_pseudo_header_sum(uint32_t src, uint32_t dst, uint8_t protocol,
                                          uint16_t l4_length) {
  return checksum_fold((src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + protocol +
                       l4_length);
}

inline uint16_t ipv6_pseudo_header_sum(std::span<const uint8_t, 16> src,
                                       std::span<const uint8_t, 16> dst, uint8_t next_header,
                                       uint32_t l4_length) {
  uint16_t sum = checksum_sum(src);
  sum = checksum_sum(dst, sum);
  return checksum_fold(uint32_t{sum} + (l4_length >> 16) + (l4_length & 0xffff) + next_header);
}

// RFC 1624 equation 3: HC' = ~(~HC + ~m + m'), for a 16-bit field that
// changed from `old_word` to `new_word` (TTL/hop-limit decrement, MSS clamp).
constexpr uint16_t checksum_update16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  return static_cast<uint16_t>(~checksum_fold(uint32_t{static_cast<uint16_t>(~checksum)} +
                                              uint32_t{static_cast<uint16_t>(~old_word)} +
                                              new_word));
}

// The same for a 32-bit field (an address rewrite), as two 16-bit words.
constexpr uint16_t checksum_update32(uint16_t checksum, uint32_t old_value, uint32_t new_value) {
  checksum = checksum_update16(checksum, static_cast<uint16_t>(old_value >> 16),
                               static_cast<uint16_t>(new_value >> 16));
  return checksum_update16(checksum, static_cast<uint16_t>(old_value),
                           static_cast<uint16_t>(new_value));
}

}  // namespace softwire::proto
