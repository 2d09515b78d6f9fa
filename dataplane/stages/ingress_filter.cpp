#include "dataplane/stages/ingress_filter.h"

#include <rte_byteorder.h>

#include <cstring>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/mbuf_bytes.h"
#include "dataplane/stages/inner_ip.h"
#include "dataplane/stages/lookup_runs.h"

namespace softwire::dp {

uint16_t ingress_filter(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  // Where the TCP header starts (0: not a TCP first fragment) per packet.
  uint16_t tcp_offsets[kMaxBurst];
  uint32_t v4_src[kMaxBurst], v4_session[kMaxBurst];
  tables::Ipv6Address v6_src[kMaxBurst];
  uint32_t v6_session[kMaxBurst];
  uint16_t v4_slot[kMaxBurst], v6_slot[kMaxBurst];  // packet -> lookup slot
  bool is_v6[kMaxBurst];
  uint16_t v4_count = 0, v6_count = 0;

  uint16_t valid = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const proto::ConstBytes bytes = proto::mbuf_bytes(static_cast<const rte_mbuf*>(m));
    const bool v6 = (bytes[0] >> 4) == 6;  // l2tp_input checked the nibble
    size_t ip_length;
    uint16_t tcp_offset = 0;
    if (!v6) {
      proto::Ipv4Header ip;
      if (proto::parse_ipv4(bytes, ip) != proto::Ipv4Status::kOk) [[unlikely]] {
        w.drop(m, DropReason::malformed_inner);
        continue;
      }
      ip_length = ip.total_length;
      if (ip.protocol == proto::kIpProtocolTcp && ip.fragment_offset == 0) {
        tcp_offset = static_cast<uint16_t>(ip.header_length);
      }
      // A run of one source is looked up once (see lookup_runs.h).
      if (v4_count == 0 || ip.src != v4_src[v4_count - 1]) {
        v4_src[v4_count++] = ip.src;  // host order, as the prefix table wants it
      }
      v4_slot[valid] = static_cast<uint16_t>(v4_count - 1);
    } else {
      proto::Ipv6Header ip;
      if (proto::parse_ipv6(bytes, ip) != proto::Ipv6Status::kOk) [[unlikely]] {
        w.drop(m, DropReason::malformed_inner);
        continue;
      }
      ip_length = proto::kIpv6HeaderLength + ip.payload_length;
      if (ip.upper_protocol == proto::kIpProtocolTcp && ip.fragment_offset == 0) {
        tcp_offset = static_cast<uint16_t>(ip.upper_offset);
      }
      if (v6_count == 0 || !same_16(ip.src.data(), v6_src[v6_count - 1].data())) {
        v6_src[v6_count++] = ip.src;
      }
      v6_slot[valid] = static_cast<uint16_t>(v6_count - 1);
    }
    // L2TP carries no padding of its own, but a sender may append some.
    rte_pktmbuf_trim(m, static_cast<uint16_t>(bytes.size() - ip_length));
    is_v6[valid] = v6;
    tcp_offsets[valid] = tcp_offset;
    pkts[valid++] = m;
  }
  if (valid == 0) return 0;
  if (v4_count != 0) w.state.prefix_table.lookup_ipv4_bulk(v4_src, v4_count, v4_session);
  if (v6_count != 0) w.state.prefix_table.lookup_ipv6_bulk(v6_src, v6_count, v6_session);

  uint16_t kept = 0;
  for (uint16_t i = 0; i < valid; ++i) {
    rte_mbuf* m = pkts[i];
    const MbufMeta& md = meta(m);
    const bool v6 = is_v6[i];
    const uint32_t owner = v6 ? v6_session[v6_slot[i]] : v4_session[v4_slot[i]];
    SessionState& session = w.state.sessions[md.session_index];
    if (owner != md.session_index) [[unlikely]] {
      session.spoofed.add();
      w.drop(m, DropReason::spoofed_source);
      continue;
    }
    uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*);
    if (!decrement_ttl(ip, v6)) [[unlikely]] {
      w.drop(m, DropReason::ttl_expired);
      continue;
    }
    if (tcp_offsets[i] != 0) {
      clamp_tcp_mss_l4(ip + tcp_offsets[i], rte_pktmbuf_data_len(m) - tcp_offsets[i],
                       mss_for_mtu(session.mtu.load(std::memory_order_relaxed), v6));
    }
    pkts[kept++] = m;
  }
  return kept;
}

}  // namespace softwire::dp
