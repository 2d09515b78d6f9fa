#include "dataplane/inject.h"

#include <rte_ring.h>

#include <algorithm>
#include <cstring>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/proto/esp.h"
#include "dataplane/punt_path.h"
#include "dataplane/stages/l2tp_encap.h"

namespace softwire::dp {

namespace {

constexpr uint16_t kProtocolBytes = 2;
// ESP padding (at most 3) + pad length + next header + ICV.
constexpr size_t kEspTail = 3 + 2 + proto::kEspIcvSize;

// RFC 1661 §2: the protocol field's least significant octet is odd and its
// most significant octet even.
bool valid_ppp_protocol(uint16_t protocol) {
  return (protocol & 0x0001) != 0 && (protocol & 0x0100) == 0;
}

}  // namespace

bool inject_ppp(DataplaneState& state, rte_mempool* pool, const shm::PacketRecord& record) {
  if (record.kind != shm::PacketKind::kInjectPpp) return false;
  if (record.length < kProtocolBytes || record.length > shm::kPacketBytes) return false;
  const uint16_t protocol = proto::load_be16(record.data);
  if (!valid_ppp_protocol(protocol)) return false;

  const uint32_t session_index = state.session_table.lookup(
      tables::SessionKey{record.session.tunnel_id, record.session.session_id});
  if (session_index == tables::SessionTable::kNotFound) return false;
  const uint32_t sa_index = state.sessions[session_index].sa_out;
  if (sa_index >= state.sa_capacity) return false;  // kNoSa included
  const SaState& sa = state.sas[sa_index];
  if (sa.owner >= state.workers()) return false;

  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) return false;
  // The whole encapsulation goes in front (l2tp_encap checks it against
  // l3_offset, which skips the protocol bytes), ESP's trailer behind.
  const uint16_t headroom = std::max<uint16_t>(m->data_off, downstream_headroom(sa));
  if (size_t{headroom} + record.length + kEspTail > m->buf_len) {
    rte_pktmbuf_free(m);
    return false;
  }
  m->data_off = headroom;
  std::memcpy(rte_pktmbuf_append(m, record.length), record.data, record.length);
  meta(m) = MbufMeta{.sa_index = sa_index,
                     .session_index = session_index,
                     .seq = 0,
                     .l3_offset = kProtocolBytes,  // l2tp_encap writes ff 03 + ppp_protocol
                     .esp_offset = 0,
                     .ingress_port = kNoPort,
                     .outer_is_v6 = 0,
                     .via_nat_t = 0,
                     .sa_generation = sa.generation.load(std::memory_order_relaxed),
                     .session_generation =
                         state.sessions[session_index].generation.load(std::memory_order_relaxed),
                     .frame_pos = data_pos(m),
                     .outer_udp_pos = 0,
                     .ppp_protocol = protocol,
                     .origin = Origin::kInject,
                     .outer_ip_valid = 0};
  if (rte_ring_enqueue(state.handoff_down[sa.owner], m) != 0) {
    rte_pktmbuf_free(m);
    return false;
  }
  return true;
}

}  // namespace softwire::dp
