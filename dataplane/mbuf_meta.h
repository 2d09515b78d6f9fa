// Per-packet metadata kept in the mbuf's private area, so that it survives the
// hand-off ring to the worker that owns an SA. Written by the stage that
// learns a value, read by the stages after it, on one lcore at a time (the
// ring transfers ownership of the mbuf and its metadata). The first stage of
// each path (access_input, core_input, inject_ppp) writes all of it: a pool
// recycles mbufs with the previous packet's metadata in place.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

namespace softwire::dp {

inline constexpr uint32_t kNoIndex = UINT32_MAX;

// Where a packet entered the pipeline (MbufMeta::origin).
enum class Origin : uint8_t {
  kAccess = 0,  // received on an access port (upstream)
  kCore = 1,    // received on a core port (downstream)
  kInject = 2,  // built by inject_ppp from a control-plane record (downstream)
};

struct MbufMeta {
  uint32_t sa_index;       // upstream: SA that decrypts; downstream: session's outbound SA
  uint32_t session_index;  // upstream: after L2TP lookup; downstream: after prefix lookup
  uint64_t seq;            // upstream: inferred 64-bit ESN; downstream: assigned sequence number
  uint16_t l3_offset;      // outer IP header (upstream) / inner IP header (downstream)
  uint16_t esp_offset;     // ESP header (upstream, after outer IP [and UDP 4500])
  uint16_t ingress_port;   // index into DataplaneState::ports
  uint8_t outer_is_v6;     // upstream: outer header family (core: the packet's family)
  uint8_t via_nat_t;       // upstream: ESP arrived in UDP 4500
  // Slot generations seen when sa_index / session_index were looked up
  // (generation_live() in dataplane_state.h): checked by the owner worker
  // for packets that come out of a hand-off ring.
  uint32_t sa_generation;
  uint32_t session_generation;
  // Buffer positions (from buf_addr, so that they survive rte_pktmbuf_adj):
  // where the received frame's Ethernet header starts (the outer IP header
  // follows 14 bytes later: ports are untagged), and the outer UDP header
  // (UDP 4500 or 500) or 0 when there is none. The punt and drop paths read
  // the outer addresses and ports there after decryption moved the data
  // pointer past them; nothing in the pipeline overwrites them.
  uint16_t frame_pos;
  uint16_t outer_udp_pos;
  // Downstream: the PPP protocol l2tp_encap writes; 0 = IPv4/IPv6 from the
  // inner header's version nibble (forwarded packets). Set by inject_ppp.
  uint16_t ppp_protocol;
  Origin origin;
  uint8_t outer_ip_valid;  // 1 once the outer IP header at frame_pos + 14 parsed
};
static_assert(sizeof(MbufMeta) % RTE_MBUF_PRIV_ALIGN == 0);
static_assert(sizeof(MbufMeta) <= 48);  // keep it small: it is written per packet

// Private area size to give rte_pktmbuf_pool_create().
inline constexpr uint16_t kMbufPrivSize = RTE_ALIGN(sizeof(MbufMeta), RTE_MBUF_PRIV_ALIGN);

inline MbufMeta& meta(rte_mbuf* m) {
  return *static_cast<MbufMeta*>(rte_mbuf_to_priv(m));
}

// Buffer position of the data pointer (rte_pktmbuf_mtod) today.
inline uint16_t data_pos(const rte_mbuf* m) {
  return m->data_off;
}

// The whole metadata of a packet just received on port index `port`: every
// field, because the drop and punt paths read them and a recycled mbuf holds
// the previous packet's. `l3_offset` is where the stage expects the IP
// header (0 until access_input has parsed Ethernet).
inline MbufMeta received_meta(const rte_mbuf* m, uint16_t port, Origin origin, uint16_t l3_offset) {
  return MbufMeta{.sa_index = kNoIndex,
                  .session_index = kNoIndex,
                  .seq = 0,
                  .l3_offset = l3_offset,
                  .esp_offset = 0,
                  .ingress_port = port,
                  .outer_is_v6 = 0,
                  .via_nat_t = 0,
                  .sa_generation = 0,
                  .session_generation = 0,
                  .frame_pos = data_pos(m),
                  .outer_udp_pos = 0,
                  .ppp_protocol = 0,
                  .origin = origin,
                  .outer_ip_valid = 0};
}

}  // namespace softwire::dp
