#include "dataplane/handoff.h"

#include "dataplane/mbuf_meta.h"

namespace softwire::dp {

uint16_t drop_deleted(WorkerContext& w, rte_mbuf** pkts, uint16_t n, bool check_session) {
  uint16_t kept = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const MbufMeta& md = meta(m);
    const bool live =
        generation_live(w.state.sas[md.sa_index].generation.load(std::memory_order_acquire),
                        md.sa_generation) &&
        (!check_session || generation_live(w.state.sessions[md.session_index].generation.load(
                                               std::memory_order_acquire),
                                           md.session_generation));
    if (!live) [[unlikely]] {
      w.drop(m, DropReason::sa_deleted);
      continue;
    }
    pkts[kept++] = m;
  }
  return kept;
}

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
