// The --stats-json document (contract in docs/architecture.md): every port,
// every drop reason and punt kind (zero or not), every SA and session.
#pragma once

#include <rte_mempool.h>

#include <span>
#include <string>

#include "dataplane/counters.h"
#include "dataplane/dataplane_state.h"

namespace softwire::dp {

// Sums the workers' counters. Main lcore; workers may still be running (each
// counter is read atomically, the document is not a snapshot of one instant).
std::string stats_json(const DataplaneState& state, std::span<const WorkerCounters> workers,
                       double elapsed_seconds, const rte_mempool* pool);

// JSON string literal with the characters RFC 8259 requires escaped.
std::string json_quote(std::string_view s);

}  // namespace softwire::dp
