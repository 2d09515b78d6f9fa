// Upstream stage 4: decrypted UDP / L2TPv2 / PPP. Bulk session lookup by
// (tunnel id, session id); the session must be bound to the SA that
// authenticated the packet. Survivors start at the inner IP header, with
// meta.session_index set and an IP version that matches the PPP protocol.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention; n <= kMaxBurst; packets start at their UDP header.
uint16_t l2tp_input(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
