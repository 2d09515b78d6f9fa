// Downstream stage 2: replaces the Ethernet header by PPP, L2TP data header,
// UDP 1701 -> peer port and, in tunnel mode, the inner IP header of the SA's
// traffic selectors. Reserves the headroom of the whole encapsulation here
// (ESP header and outer template too), so that the later stages cannot run
// out of it after a sequence number has been spent.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Needs meta session_index, sa_index, l3_offset, ppp_protocol (from core_input
// or inject_ppp; l3_offset may be 0). On return
// each packet's data is exactly the ESP payload (UDP datagram, or tunnel-mode
// IP packet). n <= kMaxBurst.
uint16_t l2tp_encap(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

// Headroom l2tp_encap needs in front of the inner IP packet for session
// traffic on `sa`: PPP + L2TP + UDP, tunnel header, ESP header, outer template.
uint16_t downstream_headroom(const SaState& sa);

}  // namespace softwire::dp
