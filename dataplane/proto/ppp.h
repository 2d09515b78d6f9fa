// PPP (RFC 1661) as carried in L2TP data messages: no HDLC flags, no byte
// stuffing, no FCS. The address/control bytes FF 03 (RFC 1662) may be
// omitted (ACFC) and a protocol number below 0x100 may be sent as one byte
// (PFC). Receivers must accept both forms whatever was negotiated (RFC 1661
// §6.5), so the parser does too.
//
// LCP frames sent with compressed address/control break a sending rule
// (RFC 1661 §6.6) but are accepted here: LCP is punted to the control plane,
// which sees has_address_control and may enforce it. The builder never
// compresses LCP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

inline constexpr uint8_t kPppAddress = 0xff;  // all-stations
inline constexpr uint8_t kPppControl = 0x03;  // unnumbered information
inline constexpr size_t kPppMaxHeaderSize = 4;

inline constexpr uint16_t kPppProtocolIpv4 = 0x0021;
inline constexpr uint16_t kPppProtocolIpv6 = 0x0057;
inline constexpr uint16_t kPppProtocolIpcp = 0x8021;
inline constexpr uint16_t kPppProtocolIpv6cp = 0x8057;
inline constexpr uint16_t kPppProtocolLcp = 0xc021;
inline constexpr uint16_t kPppProtocolPap = 0xc023;
inline constexpr uint16_t kPppProtocolChap = 0xc223;

enum class PppStatus : uint8_t {
  kOk,
  kTruncated,          // no complete protocol field
  kBadAddressControl,  // FF not followed by 03
  kBadProtocol,        // protocol number breaks the RFC 1661 §2 numbering rule
};

std::string_view to_string(PppStatus status);

// RFC 1661 §2: the low bit of the low byte is 1 and the low bit of the high
// byte is 0 (the ISO 3309 extension rule that makes PFC unambiguous).
constexpr bool is_valid_ppp_protocol(uint16_t protocol) {
  return (protocol & 0x0101) == 0x0001;
}

// Protocol number ranges of RFC 1661 §2.
enum class PppProtocolClass : uint8_t {
  kNetworkLayer,    // 0x0*** - 0x3***: datagrams (IPv4, IPv6, ...)
  kLowVolume,       // 0x4*** - 0x7***: datagrams without an NCP
  kNetworkControl,  // 0x8*** - 0xb***: NCPs (IPCP, IPv6CP, ...)
  kLinkControl,     // 0xc*** - 0xf***: LCP, PAP, CHAP, ...
};

constexpr PppProtocolClass ppp_protocol_class(uint16_t protocol) {
  return static_cast<PppProtocolClass>(protocol >> 14);
}

// Frames that carry network data rather than control traffic.
constexpr bool is_network_data(uint16_t protocol) {
  return protocol < 0x8000;
}
// Control protocols (NCPs and link control): punted to the control plane.
constexpr bool is_control_protocol(uint16_t protocol) {
  return protocol >= 0x8000;
}
// The two protocols the data plane forwards itself.
constexpr bool is_ip_data(uint16_t protocol) {
  return protocol == kPppProtocolIpv4 || protocol == kPppProtocolIpv6;
}

struct PppHeader {
  uint16_t protocol = 0;
  bool has_address_control = false;
  bool protocol_compressed = false;
  size_t header_length = 0;
  ConstBytes payload;
};

inline PppStatus parse_ppp(ConstBytes frame, PppHeader& out) {
  const uint8_t* p = frame.data();
  const size_t size = frame.size();
  size_t pos = 0;
  // FF can only be the address: as a compressed protocol it would be 0x00ff,
  // which is not a valid single-byte form (0x00ff is reserved by RFC 1661).
  const bool has_address_control = size >= 1 && p[0] == kPppAddress;
  if (has_address_control) {
    if (size < 2) return PppStatus::kTruncated;
    if (p[1] != kPppControl) return PppStatus::kBadAddressControl;
    pos = 2;
  }
  if (size <= pos) return PppStatus::kTruncated;
  uint16_t protocol = p[pos];
  const bool compressed = protocol & 1;  // a final byte has its low bit set
  if (compressed) {
    pos += 1;
  } else {
    if (size < pos + 2) return PppStatus::kTruncated;
    protocol = load_be16(p + pos);
    if (!is_valid_ppp_protocol(protocol)) return PppStatus::kBadProtocol;
    pos += 2;
  }
  out.protocol = protocol;
  out.has_address_control = has_address_control;
  out.protocol_compressed = compressed;
  out.header_length = pos;
  out.payload = frame.subspan(pos);
  return PppStatus::kOk;
}

struct PppFields {
  uint16_t protocol = kPppProtocolIpv4;
  bool address_control = true;     // false: ACFC (omit FF 03)
  bool compress_protocol = false;  // true: PFC (one byte) when the number allows it
};

// Writes address/control (unless compressed) and the protocol field. LCP is
// never compressed (RFC 1661 §6.5, §6.6), and PFC applies only to protocol
// numbers below 0x100 (except 0x00ff). Returns the header length, or 0 if it does not fit or
// the protocol number is invalid.
inline size_t build_ppp(MutableBytes out, const PppFields& fields) {
  if (!is_valid_ppp_protocol(fields.protocol)) return 0;
  const bool is_lcp = fields.protocol == kPppProtocolLcp;
  const bool with_address_control = fields.address_control || is_lcp;
  // 0x00ff compressed would read as the address byte: RFC 1661 reserves it
  // ("compression inefficient"), so it keeps two bytes.
  const bool compressed =
      fields.compress_protocol && fields.protocol < 0x100 && fields.protocol != 0x00ff;
  const size_t header_length = (with_address_control ? 2 : 0) + (compressed ? 1 : 2);
  if (out.size() < header_length) return 0;
  uint8_t* p = out.data();
  size_t pos = 0;
  if (with_address_control) {
    p[0] = kPppAddress;
    p[1] = kPppControl;
    pos = 2;
  }
  if (compressed) {
    p[pos] = static_cast<uint8_t>(fields.protocol);
  } else {
    store_be16(p + pos, fields.protocol);
  }
  return header_length;
}

}  // namespace softwire::proto
