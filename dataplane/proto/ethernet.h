// Ethernet II with up to two VLAN tags (802.1Q C-tag 0x8100, 802.1ad S-tag
// 0x88a8), and ARP for IPv4 over Ethernet (RFC 826).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

using MacAddress = std::array<uint8_t, 6>;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // 802.1Q customer tag
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;  // 802.1ad service tag
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
// Smaller values of the type field are an 802.3 length (LLC frames).
inline constexpr uint16_t kEtherTypeMin = 0x0600;

inline constexpr size_t kEthernetHeaderLength = 14;
inline constexpr size_t kVlanTagLength = 4;
inline constexpr size_t kMaxVlanTags = 2;
inline constexpr uint16_t kVlanIdMask = 0x0fff;

enum class EthernetStatus : uint8_t {
  kOk,
  kTruncated,
  kMulticastSource,  // group bit set in the source address
  kTooManyTags,      // a third VLAN tag
  kBadTagOrder,      // an 802.1ad S-tag inside another tag
  kLlcFrame,         // type field < 0x0600 is an 802.3 length, not an ethertype
};
std::string_view to_string(EthernetStatus status);

struct VlanTag {
  uint16_t tpid = kEtherTypeVlan;  // kEtherTypeVlan or kEtherTypeQinQ
  uint8_t pcp = 0;                 // priority code point, 0..7
  bool dei = false;                // drop eligible
  uint16_t vid = 0;                // VLAN id, 0..4095
};

struct EthernetFields {
  MacAddress dst{};
  MacAddress src{};
  uint16_t ether_type = 0;  // of the payload, after the tags
  uint8_t tag_count = 0;
  std::array<VlanTag, kMaxVlanTags> tags{};  // outermost first
};

struct EthernetHeader : EthernetFields {
  size_t header_length = 0;  // 14 + 4 per tag
  ConstBytes payload;        // everything after the header, padding included
};

inline EthernetStatus parse_ethernet(ConstBytes in, EthernetHeader& out) {
  if (in.size() < kEthernetHeaderLength) return EthernetStatus::kTruncated;
  const uint8_t* p = in.data();
  std::memcpy(out.dst.data(), p, 6);
  std::memcpy(out.src.data(), p + 6, 6);
  if (out.src[0] & 0x01) return EthernetStatus::kMulticastSource;
  size_t type_offset = 12;
  uint16_t type = load_be16(p + type_offset);
  uint8_t tag_count = 0;
  while (type == kEtherTypeVlan || type == kEtherTypeQinQ) [[unlikely]] {
      if (tag_count == kMaxVlanTags) return EthernetStatus::kTooManyTags;
      if (tag_count > 0 && type == kEtherTypeQinQ) return EthernetStatus::kBadTagOrder;
      if (in.size() < type_offset + kVlanTagLength + 2) return EthernetStatus::kTruncated;
      const uint16_t tci = load_be16(p + type_offset + 2);
      out.tags[tag_count] = VlanTag{.tpid = type,
                                    .pcp = static_cast<uint8_t>(tci >> 13),
                                    .dei = (tci & 0x1000) != 0,
                                    .vid = static_cast<uint16_t>(tci & kVlanIdMask)};
      ++tag_count;
      type_offset += kVlanTagLength;
      type = load_be16(p + type_offset);
    }
  if (type < kEtherTypeMin) return EthernetStatus::kLlcFrame;
  out.tag_count = tag_count;
  out.ether_type = type;
  out.header_length = type_offset + 2;
  out.payload = in.subspan(out.header_length);
  return EthernetStatus::kOk;
}

constexpr size_t ethernet_header_length(const EthernetFields& f) {
  return kEthernetHeaderLength + kVlanTagLength * f.tag_count;
}

// Writes dst, src, the tags and the ethertype: ethernet_header_length(f)
// bytes. Returns 0 if `out` is too small or a field is out of range (more
// than two tags, a TPID other than 0x8100/0x88a8, PCP > 7, VLAN id > 4095).
// Does not pad the frame to 60 bytes.
size_t build_ethernet(MutableBytes out, const EthernetFields& f);

// ---- ARP, IPv4 over Ethernet only ----

inline constexpr size_t kArpLength = 28;
inline constexpr uint16_t kArpHardwareEthernet = 1;
inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;

enum class ArpStatus : uint8_t {
  kOk,
  kTruncated,
  kBadHardwareType,   // not Ethernet (1)
  kBadProtocolType,   // not IPv4 (0x0800)
  kBadAddressLength,  // hardware length != 6 or protocol length != 4
  kBadOperation,      // neither request (1) nor reply (2)
};
std::string_view to_string(ArpStatus status);

struct ArpPacket {
  uint16_t operation = kArpRequest;
  MacAddress sender_mac{};
  uint32_t sender_ip = 0;
  MacAddress target_mac{};
  uint32_t target_ip = 0;
};

// Parses the ARP payload of an Ethernet frame; trailing padding is ignored.
inline ArpStatus parse_arp(ConstBytes in, ArpPacket& out) {
  if (in.size() < kArpLength) return ArpStatus::kTruncated;
  const uint8_t* p = in.data();
  if (load_be16(p) != kArpHardwareEthernet) return ArpStatus::kBadHardwareType;
  if (load_be16(p + 2) != kEtherTypeIpv4) return ArpStatus::kBadProtocolType;
  if (p[4] != 6 || p[5] != 4) return ArpStatus::kBadAddressLength;
  const uint16_t operation = load_be16(p + 6);
  if (operation != kArpRequest && operation != kArpReply) return ArpStatus::kBadOperation;
  out.operation = operation;
  std::memcpy(out.sender_mac.data(), p + 8, 6);
  out.sender_ip = load_be32(p + 14);
  std::memcpy(out.target_mac.data(), p + 18, 6);
  out.target_ip = load_be32(p + 24);
  return ArpStatus::kOk;
}

// Writes the 28-byte ARP packet; 0 if `out` is too small.
size_t build_arp(MutableBytes out, const ArpPacket& arp);

// The reply to `request` from the owner of request.target_ip.
constexpr ArpPacket make_arp_reply(const ArpPacket& request, const MacAddress& own_mac) {
  return ArpPacket{.operation = kArpReply,
                   .sender_mac = own_mac,
                   .sender_ip = request.target_ip,
                   .target_mac = request.sender_mac,
                   .target_ip = request.sender_ip};
}

}  // namespace softwire::proto
