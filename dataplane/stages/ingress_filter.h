// Upstream stage 5: per-session anti-spoofing (BCP 38). The inner IPv4/IPv6
// packet is validated, its source must map (bulk longest-prefix lookup) to
// the session the L2TP header named; then TTL / hop limit decrement and TCP
// MSS clamping of SYNs to the session MTU.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention; n <= kMaxBurst; packets start at the inner IP header
// whose version l2tp_input checked against the PPP protocol.
uint16_t ingress_filter(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
