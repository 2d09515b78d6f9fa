// The upstream pipeline (access port -> core port), stage by stage:
//   access_input -> sa_lookup -> [hand-off to the SA's owner] ->
//   esp_decrypt -> l2tp_input -> ingress_filter -> core_output.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// A burst received on access port index `port` (any size: processed in
// chunks of kMaxBurst). Consumes every packet: forwarded, handed off to the
// SA's owner, punted or dropped.
void upstream_rx(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n);

// Packets whose SA this worker owns, after sa_lookup: from upstream_rx, and
// from the worker loop for what it dequeues from state.handoff_up[w.index].
// Consumes every packet.
void upstream_owned(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
