// Upstream stage 3: ESP decryption/authentication of a burst of packets whose
// SAs this worker owns (sa_lookup handed the others off). Lifetime and replay
// pre-checks, one AeadEngine::decrypt() call for the burst, then the replay
// window update, SA counters and lifetimes, trailer checks, and the strip of
// the outer headers: survivors start at the UDP header (transport mode, or
// tunnel mode after the inner IP header, which is checked against the SA's
// traffic selectors).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention; n <= kMaxBurst; meta.sa_index names an SA this worker owns.
uint16_t esp_decrypt(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
