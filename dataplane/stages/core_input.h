// Downstream stage 1: frames from a core port. Validates Ethernet and the
// inner IPv4/IPv6 packet, answers ARP/ND, punts ICMP to the SC, finds the
// session by longest-prefix match on the destination (one bulk lookup per
// family per burst), decrements TTL / hop limit, checks the session MTU and
// clamps the TCP MSS of SYNs. Packets whose outbound SA another worker owns
// are handed to it over state.handoff_down[owner].
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// n <= kMaxBurst. On return pkts[0..result) are this worker's packets with
// meta session_index, sa_index (the session's sa_out) and l3_offset (the IP
// header, after the Ethernet header) set; the frame is trimmed to the IP
// packet's length.
uint16_t core_input(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
