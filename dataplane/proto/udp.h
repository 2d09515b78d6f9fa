// UDP (RFC 768) over IPv4 and IPv6 (RFC 8200 section 8.1): strict parse,
// pseudo-header checksum verification kept separate so that the data plane
// can skip it where ESP already authenticates the datagram, and build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/proto/bytes.h"
#include "dataplane/proto/checksum.h"
#include "dataplane/proto/ipv4.h"  // kIpProtocolUdp

namespace softwire::proto {

inline constexpr size_t kUdpHeaderLength = 8;

enum class IpVersion : uint8_t { kIpv4, kIpv6 };

enum class UdpStatus : uint8_t {
  kOk,
  kTruncated,     // fewer than 8 bytes
  kBadLength,     // length field < 8 or != the IP payload length
  kZeroChecksum,  // checksum 0 over IPv6, forbidden by RFC 8200
  kBadChecksum,   // pseudo-header checksum does not verify
};
std::string_view to_string(UdpStatus status);

struct UdpFields {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
};

struct UdpHeader : UdpFields {
  uint16_t length = 0;    // header + payload
  uint16_t checksum = 0;  // 0 over IPv4: none
  ConstBytes payload;
};

// `ip_payload` is exactly the IP payload (after any IPv6 extension headers):
// the UDP length field must match it.
inline UdpStatus parse_udp(ConstBytes ip_payload, IpVersion version, UdpHeader& out) {
  if (ip_payload.size() < kUdpHeaderLength) return UdpStatus::kTruncated;
  const uint8_t* p = ip_payload.data();
  const uint16_t length = load_be16(p + 4);
  if (length < kUdpHeaderLength || length != ip_payload.size()) return UdpStatus::kBadLength;
  const uint16_t checksum = load_be16(p + 6);
  if (checksum == 0 && version == IpVersion::kIpv6) return UdpStatus::kZeroChecksum;
  out.src_port = load_be16(p);
  out.dst_port = load_be16(p + 2);
  out.length = length;
  out.checksum = checksum;
  out.payload = ip_payload.subspan(kUdpHeaderLength);
  return UdpStatus::kOk;
}

// Verify the checksum of a datagram accepted by parse_udp (header + payload,
// its size being the UDP length). Over IPv4 a zero checksum means none: kOk.
inline UdpStatus verify_udp_checksum_ipv4(ConstBytes datagram, uint32_t src, uint32_t dst) {
  if (datagram.size() < kUdpHeaderLength) return UdpStatus::kTruncated;
  if (load_be16(datagram.data() + 6) == 0) return UdpStatus::kOk;
  const uint16_t pseudo =
      ipv4_pseudo_header_sum(src, dst, kIpProtocolUdp, static_cast<uint16_t>(datagram.size()));
  return checksum_ok(datagram, pseudo) ? UdpStatus::kOk : UdpStatus::kBadChecksum;
}

inline UdpStatus verify_udp_checksum_ipv6(ConstBytes datagram, std::span<const uint8_t, 16> src,
                                          std::span<const uint8_t, 16> dst) {
  if (datagram.size() < kUdpHeaderLength) return UdpStatus::kTruncated;
  if (load_be16(datagram.data() + 6) == 0) return UdpStatus::kZeroChecksum;
  const uint16_t pseudo =
      ipv6_pseudo_header_sum(src, dst, kIpProtocolUdp, static_cast<uint32_t>(datagram.size()));
  return checksum_ok(datagram, pseudo) ? UdpStatus::kOk : UdpStatus::kBadChecksum;
}

enum class UdpChecksum : uint8_t {
  kCompute,
  kNone,  // IPv4 only: send 0 (e.g. NAT-T, where ESP authenticates the payload)
};

// Builders write the 8-byte header at the front of `datagram`, which spans
// header room plus the payload already in place behind it (the data plane
// prepends the header into mbuf headroom); the UDP length is datagram.size().
// They return 8, or 0 if the datagram is shorter than 8 or longer than 65535
// bytes. A computed checksum of 0 is sent as 0xffff.
size_t build_udp_ipv4(MutableBytes datagram, const UdpFields& f, uint32_t src, uint32_t dst,
                      UdpChecksum mode = UdpChecksum::kCompute);
size_t build_udp_ipv6(MutableBytes datagram, const UdpFields& f, std::span<const uint8_t, 16> src,
                      std::span<const uint8_t, 16> dst);

}  // namespace softwire::proto
