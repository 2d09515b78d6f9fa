// Publication of the data plane's counters into the shared-memory stats area
// (StatsHeader and the SaStats/SessionStats arrays, shm/protocol.h), where
// softwire-cp, softwire-ctl and the metrics exporter read them with
// shm::read_stats(). Main lcore only; workers are never stopped: each counter
// is read atomically, and the epoch brackets make the snapshot consistent for
// readers (not an instant of the workers).
#pragma once

#include <rte_mempool.h>

#include <algorithm>
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

  // One snapshot (about 100 ms apart): every header counter, and the next
  // slice of the SA and session tables (table_slice()).
  void publish(const ControlTotals& totals);

  uint64_t snapshots() const { return snapshots_; }

  // Entries of a table of `capacity` refreshed per snapshot: all of a table of
  // up to kTableSliceMin entries, else a tenth (rounded up), so an entry is at
  // most kTableRefreshSnapshots - 1 snapshots old. At a million sessions,
  // rewriting the whole table ten times a second would keep the main lcore
  // busy and stream ~1.7 GB/s through the cache the workers share.
  static constexpr uint32_t kTableSliceMin = 65536;
  static constexpr uint32_t kTableRefreshSnapshots = 10;
  static uint32_t table_slice(uint32_t capacity) {
    const uint32_t tenth = (capacity + kTableRefreshSnapshots - 1) / kTableRefreshSnapshots;
    return capacity <= kTableSliceMin ? capacity : std::max(kTableSliceMin, tenth);
  }

 private:
  const shm::Segment& segment_;
  const DataplaneState& state_;
  std::span<const WorkerCounters> workers_;
  const rte_mempool* pool_;
  uint64_t started_ns_;
  uint64_t snapshots_ = 0;
  // Where the next slice of each table starts.
  uint32_t next_sa_ = 0;
  uint32_t next_session_ = 0;
};

}  // namespace softwire::dp
