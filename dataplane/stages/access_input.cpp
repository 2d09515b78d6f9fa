#include "dataplane/stages/access_input.h"

#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/ethernet.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/mbuf_bytes.h"
#include "dataplane/proto/natt.h"
#include "dataplane/proto/udp.h"
#include "dataplane/stages/lookup_runs.h"
#include "dataplane/stages/neighbor.h"

namespace softwire::dp {

namespace {

constexpr uint16_t kIkePort = 500;

// What to do with one packet; kContinue keeps it in the burst.
enum class Verdict : uint8_t { kContinue, kDrop, kPunt, kConsumed };

struct Outcome {
  Verdict verdict;
  DropReason drop = DropReason::malformed_l2;
  PuntKind punt = PuntKind::icmp;
  shm::Layer punt_layer = shm::Layer::kIp;  // what the punted bytes start with
  uint16_t punt_offset = 0;                 // and where, from the frame start
};

constexpr Outcome drop(DropReason r) {
  return {Verdict::kDrop, r, PuntKind::icmp};
}
// IKE from the outer UDP header, ICMP from the IP header (punt_path.h).
constexpr Outcome punt(PuntKind k, shm::Layer layer, size_t offset) {
  return {Verdict::kPunt, DropReason::malformed_l2, k, layer, static_cast<uint16_t>(offset)};
}
constexpr Outcome kContinue{Verdict::kContinue};
constexpr Outcome kConsumed{Verdict::kConsumed};

bool dst_mac_accepted(const PortState& port, const proto::MacAddress& dst) {
  if (std::memcmp(dst.data(), port.mac.addr_bytes, 6) == 0) [[likely]] {
    return true;
  }
  static constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (std::memcmp(dst.data(), kBroadcast, 6) == 0) return true;
  return dst[0] == 0x33 && dst[1] == 0x33;  // IPv6 multicast: neighbour solicitations
}

// UDP to one of our addresses: IKE, NAT-T keepalive, or ESP in UDP 4500.
// `udp_offset` is the frame offset of the UDP header.
Outcome classify_udp(proto::ConstBytes ip_payload, proto::IpVersion version, size_t udp_offset,
                     MbufMeta& md) {
  proto::UdpHeader udp;
  if (proto::parse_udp(ip_payload, version, udp) != proto::UdpStatus::kOk) {
    return drop(DropReason::malformed_udp);
  }
  md.outer_udp_pos = static_cast<uint16_t>(md.frame_pos + udp_offset);
  // The outer UDP checksum is not verified: ESP's ICV covers everything that
  // matters (RFC 3948 lets NAT-T senders use 0), and IKE is verified by the
  // control plane.
  if (udp.dst_port == proto::kNattPort) [[likely]] {
    proto::NattPayload natt;
    switch (proto::parse_natt(udp.payload, natt)) {
      case proto::NattStatus::kOk:
        break;
      case proto::NattStatus::kTruncated:  // non-zero SPI, but shorter than SPI + seq
        return drop(DropReason::malformed_esp);
      default:  // bad keepalive byte, IKE cut short
        return drop(DropReason::malformed_udp);
    }
    if (natt.kind == proto::NattKind::kEsp) [[likely]] {
      md.via_nat_t = 1;
      md.esp_offset = static_cast<uint16_t>(udp_offset + proto::kUdpHeaderLength);
      return kContinue;
    }
    if (natt.kind == proto::NattKind::kKeepalive) return drop(DropReason::nat_keepalive);
    return punt(PuntKind::ike, shm::Layer::kUdp, udp_offset);
  }
  if (udp.dst_port == kIkePort) return punt(PuntKind::ike, shm::Layer::kUdp, udp_offset);
  return drop(DropReason::unexpected_protocol);
}

Outcome classify(WorkerContext& w, uint16_t port_index, rte_mbuf* m) {
  const PortState& port = w.state.ports[port_index];
  MbufMeta& md = meta(m);
  md = received_meta(m, port_index, Origin::kAccess, 0);

  const proto::ConstBytes frame = proto::mbuf_bytes(static_cast<const rte_mbuf*>(m));
  proto::EthernetHeader eth;
  // A multi-segment mbuf reads as empty, hence truncated.
  if (proto::parse_ethernet(frame, eth) != proto::EthernetStatus::kOk) {
    return drop(DropReason::malformed_l2);
  }
  if (eth.tag_count != 0) return drop(DropReason::malformed_l2);  // untagged access ports only
  if (!dst_mac_accepted(port, eth.dst)) return drop(DropReason::not_for_us);
  const size_t l3 = eth.header_length;
  md.l3_offset = static_cast<uint16_t>(l3);

  if (eth.ether_type == proto::kEtherTypeIpv4) [[likely]] {
    proto::Ipv4Header ip;
    if (proto::parse_ipv4(eth.payload, ip) != proto::Ipv4Status::kOk) {
      return drop(DropReason::malformed_ip);
    }
    // Drop Ethernet padding so that the ESP trailer is at the end of the data.
    rte_pktmbuf_trim(m, static_cast<uint16_t>(frame.size() - (l3 + ip.total_length)));
    md.outer_ip_valid = 1;
    if (ip.is_fragment) return drop(DropReason::fragment);
    uint32_t dst_be;
    std::memcpy(&dst_be, eth.payload.data() + 16, 4);
    if (!port.owns_ipv4(dst_be)) return drop(DropReason::not_for_us);
    const size_t l4 = l3 + ip.header_length;
    switch (ip.protocol) {
      case proto::kIpProtocolEsp:
        md.esp_offset = static_cast<uint16_t>(l4);
        return kContinue;
      case proto::kIpProtocolUdp:
        return classify_udp(ip.payload, proto::IpVersion::kIpv4, l4, md);
      case proto::kIpProtocolIcmp:
        return punt(PuntKind::icmp, shm::Layer::kIp, l3);
      default:
        return drop(DropReason::unexpected_protocol);
    }
  }

  if (eth.ether_type == proto::kEtherTypeIpv6) {
    md.outer_is_v6 = 1;
    proto::Ipv6Header ip;
    if (proto::parse_ipv6(eth.payload, ip) != proto::Ipv6Status::kOk) {
      return drop(DropReason::malformed_ip);
    }
    rte_pktmbuf_trim(m, static_cast<uint16_t>(frame.size() -
                                              (l3 + proto::kIpv6HeaderLength + ip.payload_length)));
    md.outer_ip_valid = 1;
    if (ip.is_fragment) return drop(DropReason::fragment);
    const size_t l4 = l3 + ip.upper_offset;
    if (ip.dst[0] == 0xff) {
      // Multicast: only neighbour solicitations (to the solicited-node group).
      if (ip.upper_protocol == proto::kIpProtocolIcmpv6 && neighbor_nd(w, port_index, m, l3, l4)) {
        return kConsumed;
      }
      return drop(DropReason::not_for_us);
    }
    if (!port.owns_ipv6(ip.dst.data())) return drop(DropReason::not_for_us);
    switch (ip.upper_protocol) {
      case proto::kIpProtocolEsp:
        md.esp_offset = static_cast<uint16_t>(l4);
        return kContinue;
      case proto::kIpProtocolUdp:
        return classify_udp(ip.upper_payload, proto::IpVersion::kIpv6, l4, md);
      case proto::kIpProtocolIcmpv6:
        if (neighbor_nd(w, port_index, m, l3, l4)) return kConsumed;
        return punt(PuntKind::icmp, shm::Layer::kIp, l3);
      default:
        return drop(DropReason::unexpected_protocol);
    }
  }

  if (eth.ether_type == proto::kEtherTypeArp) {
    neighbor_arp(w, port_index, m, l3);
    return kConsumed;
  }
  return drop(DropReason::unexpected_protocol);
}

}  // namespace

uint16_t access_input(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n) {
  constexpr uint16_t kPrefetchAhead = 3;
  for (uint16_t i = 0; i < n && i < kPrefetchAhead; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  }
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    rte_mbuf* m = pkts[i];
    const Outcome o = classify(w, port, m);
    switch (o.verdict) {
      case Verdict::kContinue:
        pkts[kept++] = m;
        break;
      case Verdict::kDrop:
        w.drop(m, o.drop);
        break;
      case Verdict::kPunt:
        w.punt(m, o.punt, PuntSite{.layer = o.punt_layer, .offset = o.punt_offset});
        break;
      case Verdict::kConsumed:
        break;
    }
  }
  return kept;
}

}  // namespace softwire::dp
