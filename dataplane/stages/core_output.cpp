#include "dataplane/stages/core_output.h"

#include <rte_ether.h>

#include <cstring>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/proto/ethernet.h"

namespace softwire::dp {

uint16_t core_output(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  const uint16_t core = w.state.core_port();
  const PortState& port = w.state.ports[core];
  const bool have_neighbors = !w.state.neighbors.empty();
  SessionRunCounter upstream(w.state.sessions.get(), &SessionState::up_packets,
                             &SessionState::up_bytes);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const uint8_t* ip = rte_pktmbuf_mtod(m, const uint8_t*);
    const bool v6 = (ip[0] >> 4) == 6;
    const uint16_t ip_bytes = rte_pktmbuf_data_len(m);
    const rte_ether_addr* dst = &port.gateway_mac;
    if (have_neighbors) [[unlikely]] {
      config::IpAddress address;
      address.family = v6 ? config::AddressFamily::kIpv6 : config::AddressFamily::kIpv4;
      std::memcpy(address.bytes.data(), v6 ? ip + 24 : ip + 16, v6 ? 16 : 4);
      dst = &w.state.next_hop_mac(core, address);
    }
    auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN));
    if (eth == nullptr) [[unlikely]] {
      w.drop(m, DropReason::no_buffer_space);
      continue;
    }
    std::memcpy(eth, dst->addr_bytes, RTE_ETHER_ADDR_LEN);
    std::memcpy(eth + RTE_ETHER_ADDR_LEN, port.mac.addr_bytes, RTE_ETHER_ADDR_LEN);
    proto::store_be16(eth + 12, v6 ? proto::kEtherTypeIpv6 : proto::kEtherTypeIpv4);
    m->l2_len = RTE_ETHER_HDR_LEN;
    upstream.count(meta(m).session_index, ip_bytes);
    w.send(core, m);
  }
  return 0;
}

}  // namespace softwire::dp
