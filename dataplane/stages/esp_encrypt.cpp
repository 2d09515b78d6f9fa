#include "dataplane/stages/esp_encrypt.h"

#include <rte_prefetch.h>

#include <span>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/esp.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"

namespace softwire::dp {

namespace {

// PPP + L2TP + UDP in front of the inner packet (see l2tp_encap).
constexpr size_t kL2tpStack = 18;
// With ESN and GMAC, SPI || seq_hi || seq_lo must precede the IV in memory:
// the SPI moves this many bytes into the headroom during the engine call.
constexpr size_t kEsnShift = 4;

void count_lifetime(SaState& sa, uint64_t payload) {
  sa.packets.add();
  sa.bytes.add(payload);
  const uint64_t packets = sa.packets.get(), bytes = sa.bytes.get();
  if ((sa.life_packets != 0 && packets >= sa.life_packets) ||
      (sa.life_bytes != 0 && bytes >= sa.life_bytes)) {
    if (sa.hard_expired.get() == 0) sa.hard_expired.add();
  }
  if ((sa.soft_life_packets != 0 && packets >= sa.soft_life_packets) ||
      (sa.soft_life_bytes != 0 && bytes >= sa.soft_life_bytes)) {
    if (sa.soft_expired.get() == 0) sa.soft_expired.add();
  }
}

}  // namespace

uint16_t esp_encrypt(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  DataplaneState& state = w.state;
  crypto::AeadOp ops[kMaxBurst];
  alignas(16) uint8_t esn_aad[kMaxBurst][12];  // GCM with ESN: SPI || seq_hi || seq_lo
  uint16_t kept = 0;

  // Pass 1: checks, sequence numbers, header/trailer, one AEAD op per packet.
  SessionRunCounter downstream(state.sessions.get(), &SessionState::down_packets,
                               &SessionState::down_bytes);
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) rte_prefetch0(&state.sas[meta(pkts[i + 1]).sa_index].next_seq);
    rte_mbuf* m = pkts[i];
    MbufMeta& md = meta(m);
    SaState& sa = state.sas[md.sa_index];
    // The hard flag is set by the packet that reaches the limit (below).
    if (!sa.key || sa.hard_expired.get() != 0) [[unlikely]] {
      w.drop(m, DropReason::sa_expired);
      continue;
    }
    // Sequence numbers never cycle (RFC 4303 §3.3.3): 2^32 - 1 is the last
    // one without ESN; with ESN the 64-bit counter wrapping to 0 ends the SA.
    const uint64_t seq = sa.next_seq;
    if (sa.esn ? seq == 0 : seq > UINT32_MAX) [[unlikely]] {
      if (sa.seq_exhausted.get() == 0) sa.seq_exhausted.add();  // an event for the cp
      w.drop(m, DropReason::seq_exhausted);
      continue;
    }
    const size_t payload = rte_pktmbuf_data_len(m);
    const size_t trailer = proto::esp_trailer_length(payload);
    const bool shift = sa.gmac && sa.esn;
    if (rte_pktmbuf_tailroom(m) < trailer + proto::kEspIcvSize ||
        rte_pktmbuf_headroom(m) < proto::kEspHeaderSize + (shift ? kEsnShift : 0)) [[unlikely]] {
      w.drop(m, DropReason::no_buffer_space);
      continue;
    }
    sa.next_seq = seq + 1;
    sa.seq.set(seq + 1);
    md.seq = seq;

    uint8_t* tail = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_append(m, static_cast<uint16_t>(trailer + proto::kEspIcvSize)));
    const uint8_t next_header = !sa.tunnel ? proto::kEspNextHeaderUdp
                                : sa.ts_v6 ? proto::kEspNextHeaderIpv6
                                           : proto::kEspNextHeaderIpv4;
    proto::build_esp_trailer({tail, trailer}, proto::EspTrailerFields{.payload_size = payload,
                                                                      .next_header = next_header});
    uint8_t* esp = reinterpret_cast<uint8_t*>(
        rte_pktmbuf_prepend(m, static_cast<uint16_t>(proto::kEspHeaderSize)));
    proto::build_esp_header(
        {esp, proto::kEspHeaderSize},
        proto::EspHeaderFields{.spi = sa.spi, .seq = static_cast<uint32_t>(seq), .iv = seq});
    const uint32_t padded = static_cast<uint32_t>(payload + trailer);
    crypto::AeadOp& op = ops[kept];
    op.key = &*sa.key;
    op.iv = esp + proto::kEspSpiSeqSize;
    op.tag = esp + proto::kEspHeaderSize + padded;
    op.status = crypto::AeadStatus::ok;
    if (sa.gmac) {
      // RFC 4543: authenticate SPI, seq (ESN: seq_hi too), IV and the
      // plaintext as one contiguous region.
      if (shift) {
        proto::store_be32(esp - kEsnShift, sa.spi);
        proto::store_be32(esp, static_cast<uint32_t>(seq >> 32));
        op.aad = esp - kEsnShift;
        op.aad_len = 12;
      } else {
        op.aad = esp;
        op.aad_len = proto::kEspSpiSeqSize;
      }
      op.data = esp + proto::kEspSpiSeqSize;
      op.len = proto::kEspIvSize + padded;
    } else {
      if (sa.esn) {
        proto::store_be32(esn_aad[kept], sa.spi);
        proto::store_be32(esn_aad[kept] + 4, static_cast<uint32_t>(seq >> 32));
        proto::store_be32(esn_aad[kept] + 8, static_cast<uint32_t>(seq));
        op.aad = esn_aad[kept];
        op.aad_len = 12;
      } else {
        op.aad = esp;
        op.aad_len = proto::kEspSpiSeqSize;
      }
      op.data = esp + proto::kEspHeaderSize;
      op.len = padded;
    }

    // Accounting: SA bytes are ESP payload bytes; session bytes are inner IP
    // bytes (payload minus UDP/L2TP/PPP and the tunnel header).
    count_lifetime(sa, payload);
    const size_t tunnel_header = !sa.tunnel ? 0
                                 : sa.ts_v6 ? proto::kIpv6HeaderLength
                                            : proto::kIpv4MinHeaderLength;
    downstream.count(md.session_index, payload - kL2tpStack - tunnel_header);
    pkts[kept++] = m;
  }

  downstream.flush();
  if (kept == 0) return 0;
  w.engine.encrypt(std::span<crypto::AeadOp>(ops, kept));

  // Pass 2: undo the ESN/GMAC shift; drop what the engine refused.
  uint16_t out = 0;
  for (uint16_t i = 0; i < kept; ++i) {
    rte_mbuf* m = pkts[i];
    const SaState& sa = state.sas[meta(m).sa_index];
    if (sa.gmac && sa.esn) proto::store_be32(rte_pktmbuf_mtod(m, uint8_t*), sa.spi);
    if (ops[i].status != crypto::AeadStatus::ok) [[unlikely]] {
      // Only an op the engine considers invalid (a key built for another
      // code path): the SA is unusable.
      w.drop(m, DropReason::crypto_error);
      continue;
    }
    pkts[out++] = m;
  }
  return out;
}

}  // namespace softwire::dp
