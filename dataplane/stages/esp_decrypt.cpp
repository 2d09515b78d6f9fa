#include "dataplane/stages/esp_decrypt.h"

#include <rte_prefetch.h>

#include <cstring>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/proto/esp.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"

namespace softwire::dp {

namespace {

using proto::load_be32;
using proto::store_be32;

constexpr size_t kEspOverhead = proto::kEspHeaderSize + proto::kEspIcvSize;

// True if the first `length` bits of `address` match the prefix (same family).
bool prefix_contains(const config::IpPrefix& prefix, const uint8_t* address, bool v6) {
  if (prefix.address.is_v6() != v6) return false;
  const uint8_t* p = prefix.address.bytes.data();
  const unsigned full = prefix.length / 8, bits = prefix.length % 8;
  if (std::memcmp(p, address, full) != 0) return false;
  if (bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00 >> bits);
  return ((p[full] ^ address[full]) & mask) == 0;
}

void update_lifetimes(SaState& sa) {
  const uint64_t packets = sa.packets.get(), bytes = sa.bytes.get();
  if (sa.soft_expired.get() == 0 &&
      ((sa.soft_life_packets != 0 && packets >= sa.soft_life_packets) ||
       (sa.soft_life_bytes != 0 && bytes >= sa.soft_life_bytes))) [[unlikely]] {
    sa.soft_expired.add();
  }
  if (sa.hard_expired.get() == 0 && ((sa.life_packets != 0 && packets >= sa.life_packets) ||
                                     (sa.life_bytes != 0 && bytes >= sa.life_bytes))) [[unlikely]] {
    sa.hard_expired.add();
  }
}

// Tunnel mode: validates the inner IP header of `payload` (next header 4 or
// 41) and finds the UDP datagram it carries. Returns true, or false with
// `reason` set.
bool tunnel_inner(const SaState& sa, proto::ConstBytes payload, uint8_t next_header,
                  size_t& udp_offset, size_t& udp_length, DropReason& reason) {
  const uint8_t* ip = payload.data();
  if (next_header == proto::kEspNextHeaderIpv4) {
    proto::Ipv4Header h;
    if (proto::parse_ipv4(payload, h) != proto::Ipv4Status::kOk) {
      reason = DropReason::malformed_inner;
      return false;
    }
    if (!prefix_contains(sa.remote_ts, ip + 12, false) ||
        !prefix_contains(sa.local_ts, ip + 16, false) || h.protocol != proto::kIpProtocolUdp) {
      reason = DropReason::selector_mismatch;
      return false;
    }
    if (h.is_fragment) {
      reason = DropReason::fragment;
      return false;
    }
    udp_offset = h.header_length;
    udp_length = h.payload.size();
    return true;
  }
  proto::Ipv6Header h;
  if (proto::parse_ipv6(payload, h) != proto::Ipv6Status::kOk) {
    reason = DropReason::malformed_inner;
    return false;
  }
  if (!prefix_contains(sa.remote_ts, ip + 8, true) ||
      !prefix_contains(sa.local_ts, ip + 24, true) || h.upper_protocol != proto::kIpProtocolUdp) {
    reason = DropReason::selector_mismatch;
    return false;
  }
  if (h.is_fragment) {
    reason = DropReason::fragment;
    return false;
  }
  udp_offset = h.upper_offset;
  udp_length = h.upper_payload.size();
  return true;
}

// After authentication: window, counters, trailer, mode, strip. Returns true
// if the packet continues (now starting at its UDP header).
bool finish(WorkerContext& w, rte_mbuf* m, crypto::AeadStatus status) {
  MbufMeta& md = meta(m);
  SaState& sa = w.state.sas[md.sa_index];
  if (status != crypto::AeadStatus::ok) [[unlikely]] {
    if (status == crypto::AeadStatus::auth_failed) {
      sa.auth_failed.add();
      w.drop(m, DropReason::auth_failed);
    } else {
      w.drop(m, DropReason::crypto_error);
    }
    return false;
  }
  // An earlier packet of this burst may have reached the hard limit.
  if (sa.hard_expired.get() != 0) [[unlikely]] {
    w.drop(m, DropReason::sa_expired);
    return false;
  }
  // Re-checks: a duplicate within the burst passed the pre-check twice.
  if (sa.window->update(md.seq) != crypto::ReplayWindow::Verdict::ok) [[unlikely]] {
    sa.replayed.add();
    w.drop(m, DropReason::replay);
    return false;
  }
  sa.seq.set(sa.window->highest());

  uint8_t* esp = rte_pktmbuf_mtod(m, uint8_t*) + md.esp_offset;
  const size_t ciphertext_len = rte_pktmbuf_data_len(m) - md.esp_offset - kEspOverhead;
  const proto::ConstBytes plaintext{esp + proto::kEspHeaderSize, ciphertext_len};
  proto::EspTrailer trailer;
  const bool trailer_ok = proto::parse_esp_trailer(plaintext, trailer) == proto::EspStatus::kOk;
  // Authenticated and new: it counts towards the lifetimes whatever follows.
  sa.packets.add();
  sa.bytes.add(trailer_ok ? trailer.payload.size() : ciphertext_len);
  update_lifetimes(sa);
  if (!trailer_ok) [[unlikely]] {
    w.drop(m, DropReason::bad_padding);
    return false;
  }
  if (trailer.is_dummy) [[unlikely]] {
    w.drop(m, DropReason::dummy_packet);
    return false;
  }

  size_t udp_offset = 0;  // within the ESP payload
  size_t udp_length = trailer.payload.size();
  if (!sa.tunnel) [[likely]] {
    if (trailer.next_header != proto::kEspNextHeaderUdp) [[unlikely]] {
      w.drop(m, DropReason::bad_next_header);
      return false;
    }
  } else {
    if (trailer.next_header != proto::kEspNextHeaderIpv4 &&
        trailer.next_header != proto::kEspNextHeaderIpv6) [[unlikely]] {
      w.drop(m, DropReason::bad_next_header);
      return false;
    }
    DropReason reason;
    if (!tunnel_inner(sa, trailer.payload, trailer.next_header, udp_offset, udp_length, reason)) {
      w.drop(m, reason);
      return false;
    }
  }
  // Strip outer headers, ESP header (and tunnel IP header) in front, padding,
  // trailer and ICV behind: no copy, only the mbuf offsets move. The UDP
  // checksum of the datagram is deliberately not verified: the ICV already
  // authenticated it, and with NAT in the path it was computed over the
  // pre-NAT addresses, so it would not verify anyway (RFC 3948 §3.1.2).
  const size_t start = md.esp_offset + proto::kEspHeaderSize + udp_offset;
  rte_pktmbuf_adj(m, static_cast<uint16_t>(start));
  rte_pktmbuf_trim(m, static_cast<uint16_t>(rte_pktmbuf_data_len(m) - udp_length));
  md.l3_offset = 0;
  md.esp_offset = 0;
  return true;
}

}  // namespace

uint16_t esp_decrypt(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  // Worker-local scratch on the stack: no allocation, no sharing.
  crypto::AeadOp ops[kMaxBurst];
  alignas(16) uint8_t aad[kMaxBurst][12];  // GCM: SPI || [seq_hi ||] seq_lo
  uint8_t saved[kMaxBurst][4];             // GMAC with ESN: the 4 bytes under the moved SPI

  uint16_t k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 1 < n) {
      const rte_mbuf* next = pkts[i + 1];
      rte_prefetch0(rte_pktmbuf_mtod(next, const uint8_t*) +
                    meta(const_cast<rte_mbuf*>(next)).esp_offset);
    }
    rte_mbuf* m = pkts[i];
    MbufMeta& md = meta(m);
    SaState& sa = w.state.sas[md.sa_index];
    if (sa.hard_expired.get() != 0) [[unlikely]] {
      w.drop(m, DropReason::sa_expired);
      continue;
    }
    uint8_t* esp = rte_pktmbuf_mtod(m, uint8_t*) + md.esp_offset;
    const size_t esp_len = rte_pktmbuf_data_len(m) - md.esp_offset;  // sa_lookup validated it
    const uint32_t seq_lo = load_be32(esp + 4);
    const crypto::ReplayWindow::Check check = sa.window->check(seq_lo);
    if (check.verdict != crypto::ReplayWindow::Verdict::ok) [[unlikely]] {
      sa.replayed.add();
      w.drop(m, DropReason::replay);
      continue;
    }
    md.seq = check.seq;
    const uint32_t seq_hi = static_cast<uint32_t>(check.seq >> 32);
    const auto ciphertext_len = static_cast<uint32_t>(esp_len - kEspOverhead);

    crypto::AeadOp& op = ops[k];
    op.key = &*sa.key;
    op.iv = esp + proto::kEspSpiSeqSize;
    op.tag = esp + esp_len - proto::kEspIcvSize;
    op.status = crypto::AeadStatus::error;
    if (!sa.gmac) [[likely]] {
      uint8_t* a = aad[k];
      std::memcpy(a, esp, 4);  // SPI
      if (sa.esn) {
        store_be32(a + 4, seq_hi);
        std::memcpy(a + 8, esp + 4, 4);
        op.aad_len = 12;
      } else {
        std::memcpy(a + 4, esp + 4, 4);
        op.aad_len = 8;
      }
      op.aad = a;
      op.data = esp + proto::kEspHeaderSize;
      op.len = ciphertext_len;
    } else {
      // GMAC authenticates one contiguous region: ESP header || IV ||
      // payload. With ESN, seq_hi must sit between SPI and seq_lo: move the
      // SPI 4 bytes to the front (into the outer header, saved and restored
      // after the burst) and write seq_hi where it was.
      op.data = esp + proto::kEspSpiSeqSize;
      op.len = proto::kEspIvSize + ciphertext_len;
      if (sa.esn) {
        std::memcpy(saved[k], esp - 4, 4);
        std::memcpy(esp - 4, esp, 4);
        store_be32(esp, seq_hi);
        op.aad = esp - 4;
        op.aad_len = 12;
      } else {
        op.aad = esp;
        op.aad_len = 8;
      }
    }
    pkts[k++] = m;
  }
  if (k == 0) return 0;

  w.engine.decrypt(std::span<crypto::AeadOp>(ops, k));

  uint16_t kept = 0;
  for (uint16_t i = 0; i < k; ++i) {
    rte_mbuf* m = pkts[i];
    const MbufMeta& md = meta(m);
    const SaState& sa = w.state.sas[md.sa_index];
    if (sa.gmac && sa.esn) [[unlikely]] {
      uint8_t* esp = rte_pktmbuf_mtod(m, uint8_t*) + md.esp_offset;
      std::memcpy(esp, esp - 4, 4);
      std::memcpy(esp - 4, saved[i], 4);
    }
    if (finish(w, m, ops[i].status)) pkts[kept++] = m;
  }
  return kept;
}

}  // namespace softwire::dp
