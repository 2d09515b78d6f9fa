// IPv4 header (RFC 791): strict parse, build, TTL decrement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/proto/bytes.h"
#include "dataplane/proto/checksum.h"

namespace softwire::proto {

// IP protocol / IPv6 next-header numbers the data plane dispatches on.
inline constexpr uint8_t kIpProtocolIcmp = 1;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;
inline constexpr uint8_t kIpProtocolEsp = 50;
inline constexpr uint8_t kIpProtocolIcmpv6 = 58;

inline constexpr size_t kIpv4MinHeaderLength = 20;
inline constexpr size_t kIpv4MaxOptionsLength = 40;
inline constexpr uint16_t kIpv4MaxFragmentOffset = 0x1fff;  // in 8-byte units

enum class Ipv4Status : uint8_t {
  kOk,
  kTruncated,        // shorter than 20 bytes or than IHL*4
  kBadVersion,       // version != 4
  kBadHeaderLength,  // IHL < 5
  kBadTotalLength,   // total length < IHL*4, or more than the bytes available
  kBadChecksum,      // header checksum does not verify
  kReservedFlag,     // the reserved (evil) flag bit is set
  kBadOptions,       // an option runs past the header or has a length < 2
};
std::string_view to_string(Ipv4Status status);

struct Ipv4Fields {
  uint8_t tos = 0;              // DSCP and ECN
  uint16_t payload_length = 0;  // bytes after the header (total length - header length)
  uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // in 8-byte units, 0..8191
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  uint32_t src = 0;
  uint32_t dst = 0;
  ConstBytes options;  // raw option bytes, a multiple of 4, at most 40
};

struct Ipv4Header : Ipv4Fields {
  uint16_t total_length = 0;
  uint16_t checksum = 0;
  size_t header_length = 0;  // IHL * 4
  bool is_fragment = false;  // MF set or offset != 0: the data plane decides
  ConstBytes payload;        // trimmed to the total length (drops Ethernet padding)
};

// Checks the option list of a header with IHL > 5; out of line as options are rare.
bool ipv4_options_valid(ConstBytes options);

inline Ipv4Status parse_ipv4(ConstBytes in, Ipv4Header& out) {
  if (in.size() < kIpv4MinHeaderLength) return Ipv4Status::kTruncated;
  const uint8_t* p = in.data();
  if ((p[0] >> 4) != 4) return Ipv4Status::kBadVersion;
  const size_t header_length = size_t{p[0] & 0x0fu} * 4;
  if (header_length < kIpv4MinHeaderLength) return Ipv4Status::kBadHeaderLength;
  if (in.size() < header_length) return Ipv4Status::kTruncated;
  if (!checksum_ok(in.first(header_length))) return Ipv4Status::kBadChecksum;
  const uint16_t total_length = load_be16(p + 2);
  if (total_length < header_length || total_length > in.size()) {
    return Ipv4Status::kBadTotalLength;
  }
  const uint16_t flags_offset = load_be16(p + 6);
  if (flags_offset & 0x8000) return Ipv4Status::kReservedFlag;
  const ConstBytes options = in.subspan(kIpv4MinHeaderLength, header_length - kIpv4MinHeaderLength);
  if (!options.empty() && !ipv4_options_valid(options)) [[unlikely]] {
    return Ipv4Status::kBadOptions;
  }
  out.tos = p[1];
  out.payload_length = static_cast<uint16_t>(total_length - header_length);
  out.identification = load_be16(p + 4);
  out.dont_fragment = (flags_offset & 0x4000) != 0;
  out.more_fragments = (flags_offset & 0x2000) != 0;
  out.fragment_offset = flags_offset & kIpv4MaxFragmentOffset;
  out.ttl = p[8];
  out.protocol = p[9];
  out.src = load_be32(p + 12);
  out.dst = load_be32(p + 16);
  out.options = options;
  out.total_length = total_length;
  out.checksum = load_be16(p + 10);
  out.header_length = header_length;
  out.is_fragment = (flags_offset & 0x3fff) != 0;
  out.payload = in.subspan(header_length, total_length - header_length);
  return Ipv4Status::kOk;
}

constexpr size_t ipv4_header_length(const Ipv4Fields& f) {
  return kIpv4MinHeaderLength + f.options.size();
}

// Writes the header (20 bytes plus options) with total length
// header + f.payload_length and a computed checksum. Returns 0 if `out` is too
// small or a field is out of range (options not a multiple of 4 or over 40
// bytes, total length over 65535, fragment offset over 8191).
size_t build_ipv4(MutableBytes out, const Ipv4Fields& f);

// Decrements the TTL of a parsed header in place and patches the checksum
// incrementally (RFC 1624). The caller has checked that the TTL is above 1.
inline void ipv4_decrement_ttl(MutableBytes header) {
  uint8_t* p = header.data();
  const uint16_t old_word = load_be16(p + 8);
  --p[8];
  store_be16(p + 10, checksum_update16(load_be16(p + 10), old_word, load_be16(p + 8)));
}

}  // namespace softwire::proto
