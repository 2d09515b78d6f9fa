#include "dataplane/stages/l2tp_input.h"

#include <rte_prefetch.h>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/l2tp.h"
#include "dataplane/proto/mbuf_bytes.h"
#include "dataplane/proto/ppp.h"
#include "dataplane/proto/udp.h"
#include "dataplane/stages/lookup_runs.h"

namespace softwire::dp {

static_assert(kMaxBurst <= tables::SessionTable::kMaxBurst);

uint16_t l2tp_input(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  uint32_t keys[kMaxBurst];
  uint32_t session_indices[kMaxBurst];
  uint16_t ppp_offsets[kMaxBurst];  // PPP frame, from the UDP header

  uint16_t valid = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const proto::ConstBytes datagram = proto::mbuf_bytes(static_cast<const rte_mbuf*>(m));
    proto::UdpHeader udp;
    // Parsed as over IPv4 whatever the family: the checksum, zero or not, is
    // not verified (ESP authenticated the datagram; NAT broke the checksum,
    // RFC 3948 §3.1.2).
    if (proto::parse_udp(datagram, proto::IpVersion::kIpv4, udp) != proto::UdpStatus::kOk)
        [[unlikely]] {
      w.drop(m, DropReason::malformed_udp);
      continue;
    }
    if (udp.dst_port != proto::kL2tpPort) [[unlikely]] {  // any source port
      w.drop(m, DropReason::selector_mismatch);
      continue;
    }
    proto::L2tpHeader l2tp;
    if (proto::parse_l2tp(udp.payload, l2tp) != proto::L2tpStatus::kOk) [[unlikely]] {
      w.drop(m, DropReason::malformed_l2tp);
      continue;
    }
    if (l2tp.is_control) [[unlikely]] {
      // From the UDP header: its source port is the SI's L2TP port (punt_path.h).
      w.punt(m, PuntKind::l2tp_control,
             PuntSite{.layer = shm::Layer::kUdp,
                      .session = shm::SessionKey{l2tp.tunnel_id, l2tp.session_id}});
      continue;
    }
    keys[valid] = tables::SessionKey{l2tp.tunnel_id, l2tp.session_id}.packed();
    ppp_offsets[valid] = static_cast<uint16_t>(proto::kUdpHeaderLength + l2tp.header_length);
    pkts[valid++] = m;
  }
  if (valid == 0) return 0;
  lookup_runs(w.state.session_table, keys, valid, session_indices);
  // With many sessions each state is a cache miss: start them all now. This
  // stage reads sa_in, ingress_filter the MTU, core_output the counters (one
  // line, see SessionState).
  uint32_t prefetched = tables::SessionTable::kNotFound;
  for (uint16_t i = 0; i < valid; ++i) {
    if (session_indices[i] != prefetched) {
      prefetched = session_indices[i];
      if (prefetched != tables::SessionTable::kNotFound) {
        rte_prefetch0(&w.state.sessions[prefetched]);
      }
    }
  }

  uint16_t kept = 0;
  for (uint16_t i = 0; i < valid; ++i) {
    rte_mbuf* m = pkts[i];
    MbufMeta& md = meta(m);
    const uint32_t index = session_indices[i];
    if (index == tables::SessionTable::kNotFound) [[unlikely]] {
      w.drop(m, DropReason::unknown_session);
      continue;
    }
    // The authenticated identity (its inbound SA) owns the session: another
    // SI's valid SA cannot inject into it. During a rekey the previous
    // inbound SA is accepted too (make-before-break).
    const SessionState& session = w.state.sessions[index];
    if (session.sa_in.load(std::memory_order_acquire) != md.sa_index &&
        session.sa_in_old.load(std::memory_order_relaxed) != md.sa_index) [[unlikely]] {
      w.drop(m, DropReason::session_sa_mismatch);
      continue;
    }
    const proto::ConstBytes frame{rte_pktmbuf_mtod(m, const uint8_t*) + ppp_offsets[i],
                                  static_cast<size_t>(rte_pktmbuf_data_len(m) - ppp_offsets[i])};
    proto::PppHeader ppp;
    if (proto::parse_ppp(frame, ppp) != proto::PppStatus::kOk) [[unlikely]] {
      w.drop(m, DropReason::malformed_ppp);
      continue;
    }
    if (!proto::is_ip_data(ppp.protocol)) [[unlikely]] {
      w.punt(m, PuntKind::ppp_control,
             PuntSite{.layer = shm::Layer::kPpp, .offset = ppp_offsets[i], .session_index = index});
      continue;
    }
    // The inner header's version must match the PPP protocol; ingress_filter
    // validates the rest and relies on the version nibble.
    const uint8_t version = ppp.protocol == proto::kPppProtocolIpv4 ? 4 : 6;
    if (ppp.payload.empty() || (ppp.payload[0] >> 4) != version) [[unlikely]] {
      w.drop(m, DropReason::malformed_inner);
      continue;
    }
    md.session_index = index;
    rte_pktmbuf_adj(m, static_cast<uint16_t>(ppp_offsets[i] + ppp.header_length));
    pkts[kept++] = m;
  }
  return kept;
}

}  // namespace softwire::dp
