#include "dataplane/stages/l2tp_encap.h"

#include <rte_prefetch.h>

#include <span>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/esp.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/l2tp.h"
#include "dataplane/proto/ppp.h"
#include "dataplane/proto/udp.h"

namespace softwire::dp {

namespace {

constexpr size_t kPppHeader = 4;  // ff 03 + 16-bit protocol: never compressed
constexpr size_t kL2tpHeader = proto::kL2tpMinHeaderSize;
constexpr size_t kL2tpStack = proto::kUdpHeaderLength + kL2tpHeader + kPppHeader;

size_t tunnel_header_length(const SaState& sa) {
  if (!sa.tunnel) return 0;
  return sa.ts_v6 ? proto::kIpv6HeaderLength : proto::kIpv4MinHeaderLength;
}

}  // namespace

uint16_t downstream_headroom(const SaState& sa) {
  return static_cast<uint16_t>(kL2tpStack + tunnel_header_length(sa) + proto::kEspHeaderSize +
                               sa.outer_template_len);
}

uint16_t l2tp_encap(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  DataplaneState& state = w.state;
  uint16_t out = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) {
      rte_prefetch0(&state.sessions[meta(pkts[i + 1]).session_index]);
      rte_prefetch0(&state.sas[meta(pkts[i + 1]).sa_index]);
    }
    rte_mbuf* m = pkts[i];
    const MbufMeta& md = meta(m);
    const SessionState& s = state.sessions[md.session_index];
    const SaState& sa = state.sas[md.sa_index];
    // The Ethernet header's room counts: it is stripped below.
    if (size_t{rte_pktmbuf_headroom(m)} + md.l3_offset < downstream_headroom(sa)) [[unlikely]] {
      w.drop(m, DropReason::no_buffer_space);
      continue;
    }
    rte_pktmbuf_adj(m, md.l3_offset);
    const uint16_t inner_length = rte_pktmbuf_data_len(m);
    // Forwarded packets: IPv4/IPv6 by the version nibble (core_input parsed
    // it). Injected PPP frames (inject_ppp) name their protocol, and their
    // information may be empty or start with anything.
    uint16_t protocol = md.ppp_protocol;
    if (protocol == 0) {
      protocol = (*rte_pktmbuf_mtod(m, const uint8_t*) >> 4) == 6 ? proto::kPppProtocolIpv6
                                                                   : proto::kPppProtocolIpv4;
    }
    const size_t tunnel_length = tunnel_header_length(sa);
    uint8_t* p = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_prepend(m, static_cast<uint16_t>(tunnel_length + kL2tpStack)));
    uint8_t* udp = p + tunnel_length;
    const size_t udp_length = kL2tpStack + inner_length;

    uint8_t* l2tp = udp + proto::kUdpHeaderLength;
    proto::store_be16(l2tp, proto::kL2tpVersion);  // data message, no L/S/O/P
    proto::store_be16(l2tp + 2, s.peer_tunnel_id);
    proto::store_be16(l2tp + 4, s.peer_session_id);
    uint8_t* ppp = l2tp + kL2tpHeader;
    ppp[0] = proto::kPppAddress;
    ppp[1] = proto::kPppControl;
    proto::store_be16(ppp + 2, protocol);

    // The IP header right above the UDP header: tunnel-mode inner header or
    // the outer one. UDP checksum only where IPv6 requires it.
    const bool above_v6 = sa.tunnel ? sa.ts_v6 : sa.outer_v6;
    const uint8_t* src = sa.tunnel ? sa.tunnel_src.data() : sa.local.data();
    const uint8_t* dst = sa.tunnel ? sa.remote_ts.address.bytes.data() : sa.remote.data();
    const proto::UdpFields ports{.src_port = proto::kL2tpPort, .dst_port = s.peer_port};
    const proto::MutableBytes datagram{udp, udp_length};
    if (above_v6) {
      proto::build_udp_ipv6(datagram, ports, std::span<const uint8_t, 16>(src, 16),
                            std::span<const uint8_t, 16>(dst, 16));
    } else {
      proto::build_udp_ipv4(datagram, ports, 0, 0, proto::UdpChecksum::kNone);
    }

    if (sa.tunnel) {
      if (sa.ts_v6) {
        proto::Ipv6Fields f;
        f.payload_length = static_cast<uint16_t>(udp_length);
        f.next_header = proto::kIpProtocolUdp;
        f.hop_limit = 64;
        std::memcpy(f.src.data(), src, 16);
        std::memcpy(f.dst.data(), dst, 16);
        proto::build_ipv6({p, proto::kIpv6HeaderLength}, f);
      } else {
        proto::Ipv4Fields f;
        f.payload_length = static_cast<uint16_t>(udp_length);
        f.identification = 0;
        f.dont_fragment = true;
        f.ttl = 64;
        f.protocol = proto::kIpProtocolUdp;
        f.src = proto::load_be32(src);
        f.dst = proto::load_be32(dst);
        proto::build_ipv4({p, proto::kIpv4MinHeaderLength}, f);
      }
    }
    pkts[out++] = m;
  }
  return out;
}

}  // namespace softwire::dp
