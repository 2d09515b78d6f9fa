#include "dataplane/stages/neighbor.h"

#include <rte_byteorder.h>

#include <cstring>

#include "dataplane/proto/checksum.h"
#include "dataplane/proto/ethernet.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/mbuf_bytes.h"

namespace softwire::dp {

namespace {

using proto::load_be16;
using proto::store_be16;
using proto::store_be32;

constexpr uint8_t kNdRouterSolicitation = 133;
constexpr uint8_t kNdNeighborSolicitation = 135;
constexpr uint8_t kNdNeighborAdvertisement = 136;
constexpr uint8_t kNdRedirect = 137;
constexpr size_t kNdMessageLength = 24;  // type, code, checksum, flags/reserved, target
constexpr uint8_t kNdOptionSourceLinkAddress = 1;
constexpr uint8_t kNdOptionTargetLinkAddress = 2;
constexpr uint32_t kNaFlagSolicited = 0x40000000;
constexpr uint32_t kNaFlagOverride = 0x20000000;
constexpr size_t kNaLength = kNdMessageLength + 8;  // with the target link-layer address option

bool is_nd_type(uint8_t type) {
  return type >= kNdRouterSolicitation && type <= kNdRedirect;
}

// ff02::1:ffXX:XXXX for the low 24 bits of `target` (RFC 4291 §2.7.1).
bool is_solicited_node_of(const uint8_t* dst, const uint8_t* target) {
  static constexpr uint8_t kPrefix[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return std::memcmp(dst, kPrefix, sizeof(kPrefix)) == 0 &&
         std::memcmp(dst + 13, target + 13, 3) == 0;
}

bool is_unspecified(const uint8_t* a) {
  static constexpr uint8_t kZero[16] = {};
  return std::memcmp(a, kZero, 16) == 0;
}

// RFC 4861 §7.1.1 validity of a neighbour solicitation (the hop limit, code,
// length, checksum and option checks; the caller checks the addresses).
bool ns_valid(const uint8_t* ip, const uint8_t* icmp, size_t icmp_length) {
  if (ip[7] != 255 || icmp[1] != 0 || icmp_length < kNdMessageLength) return false;
  const uint16_t pseudo = proto::ipv6_pseudo_header_sum(
      std::span<const uint8_t, 16>(ip + 8, 16), std::span<const uint8_t, 16>(ip + 24, 16),
      proto::kIpProtocolIcmpv6, static_cast<uint32_t>(icmp_length));
  if (!proto::checksum_ok({icmp, icmp_length}, pseudo)) return false;
  const bool unspecified_source = is_unspecified(ip + 8);
  for (size_t pos = kNdMessageLength; pos < icmp_length;) {
    if (icmp_length - pos < 2 || icmp[pos + 1] == 0) return false;
    const size_t length = size_t{icmp[pos + 1]} * 8;
    if (length > icmp_length - pos) return false;
    // DAD probes carry no source link-layer address (§7.1.1).
    if (icmp[pos] == kNdOptionSourceLinkAddress && unspecified_source) return false;
    pos += length;
  }
  return true;
}

}  // namespace

void neighbor_arp(WorkerContext& w, uint16_t port, rte_mbuf* m, size_t l2_len) {
  const proto::MutableBytes frame = proto::mbuf_bytes(m);
  proto::ArpPacket request;
  if (frame.size() < l2_len ||
      proto::parse_arp(frame.subspan(l2_len), request) != proto::ArpStatus::kOk ||
      request.operation != proto::kArpRequest) {
    w.drop(m, DropReason::not_for_us);
    return;
  }
  const PortState& p = w.state.ports[port];
  if (!p.owns_ipv4(rte_cpu_to_be_32(request.target_ip))) {
    w.drop(m, DropReason::not_for_us);
    return;
  }
  proto::MacAddress own;
  std::memcpy(own.data(), p.mac.addr_bytes, 6);
  uint8_t* eth = frame.data();
  std::memcpy(eth, request.sender_mac.data(), 6);  // unicast back to the asker
  std::memcpy(eth + 6, own.data(), 6);
  proto::build_arp(frame.subspan(l2_len), proto::make_arp_reply(request, own));
  // Drop the request's Ethernet padding; the NIC pads short frames.
  rte_pktmbuf_trim(m, static_cast<uint16_t>(frame.size() - l2_len - proto::kArpLength));
  w.counters.arp_replies.add();
  w.send(port, m);
}

bool neighbor_nd(WorkerContext& w, uint16_t port, rte_mbuf* m, size_t l3_offset, size_t l4_offset) {
  const proto::MutableBytes frame = proto::mbuf_bytes(m);
  uint8_t* ip = frame.data() + l3_offset;
  // The caller parsed the IPv6 header: l4_offset lies inside its payload.
  const size_t ip_end = l3_offset + proto::kIpv6HeaderLength + load_be16(ip + 4);
  if (ip_end > frame.size() || l4_offset + 4 > ip_end) {
    w.drop(m, DropReason::not_for_us);
    return true;
  }
  uint8_t* icmp = frame.data() + l4_offset;
  if (!is_nd_type(icmp[0])) return false;
  const size_t icmp_length = ip_end - l4_offset;
  if (icmp[0] != kNdNeighborSolicitation || !ns_valid(ip, icmp, icmp_length)) {
    w.drop(m, DropReason::not_for_us);
    return true;
  }
  const PortState& p = w.state.ports[port];
  const uint8_t* target = icmp + 8;
  const uint8_t* dst = ip + 24;
  const bool to_target = std::memcmp(dst, target, 16) == 0;
  if (!p.owns_ipv6(target) || !(to_target || is_solicited_node_of(dst, target))) {
    w.drop(m, DropReason::not_for_us);
    return true;
  }
  // A duplicate address detection probe (unspecified source) is answered to
  // all-nodes, unsolicited, to defend the address (RFC 4861 §7.2.4).
  const bool dad = is_unspecified(ip + 8);
  static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  uint8_t reply_dst[16];
  std::memcpy(reply_dst, dad ? kAllNodes : ip + 8, 16);
  uint8_t reply_src[16];
  std::memcpy(reply_src, target, 16);

  // Resize the frame to Ethernet + IPv6 + NA + target link-layer option.
  const size_t reply_length = l3_offset + proto::kIpv6HeaderLength + kNaLength;
  if (frame.size() < reply_length) {
    if (rte_pktmbuf_append(m, static_cast<uint16_t>(reply_length - frame.size())) == nullptr) {
      w.drop(m, DropReason::no_buffer_space);
      return true;
    }
  } else {
    rte_pktmbuf_trim(m, static_cast<uint16_t>(frame.size() - reply_length));
  }
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  if (dad) {
    static constexpr uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
    std::memcpy(eth, kAllNodesMac, 6);
  } else {
    std::memcpy(eth, eth + 6, 6);
  }
  std::memcpy(eth + 6, p.mac.addr_bytes, 6);

  ip = eth + l3_offset;
  store_be32(ip, 0x60000000);
  store_be16(ip + 4, static_cast<uint16_t>(kNaLength));
  ip[6] = proto::kIpProtocolIcmpv6;
  ip[7] = 255;  // ND messages must arrive with hop limit 255
  std::memcpy(ip + 8, reply_src, 16);
  std::memcpy(ip + 24, reply_dst, 16);

  // Extension headers of the request are gone: the NA follows the fixed header.
  icmp = ip + proto::kIpv6HeaderLength;
  icmp[0] = kNdNeighborAdvertisement;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be32(icmp + 4, (dad ? 0 : kNaFlagSolicited) | kNaFlagOverride);
  std::memcpy(icmp + 8, reply_src, 16);
  icmp[24] = kNdOptionTargetLinkAddress;
  icmp[25] = 1;  // in units of 8 bytes
  std::memcpy(icmp + 26, p.mac.addr_bytes, 6);
  const uint16_t pseudo = proto::ipv6_pseudo_header_sum(
      std::span<const uint8_t, 16>(reply_src), std::span<const uint8_t, 16>(reply_dst),
      proto::kIpProtocolIcmpv6, static_cast<uint32_t>(kNaLength));
  store_be16(icmp + 2, proto::internet_checksum({icmp, kNaLength}, pseudo));
  w.counters.nd_replies.add();
  w.send(port, m);
  return true;
}

}  // namespace softwire::dp
