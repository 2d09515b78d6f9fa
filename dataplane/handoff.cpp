#include "dataplane/handoff.h"

namespace softwire::dp {

void hand_off(WorkerContext& w, const std::array<rte_ring*, kMaxWorkers>& rings, rte_mbuf** pkts,
              uint16_t* owners, uint16_t n) {
  rte_mbuf* batch[kMaxBurst];
  while (n > 0) {
    const uint16_t owner = owners[0];
    uint16_t count = 0, rest = 0;
    for (uint16_t i = 0; i < n; ++i) {
      if (owners[i] == owner) {
        batch[count++] = pkts[i];
      } else {
        pkts[rest] = pkts[i];
        owners[rest++] = owners[i];
      }
    }
    const unsigned sent =
        rte_ring_enqueue_burst(rings[owner], reinterpret_cast<void* const*>(batch), count, nullptr);
    for (unsigned i = sent; i < count; ++i) w.drop(batch[i], DropReason::handoff_full);
    n = rest;
  }
}

}  // namespace softwire::dp
