// The downstream pipeline (core port -> access port):
//   core_input -> [hand-off to the SA's owner] -> l2tp_encap -> esp_encrypt
//   -> access_output.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// A burst received on core port index `port` (any n: processed in chunks of
// kMaxBurst). Consumes every packet.
void downstream_rx(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n);

// Packets whose outbound SA this worker owns, with meta from core_input: the
// rest of downstream_rx, and what the worker dequeues from its handoff_down
// ring. Consumes every packet.
void downstream_owned(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
