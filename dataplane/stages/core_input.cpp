#include "dataplane/stages/core_input.h"

#include <rte_byteorder.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <cstring>

#include "dataplane/handoff.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/ethernet.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/stages/inner_ip.h"
#include "dataplane/stages/lookup_runs.h"
#include "dataplane/stages/neighbor.h"

namespace softwire::dp {

namespace {

using proto::load_be16;

constexpr unsigned kPrefetchAhead = 4;

// Addressed to the SC itself, on any of its ports.
bool sc_owns_ipv4(const DataplaneState& state, uint32_t address_be) {
  for (const PortState& p : state.ports)
    if (p.owns_ipv4(address_be)) return true;
  return false;
}

bool sc_owns_ipv6(const DataplaneState& state, const uint8_t* address) {
  for (const PortState& p : state.ports)
    if (p.owns_ipv6(address)) return true;
  return false;
}

bool accepted_dst_mac(const uint8_t* dst, const rte_ether_addr& own) {
  if (std::memcmp(dst, own.addr_bytes, 6) == 0) return true;
  if (dst[0] == 0x33 && dst[1] == 0x33) return true;  // IPv6 multicast (RFC 2464 §7)
  static constexpr uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  return std::memcmp(dst, kBroadcast, 6) == 0;
}

// Per-packet facts pass 1 hands to pass 2.
struct Candidate {
  uint16_t ip_length;     // inner IP packet bytes
  uint16_t upper_offset;  // IPv6: upper-layer header from the IP header
  uint8_t v6;
  uint8_t tcp_first;  // TCP, and the segment's header is in this packet
};

}  // namespace

uint16_t core_input(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n) {
  DataplaneState& state = w.state;
  const PortState& own_port = state.ports[port];

  Candidate cand[kMaxBurst];
  uint32_t v4_addr[kMaxBurst];
  tables::Ipv6Address v6_addr[kMaxBurst];
  uint16_t key_of[kMaxBurst];  // candidate -> its address in v4_addr / v6_addr
  uint16_t n4 = 0, n6 = 0, kept = 0;

  for (uint16_t i = 0; i < kPrefetchAhead && i < n; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));

  // Pass 1: Ethernet and IP validation; ARP/ND/ICMP to the SC leave here.
  for (uint16_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
    rte_mbuf* m = pkts[i];
    MbufMeta& md0 = meta(m);
    md0 = received_meta(m, port, Origin::kCore, proto::kEthernetHeaderLength);
    if (!rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_data_len(m) < proto::kEthernetHeaderLength)
        [[unlikely]] {
      w.drop(m, DropReason::malformed_l2);
      continue;
    }
    uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
    if (!accepted_dst_mac(eth, own_port.mac)) [[unlikely]] {
      w.drop(m, DropReason::not_for_us);
      continue;
    }
    const uint16_t ether_type = load_be16(eth + 12);
    // Untagged only; no multicast sources; no 802.3 length frames.
    if ((eth[6] & 0x01) != 0 || ether_type < proto::kEtherTypeMin ||
        ether_type == proto::kEtherTypeVlan || ether_type == proto::kEtherTypeQinQ) [[unlikely]] {
      w.drop(m, DropReason::malformed_l2);
      continue;
    }
    const proto::ConstBytes l3{eth + proto::kEthernetHeaderLength,
                               size_t{rte_pktmbuf_data_len(m)} - proto::kEthernetHeaderLength};
    Candidate& c = cand[kept];
    if (ether_type == proto::kEtherTypeIpv4) {
      proto::Ipv4Header h;
      if (proto::parse_ipv4(l3, h) != proto::Ipv4Status::kOk) [[unlikely]] {
        w.drop(m, DropReason::malformed_ip);
        continue;
      }
      md0.outer_ip_valid = 1;
      if (sc_owns_ipv4(state, rte_cpu_to_be_32(h.dst))) [[unlikely]] {
        if (h.protocol == proto::kIpProtocolIcmp)
          w.punt(m, PuntKind::icmp,
                 PuntSite{.layer = shm::Layer::kIp, .offset = proto::kEthernetHeaderLength});
        else
          w.drop(m, DropReason::not_for_us);
        continue;
      }
      c = Candidate{h.total_length, 0, 0,
                    h.protocol == proto::kIpProtocolTcp && h.fragment_offset == 0};
      // A run of one destination is looked up once (see lookup_runs.h).
      if (n4 == 0 || h.dst != v4_addr[n4 - 1]) v4_addr[n4++] = h.dst;
      key_of[kept] = static_cast<uint16_t>(n4 - 1);
    } else if (ether_type == proto::kEtherTypeIpv6) {
      proto::Ipv6Header h;
      if (proto::parse_ipv6(l3, h) != proto::Ipv6Status::kOk) [[unlikely]] {
        w.drop(m, DropReason::malformed_ip);
        continue;
      }
      md0.outer_is_v6 = 1;
      md0.outer_ip_valid = 1;
      if (h.dst[0] == 0xff || sc_owns_ipv6(state, h.dst.data())) [[unlikely]] {
        // ND (also to solicited-node multicast groups) is answered here;
        // other ICMPv6 to the SC goes to the control plane.
        if (h.upper_protocol != proto::kIpProtocolIcmpv6) {
          w.drop(m, DropReason::not_for_us);
        } else if (!neighbor_nd(w, port, m, proto::kEthernetHeaderLength,
                                proto::kEthernetHeaderLength + h.upper_offset)) {
          w.punt(m, PuntKind::icmp,
                 PuntSite{.layer = shm::Layer::kIp, .offset = proto::kEthernetHeaderLength});
        }
        continue;
      }
      c = Candidate{static_cast<uint16_t>(proto::kIpv6HeaderLength + h.payload_length),
                    static_cast<uint16_t>(h.upper_offset), 1,
                    h.upper_protocol == proto::kIpProtocolTcp && h.fragment_offset == 0};
      if (n6 == 0 || !same_16(h.dst.data(), v6_addr[n6 - 1].data())) {
        std::memcpy(v6_addr[n6++].data(), h.dst.data(), 16);
      }
      key_of[kept] = static_cast<uint16_t>(n6 - 1);
    } else if (ether_type == proto::kEtherTypeArp) {
      neighbor_arp(w, port, m, proto::kEthernetHeaderLength);
      continue;
    } else {
      w.drop(m, DropReason::malformed_l2);
      continue;
    }
    // Ethernet padding is not part of the packet that gets encapsulated.
    rte_pktmbuf_trim(m, static_cast<uint16_t>(l3.size() - c.ip_length));
    pkts[kept++] = m;
  }

  // Longest-prefix match, one bulk call per family.
  uint32_t session_of[kMaxBurst];
  {
    uint32_t found4[kMaxBurst], found6[kMaxBurst];
    if (n4 > 0) state.prefix_table.lookup_ipv4_bulk(v4_addr, n4, found4);
    if (n6 > 0) state.prefix_table.lookup_ipv6_bulk(v6_addr, n6, found6);
    for (uint16_t i = 0; i < kept; ++i)
      session_of[i] = cand[i].v6 ? found6[key_of[i]] : found4[key_of[i]];
  }
  uint32_t prefetched = tables::PrefixTable::kNoRoute;
  for (uint16_t i = 0; i < kept; ++i) {
    if (session_of[i] != prefetched) {
      prefetched = session_of[i];
      if (prefetched != tables::PrefixTable::kNoRoute) rte_prefetch0(&state.sessions[prefetched]);
    }
  }

  // Pass 2: session checks, TTL, MSS, ownership.
  rte_mbuf* foreign[kMaxBurst];
  uint16_t foreign_owner[kMaxBurst];
  uint16_t n_foreign = 0, out = 0;
  for (uint16_t i = 0; i < kept; ++i) {
    rte_mbuf* m = pkts[i];
    const Candidate& c = cand[i];
    const uint32_t s_index = session_of[i];
    if (s_index == tables::PrefixTable::kNoRoute) [[unlikely]] {
      w.drop(m, DropReason::no_route);
      continue;
    }
    const SessionState& s = state.sessions[s_index];
    const uint32_t sa_index = s.sa_out.load(std::memory_order_relaxed);
    if (sa_index == SessionState::kNoSa) [[unlikely]] {
      w.drop(m, DropReason::no_route);
      continue;
    }
    uint8_t* ip = rte_pktmbuf_mtod_offset(m, uint8_t*, proto::kEthernetHeaderLength);
    if (!decrement_ttl(ip, c.v6)) [[unlikely]] {
      w.drop(m, DropReason::ttl_expired);
      continue;
    }
    const uint16_t mtu = s.mtu.load(std::memory_order_relaxed);
    if (c.ip_length > mtu) [[unlikely]] {
      // TODO(icmp): send ICMP/ICMPv6 packet too big once the SC can originate them.
      w.drop(m, DropReason::mtu_exceeded);
      continue;
    }
    if (c.tcp_first) {
      const size_t l4 = c.v6 ? c.upper_offset : size_t{ip[0] & 0x0fu} * 4;
      clamp_tcp_mss_l4(ip + l4, c.ip_length - l4, mss_for_mtu(mtu, c.v6));
    }
    MbufMeta& md = meta(m);
    md.session_index = s_index;
    md.sa_index = sa_index;
    md.session_generation = s.generation.load(std::memory_order_relaxed);
    md.sa_generation = state.sas[sa_index].generation.load(std::memory_order_relaxed);
    md.seq = 0;
    md.l3_offset = proto::kEthernetHeaderLength;
    md.ingress_port = port;
    const uint16_t owner = state.sas[sa_index].owner;
    if (owner != w.index) {
      foreign[n_foreign] = m;
      foreign_owner[n_foreign++] = owner;
      continue;
    }
    pkts[out++] = m;
  }
  if (n_foreign > 0) [[unlikely]]
    hand_off(w, w.state.handoff_down, foreign, foreign_owner, n_foreign);
  return out;
}

}  // namespace softwire::dp
