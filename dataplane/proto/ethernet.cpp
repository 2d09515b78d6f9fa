#include "dataplane/proto/ethernet.h"

namespace softwire::proto {

std::string_view to_string(EthernetStatus status) {
  switch (status) {
    case EthernetStatus::kOk:
      return "ok";
    case EthernetStatus::kTruncated:
      return "truncated";
    case EthernetStatus::kMulticastSource:
      return "multicast_source";
    case EthernetStatus::kTooManyTags:
      return "too_many_tags";
    case EthernetStatus::kBadTagOrder:
      return "bad_tag_order";
    case EthernetStatus::kLlcFrame:
      return "llc_frame";
  }
  return "unknown";
}

std::string_view to_string(ArpStatus status) {
  switch (status) {
    case ArpStatus::kOk:
      return "ok";
    case ArpStatus::kTruncated:
      return "truncated";
    case ArpStatus::kBadHardwareType:
      return "bad_hardware_type";
    case ArpStatus::kBadProtocolType:
      return "bad_protocol_type";
    case ArpStatus::kBadAddressLength:
      return "bad_address_length";
    case ArpStatus::kBadOperation:
      return "bad_operation";
  }
  return "unknown";
}

size_t build_ethernet(MutableBytes out, const EthernetFields& f) {
  if (f.tag_count > kMaxVlanTags) return 0;
  const size_t length = ethernet_header_length(f);
  if (out.size() < length) return 0;
  for (uint8_t i = 0; i < f.tag_count; ++i) {
    const VlanTag& tag = f.tags[i];
    if (tag.tpid != kEtherTypeVlan && tag.tpid != kEtherTypeQinQ) return 0;
    if (tag.pcp > 7 || tag.vid > kVlanIdMask) return 0;
  }
  uint8_t* p = out.data();
  std::memcpy(p, f.dst.data(), 6);
  std::memcpy(p + 6, f.src.data(), 6);
  size_t offset = 12;
  for (uint8_t i = 0; i < f.tag_count; ++i) {
    const VlanTag& tag = f.tags[i];
    const uint16_t tci = static_cast<uint16_t>((tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid);
    store_be16(p + offset, tag.tpid);
    store_be16(p + offset + 2, tci);
    offset += kVlanTagLength;
  }
  store_be16(p + offset, f.ether_type);
  return length;
}

size_t build_arp(MutableBytes out, const ArpPacket& arp) {
  if (out.size() < kArpLength) return 0;
  uint8_t* p = out.data();
  store_be16(p, kArpHardwareEthernet);
  store_be16(p + 2, kEtherTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  store_be16(p + 6, arp.operation);
  std::memcpy(p + 8, arp.sender_mac.data(), 6);
  store_be32(p + 14, arp.sender_ip);
  std::memcpy(p + 18, arp.target_mac.data(), 6);
  store_be32(p + 24, arp.target_ip);
  return kArpLength;
}

}  // namespace softwire::proto
