// Upstream stage 6: inner IP packet -> Ethernet frame on the core port, to
// the next hop of its destination (neighbor override, else the gateway).
// Counts the session's up_packets / up_bytes (inner IP bytes).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention: sends every packet (w.send), returns 0. Packets start at
// the inner IP header and carry meta.session_index.
uint16_t core_output(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
