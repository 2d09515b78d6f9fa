// Hand-off of packets to the worker that owns their SA (one writer per
// replay window and sequence number). Both pipelines use it: upstream after
// the SPI lookup, downstream after the session lookup.
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Enqueues pkts[i] on rings[owners[i]], one bulk enqueue per owner; packets a
// full ring refuses are dropped as handoff_full. n <= kMaxBurst. Consumes
// every packet; `pkts` and `owners` are scratch afterwards.
void hand_off(WorkerContext& w, const std::array<rte_ring*, kMaxWorkers>& rings, rte_mbuf** pkts,
              uint16_t* owners, uint16_t n);

// For packets taken out of a hand-off ring: drops (sa_deleted) those whose
// SA (and, downstream, session) was deleted after they were looked up, and
// compacts the rest to the front. Returns how many remain.
uint16_t drop_deleted(WorkerContext& w, rte_mbuf** pkts, uint16_t n, bool check_session);

}  // namespace softwire::dp
