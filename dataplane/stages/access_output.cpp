#include "dataplane/stages/access_output.h"

#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include <span>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/checksum.h"
#include "dataplane/proto/ethernet.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/udp.h"

namespace softwire::dp {

uint16_t access_output(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  const DataplaneState& state = w.state;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(state.sas[meta(pkts[i + 1]).sa_index].outer_template.data());
    rte_mbuf* m = pkts[i];
    const SaState& sa = state.sas[meta(m).sa_index];
    const uint8_t template_length = sa.outer_template_len;
    // l2tp_encap reserved this headroom; the check only guards misuse.
    uint8_t* frame = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, template_length));
    if (frame == nullptr) [[unlikely]] {
      w.drop(m, DropReason::no_buffer_space);
      continue;
    }
    rte_memcpy(frame, sa.outer_template.data(), template_length);
    uint8_t* ip = frame + proto::kEthernetHeaderLength;
    const size_t ip_length = rte_pktmbuf_data_len(m) - proto::kEthernetHeaderLength;
    size_t ip_header;
    if (sa.outer_v6) {
      ip_header = proto::kIpv6HeaderLength;
      proto::store_be16(ip + 4, static_cast<uint16_t>(ip_length - ip_header));
    } else {
      ip_header = proto::kIpv4MinHeaderLength;
      proto::store_be16(ip + 2, static_cast<uint16_t>(ip_length));
      // The template's checksum field is zero.
      proto::store_be16(ip + 10, proto::internet_checksum({ip, ip_header}));
    }
    if (sa.nat_t) {
      uint8_t* udp = ip + ip_header;
      const size_t udp_length = ip_length - ip_header;
      proto::store_be16(udp + 4, static_cast<uint16_t>(udp_length));
      if (sa.outer_v6) {
        // RFC 8200 forbids a zero UDP checksum over IPv6.
        const uint16_t pseudo = proto::ipv6_pseudo_header_sum(
            std::span<const uint8_t, 16>(sa.local), std::span<const uint8_t, 16>(sa.remote),
            proto::kIpProtocolUdp, static_cast<uint32_t>(udp_length));
        proto::store_be16(udp + 6, 0);
        uint16_t checksum = proto::internet_checksum({udp, udp_length}, pseudo);
        proto::store_be16(udp + 6, checksum == 0 ? 0xffff : checksum);
      } else {
        proto::store_be16(udp + 6, 0);  // RFC 3948 §2.1: ESP authenticates the payload
      }
    }
    w.send(sa.access_port, m);
  }
  return 0;
}

}  // namespace softwire::dp
