// Upstream stage 2: inbound SA lookup by SPI for the whole burst, and the
// hand-off of packets whose SA another worker owns (that worker alone writes
// the SA's replay window and counters).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention; n <= kMaxBurst. Sets meta.sa_index. Packets of SAs owned
// by another worker are enqueued on state.handoff_up[owner] (handoff_full when
// the ring is full); the packets returned are those this worker owns.
uint16_t sa_lookup(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
