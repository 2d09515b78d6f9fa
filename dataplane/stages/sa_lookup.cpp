#include "dataplane/stages/sa_lookup.h"

#include <rte_ring.h>

#include "dataplane/handoff.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/proto/esp.h"
#include "dataplane/stages/lookup_runs.h"

namespace softwire::dp {

static_assert(kMaxBurst <= tables::SpiTable::kMaxBurst);

namespace {

// The ESP part of the packet: from meta.esp_offset to the end (access_input
// trimmed the Ethernet padding).
proto::ConstBytes esp_bytes(const rte_mbuf* m) {
  const uint16_t offset = meta(const_cast<rte_mbuf*>(m)).esp_offset;
  return {rte_pktmbuf_mtod(m, const uint8_t*) + offset,
          static_cast<size_t>(rte_pktmbuf_data_len(m) - offset)};
}

}  // namespace

uint16_t sa_lookup(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  uint32_t spis[kMaxBurst];
  uint32_t sa_indices[kMaxBurst];
  uint16_t valid = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    proto::EspPacket esp;
    if (proto::parse_esp(esp_bytes(m), esp) != proto::EspStatus::kOk) [[unlikely]] {
      w.drop(m, DropReason::malformed_esp);
      continue;
    }
    spis[valid] = esp.spi;
    pkts[valid++] = m;
  }
  if (valid == 0) return 0;
  lookup_runs(w.state.spi_table, spis, valid, sa_indices);

  rte_mbuf* others[kMaxBurst];
  uint16_t owners[kMaxBurst];
  uint16_t other_count = 0;
  uint16_t kept = 0;
  const unsigned workers = w.state.workers();
  for (uint16_t i = 0; i < valid; ++i) {
    rte_mbuf* m = pkts[i];
    const uint32_t index = sa_indices[i];
    if (index == tables::SpiTable::kNotFound) [[unlikely]] {
      w.drop(m, DropReason::unknown_spi);
      continue;
    }
    const SaState& sa = w.state.sas[index];
    MbufMeta& md = meta(m);
    if (sa.nat_t != (md.via_nat_t != 0)) [[unlikely]] {
      w.drop(m, DropReason::encap_mismatch);
      continue;
    }
    md.sa_index = index;
    md.sa_generation = sa.generation.load(std::memory_order_relaxed);
    if (sa.owner == w.index || sa.owner >= workers) [[likely]] {
      pkts[kept++] = m;
    } else {
      others[other_count] = m;
      owners[other_count++] = sa.owner;
    }
  }
  if (other_count != 0) hand_off(w, w.state.handoff_up, others, owners, other_count);
  return kept;
}

}  // namespace softwire::dp
