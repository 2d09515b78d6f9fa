// IPv6 header (RFC 8200): strict parse with an extension-header walk, build.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "dataplane/proto/bytes.h"
#include "dataplane/proto/ipv4.h"  // kIpProtocol* numbers

namespace softwire::proto {

using Ipv6Address = std::array<uint8_t, 16>;

inline constexpr size_t kIpv6HeaderLength = 40;
inline constexpr uint32_t kIpv6MaxFlowLabel = 0xfffff;
// Longer chains are refused rather than walked: they are not used by real
// traffic and bound the per-packet cost.
inline constexpr uint8_t kIpv6MaxExtensionHeaders = 8;

inline constexpr uint8_t kIpv6HopByHop = 0;
inline constexpr uint8_t kIpv6Routing = 43;
inline constexpr uint8_t kIpv6Fragment = 44;
inline constexpr uint8_t kIpv6NoNextHeader = 59;
inline constexpr uint8_t kIpv6DestinationOptions = 60;

enum class Ipv6Status : uint8_t {
  kOk,
  kTruncated,                 // shorter than the 40-byte fixed header
  kBadVersion,                // version != 6
  kJumbogram,                 // payload length 0 with hop-by-hop: RFC 2675, unsupported
  kBadPayloadLength,          // payload length exceeds the bytes available
  kTruncatedExtensionHeader,  // an extension header runs past the payload
  kHopByHopNotFirst,          // hop-by-hop options anywhere but first
  kTooManyExtensionHeaders,   // more than kIpv6MaxExtensionHeaders
};
std::string_view to_string(Ipv6Status status);

struct Ipv6Fields {
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;  // 20 bits
  uint16_t payload_length = 0;
  uint8_t next_header = 0;  // of the fixed header
  uint8_t hop_limit = 64;
  Ipv6Address src{};
  Ipv6Address dst{};
};

struct Ipv6Header : Ipv6Fields {
  // After the walk over hop-by-hop, routing, fragment and destination options:
  // the first other next-header value (ESP, UDP, TCP, ICMPv6, no next header,
  // or anything unknown, which the data plane drops) and where it starts.
  uint8_t upper_protocol = 0;
  size_t upper_offset = 0;  // from the start of the IPv6 header
  uint8_t extension_header_count = 0;
  bool has_routing_header = false;
  uint8_t routing_segments_left = 0;  // of the first routing header
  bool has_fragment_header = false;
  bool is_fragment = false;      // a fragment header with M set or offset != 0
  uint16_t fragment_offset = 0;  // of the first fragment header, 8-byte units
  bool more_fragments = false;
  uint32_t fragment_id = 0;
  ConstBytes payload;        // after the fixed header, trimmed to the payload length
  ConstBytes upper_payload;  // from upper_offset to the end of the payload
};

constexpr bool ipv6_is_extension_header(uint8_t next_header) {
  return next_header == kIpv6HopByHop || next_header == kIpv6Routing ||
         next_header == kIpv6Fragment || next_header == kIpv6DestinationOptions;
}

inline Ipv6Status parse_ipv6(ConstBytes in, Ipv6Header& out) {
  if (in.size() < kIpv6HeaderLength) return Ipv6Status::kTruncated;
  const uint8_t* p = in.data();
  const uint32_t version_class_flow = load_be32(p);
  if ((version_class_flow >> 28) != 6) return Ipv6Status::kBadVersion;
  const uint16_t payload_length = load_be16(p + 4);
  const uint8_t next_header = p[6];
  if (payload_length == 0 && next_header == kIpv6HopByHop) return Ipv6Status::kJumbogram;
  if (payload_length > in.size() - kIpv6HeaderLength) return Ipv6Status::kBadPayloadLength;
  const size_t end = kIpv6HeaderLength + payload_length;

  out.has_routing_header = false;
  out.routing_segments_left = 0;
  out.has_fragment_header = false;
  out.is_fragment = false;
  out.fragment_offset = 0;
  out.more_fragments = false;
  out.fragment_id = 0;
  uint8_t protocol = next_header;
  size_t offset = kIpv6HeaderLength;
  uint8_t count = 0;
  while (ipv6_is_extension_header(protocol)) [[unlikely]] {
      if (count == kIpv6MaxExtensionHeaders) return Ipv6Status::kTooManyExtensionHeaders;
      if (protocol == kIpv6HopByHop && count != 0) return Ipv6Status::kHopByHopNotFirst;
      // Every one of these headers is at least 8 bytes: next header, length, ...
      if (end - offset < 8) return Ipv6Status::kTruncatedExtensionHeader;
      const uint8_t* h = p + offset;
      const size_t length = protocol == kIpv6Fragment ? 8 : (size_t{h[1]} + 1) * 8;
      if (end - offset < length) return Ipv6Status::kTruncatedExtensionHeader;
      bool last_header = false;
      if (protocol == kIpv6Routing && !out.has_routing_header) {
        out.has_routing_header = true;
        out.routing_segments_left = h[3];
      } else if (protocol == kIpv6Fragment) {
        const uint16_t offset_flags = load_be16(h + 2);
        const uint16_t fragment_offset = offset_flags >> 3;
        const bool more_fragments = (offset_flags & 1) != 0;
        if (!out.has_fragment_header) {
          out.has_fragment_header = true;
          out.fragment_offset = fragment_offset;
          out.more_fragments = more_fragments;
          out.fragment_id = load_be32(h + 4);
        }
        out.is_fragment |= fragment_offset != 0 || more_fragments;
        // A later fragment holds fragment data, not the rest of the chain.
        last_header = fragment_offset != 0;
      }
      protocol = h[0];
      offset += length;
      ++count;
      if (last_header) break;
    }

  out.traffic_class = static_cast<uint8_t>(version_class_flow >> 20);
  out.flow_label = version_class_flow & kIpv6MaxFlowLabel;
  out.payload_length = payload_length;
  out.next_header = next_header;
  out.hop_limit = p[7];
  std::memcpy(out.src.data(), p + 8, 16);
  std::memcpy(out.dst.data(), p + 24, 16);
  out.upper_protocol = protocol;
  out.upper_offset = offset;
  out.extension_header_count = count;
  out.payload = in.subspan(kIpv6HeaderLength, payload_length);
  out.upper_payload = in.subspan(offset, end - offset);
  return Ipv6Status::kOk;
}

// Writes the 40-byte fixed header (extension headers are the caller's).
// Returns 0 if `out` is too small or the flow label exceeds 20 bits.
size_t build_ipv6(MutableBytes out, const Ipv6Fields& f);

// Decrements the hop limit of a parsed header in place; the caller has
// checked that it is above 1. IPv6 has no header checksum to patch.
inline void ipv6_decrement_hop_limit(MutableBytes header) {
  --header[7];
}

}  // namespace softwire::proto
