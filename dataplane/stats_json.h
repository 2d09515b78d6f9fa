// The --stats-json document (contract in docs/architecture.md): every port,
// every drop reason and punt kind (zero or not), every SA and session.
#pragma once

#include <rte_mempool.h>

#include <span>
#include <string>
#include <vector>

#include "common/json_quote.h"
#include "dataplane/counters.h"
#include "dataplane/dataplane_state.h"

namespace softwire::dp {

// Port counters summed over the workers at one moment.
struct PortTotals {
  uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
};
std::vector<PortTotals> port_totals(const DataplaneState& state,
                                    std::span<const WorkerCounters> workers);

// A measurement window (benchmarks): port totals after the warm-up and at the
// end, and the time between them.
struct MeasurementWindow {
  double start_s = 0;
  double seconds = 0;
  std::vector<PortTotals> begin, end;
  uint64_t tsc_hz = 0;
};

// Sums the workers' counters. Main lcore; workers may still be running (each
// counter is read atomically, the document is not a snapshot of one instant).
std::string stats_json(const DataplaneState& state, std::span<const WorkerCounters> workers,
                       double elapsed_seconds, const rte_mempool* pool,
                       const MeasurementWindow* window = nullptr);

using softwire::json_quote;

}  // namespace softwire::dp
