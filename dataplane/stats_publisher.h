// Publication of the data plane's counters into the shared-memory stats area
// (StatsHeader and the SaStats/SessionStats arrays, shm/protocol.h), where
// softwire-cp, softwire-ctl and the metrics exporter read them with
// shm::read_stats(). Main lcore only; workers are never stopped: each counter
// is read atomically, and the epoch brackets make the snapshot consistent for
// readers (not an instant of the workers).
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <span>

#include "dataplane/counters.h"
#include "dataplane/dataplane_state.h"
#include "shm/segment.h"

namespace softwire::dp {

// Values that the control server owns, published with the counters.
struct ControlTotals {
  uint64_t commands_done = 0;
  uint64_t inject_dropped = 0;
};

class StatsPublisher {
 public:
  // Writes the name tables (drop reasons, punt kinds, ports) once. The
  // segment must have been created with the state's capacities.
  StatsPublisher(const shm::Segment& segment, const DataplaneState& state,
                 std::span<const WorkerCounters> workers, const rte_mempool* pool);

  // One snapshot of every counter (about 100 ms apart).
  void publish(const ControlTotals& totals);

  uint64_t snapshots() const { return snapshots_; }

 private:
  const shm::Segment& segment_;
  const DataplaneState& state_;
  std::span<const WorkerCounters> workers_;
  const rte_mempool* pool_;
  uint64_t started_ns_;
  uint64_t snapshots_ = 0;
};

}  // namespace softwire::dp
