// Inject (control plane -> data plane): "send this PPP frame on session S"
// (shm::PacketKind::kInjectPpp). The main lcore builds an mbuf holding the
// PPP protocol and information and hands it to the worker that owns the
// session's outbound SA, which runs it through l2tp_encap -> esp_encrypt ->
// access_output like forwarded traffic: ff 03 + the protocol, L2TP data header
// with the peer's ids, UDP 1701 -> peer port, ESP with the SA's next sequence
// number. The packet counts in the session's down_packets/down_bytes.
#pragma once

#include <rte_mempool.h>

#include "dataplane/dataplane_state.h"
#include "shm/protocol.h"

namespace softwire::dp {

// Called by the main lcore (the table writer). `record`: kind kInjectPpp,
// session = the session's (tunnel_id, session_id), data[0..1] = the PPP
// protocol (a valid RFC 1661 protocol number, big endian), data[2..length) =
// the information; 2 <= length <= kPacketBytes. Enqueues onto
// state.handoff_down[owner of the session's sa_out] (multi-producer).
// Returns false, having sent and kept nothing, when the record is invalid,
// the session or its outbound SA does not exist, the mempool is empty, or the
// ring is full.
bool inject_ppp(DataplaneState& state, rte_mempool* pool, const shm::PacketRecord& record);

}  // namespace softwire::dp
