// Per-packet metadata kept in the mbuf's private area, so that it survives the
// hand-off ring to the worker that owns an SA. Written by the stage that
// learns a value, read by the stages after it, on one lcore at a time (the
// ring transfers ownership of the mbuf and its metadata).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace softwire::dp {

inline constexpr uint32_t kNoIndex = UINT32_MAX;

struct MbufMeta {
  uint32_t sa_index;       // upstream: SA that decrypts; downstream: session's outbound SA
  uint32_t session_index;  // upstream: after L2TP lookup; downstream: after prefix lookup
  uint64_t seq;            // upstream: inferred 64-bit ESN; downstream: assigned sequence number
  uint16_t l3_offset;      // outer IP header (upstream) / inner IP header (downstream)
  uint16_t esp_offset;     // ESP header (upstream, after outer IP [and UDP 4500])
  uint16_t ingress_port;   // index into DataplaneState::ports
  uint8_t outer_is_v6;     // upstream: outer header family
  uint8_t via_nat_t;       // upstream: ESP arrived in UDP 4500
  // Slot generations seen when sa_index / session_index were looked up
  // (generation_live() in dataplane_state.h): checked by the owner worker
  // for packets that come out of a hand-off ring.
  uint32_t sa_generation;
  uint32_t session_generation;
};
static_assert(sizeof(MbufMeta) % RTE_MBUF_PRIV_ALIGN == 0);

// Private area size to give rte_pktmbuf_pool_create().
inline constexpr uint16_t kMbufPrivSize = RTE_ALIGN(sizeof(MbufMeta), RTE_MBUF_PRIV_ALIGN);

inline MbufMeta& meta(rte_mbuf* m) { return *static_cast<MbufMeta*>(rte_mbuf_to_priv(m)); }

}  // namespace softwire::dp
