#include "dataplane/punt_path.h"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "dataplane/proto/bytes.h"
#include "dataplane/proto/esp.h"
#include "dataplane/worker_context.h"

namespace softwire::dp {

namespace {

constexpr size_t kEthernetHeader = 14;  // access and core ports are untagged

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

const MbufMeta& meta_of(const rte_mbuf* m) {
  return meta(const_cast<rte_mbuf*>(m));
}

shm::Address address(shm::Family family, const uint8_t* bytes) {
  shm::Address a{};
  a.family = family;
  std::memcpy(a.bytes, bytes, family == shm::Family::kIpv6 ? 16 : 4);
  return a;
}

// Everything but the kind-specific fields and the data.
void fill_header(const WorkerContext& w, const rte_mbuf* m, shm::PacketKind kind, shm::Layer layer,
                 shm::PacketRecord& r) {
  const MbufMeta& md = meta_of(m);
  const DataplaneState& state = w.state;
  r.kind = kind;
  r.punt_kind = 0;
  r.drop_reason = 0;
  r.layer = layer;
  r.port = md.origin == Origin::kInject ? kNoPort : md.ingress_port;
  r.worker = static_cast<uint16_t>(w.index);
  r.sa_index = shm::kNone;
  r.spi = shm::kNone;
  if (md.sa_index < state.sa_capacity) {
    r.sa_index = md.sa_index;
    r.spi = state.sas[md.sa_index].spi;
  } else if (md.origin == Origin::kAccess && md.esp_offset != 0 && data_pos(m) == md.frame_pos &&
             size_t{md.esp_offset} + 4 <= rte_pktmbuf_data_len(m)) {
    // Before the SA lookup (unknown_spi): the SPI is still in the packet.
    r.spi = proto::load_be32(rte_pktmbuf_mtod(m, const uint8_t*) + md.esp_offset);
  }
  r.session_index = shm::kNone;
  r.session = shm::SessionKey{0, 0};
  if (md.session_index < state.session_capacity) {
    const SessionState& s = state.sessions[md.session_index];
    r.session_index = md.session_index;
    r.session = shm::SessionKey{s.tunnel_id, s.session_id};
  }
  const OuterAddresses outer = outer_addresses(m);
  r.outer_src = outer.src;
  r.outer_dst = outer.dst;
  r.outer_src_port = outer.src_port;
  r.outer_dst_port = outer.dst_port;
  r.timestamp_ns = realtime_ns();
}

// Copies at most `max` bytes from `offset` past the data pointer into the
// record (any segment layout).
void fill_data(const rte_mbuf* m, uint32_t offset, uint32_t max, shm::PacketRecord& r) {
  const uint32_t packet = rte_pktmbuf_pkt_len(m);
  const uint32_t available = offset < packet ? packet - offset : 0;
  const uint32_t n = std::min({available, max, uint32_t{shm::kPacketBytes}});
  r.original_length = static_cast<uint16_t>(std::min<uint32_t>(available, UINT16_MAX));
  r.length = static_cast<uint16_t>(n);
  if (n == 0) return;
  const void* p = rte_pktmbuf_read(m, offset, n, r.data);
  if (p != r.data) std::memcpy(r.data, p, n);
}

// How many bytes of a dropped packet may leave. esp_decrypt decrypts in
// place, so an ESP payload that failed authentication now holds keystream
// XOR the sender's bytes: for such packets only the headers up to the IV.
uint32_t exportable_bytes(const rte_mbuf* m, DropReason reason) {
  const MbufMeta& md = meta_of(m);
  if ((reason == DropReason::auth_failed || reason == DropReason::crypto_error) &&
      md.origin == Origin::kAccess && md.esp_offset != 0) {
    return md.esp_offset + proto::kEspHeaderSize;
  }
  return shm::kPacketBytes;
}

}  // namespace

OuterAddresses outer_addresses(const rte_mbuf* m) {
  const MbufMeta& md = meta_of(m);
  OuterAddresses r;
  if (!md.outer_ip_valid) return r;
  const auto* buf = static_cast<const uint8_t*>(m->buf_addr);
  const size_t ip = size_t{md.frame_pos} + kEthernetHeader;
  if (md.outer_is_v6) {
    if (ip + 40 > m->buf_len) return r;
    r.src = address(shm::Family::kIpv6, buf + ip + 8);
    r.dst = address(shm::Family::kIpv6, buf + ip + 24);
  } else {
    if (ip + 20 > m->buf_len) return r;
    r.src = address(shm::Family::kIpv4, buf + ip + 12);
    r.dst = address(shm::Family::kIpv4, buf + ip + 16);
  }
  if (md.outer_udp_pos != 0 && size_t{md.outer_udp_pos} + 8 <= m->buf_len) {
    r.src_port = proto::load_be16(buf + md.outer_udp_pos);
    r.dst_port = proto::load_be16(buf + md.outer_udp_pos + 2);
  }
  return r;
}

std::optional<shm::Layer> layer_at_drop(const DataplaneState& state, const rte_mbuf* m,
                                        DropReason reason) {
  // flush() drops complete frames that the TX queue refused.
  if (reason == DropReason::tx_full) return shm::Layer::kEthernet;
  const MbufMeta& md = meta_of(m);
  const bool at_start = data_pos(m) == md.frame_pos;
  switch (md.origin) {
    case Origin::kAccess:
      // Until esp_decrypt strips the outer headers, the data pointer stays
      // at the frame. After it: the decrypted UDP datagram; l2tp_input then
      // strips L2TP and PPP where it sets session_index, leaving the inner
      // IP packet (core_output prepends nothing before its last drop).
      if (at_start) return shm::Layer::kEthernet;
      return md.session_index == kNoIndex ? shm::Layer::kUdp : shm::Layer::kIp;
    case Origin::kCore:
    case Origin::kInject:
      // The frame (core) or PPP protocol + information (inject) until
      // l2tp_encap; then the ESP payload (UDP, or the tunnel-mode IP header)
      // until esp_encrypt assigns a sequence number and prepends ESP.
      if (at_start) return md.origin == Origin::kCore ? shm::Layer::kEthernet : shm::Layer::kPpp;
      if (md.seq != 0 || md.sa_index >= state.sa_capacity) return std::nullopt;
      return state.sas[md.sa_index].tunnel ? shm::Layer::kIp : shm::Layer::kUdp;
  }
  return std::nullopt;
}

void WorkerContext::punt_to_ring(rte_mbuf* m, PuntKind kind, const PuntSite& site) {
  const shm::Address peer = outer_addresses(m).src;
  switch (policer.admit(peer, clock.now())) {
    case PuntPolicer::Verdict::kPass:
      break;
    case PuntPolicer::Verdict::kPeerDenied:
      counters.punt_policed_peer.add();
      counters.last_policed_peer.store(peer);
      return;
    case PuntPolicer::Verdict::kGlobalDenied:
      counters.punt_policed_global.add();
      return;
  }
  uint8_t* slot = punt_ring.reserve();
  if (slot == nullptr) [[unlikely]] {
    counters.punt_ring_full.add();
    return;
  }
  auto& r = *reinterpret_cast<shm::PacketRecord*>(slot);
  fill_header(*this, m, shm::PacketKind::kPunt, site.layer, r);
  r.punt_kind = static_cast<uint8_t>(kind);
  if (site.session_index < state.session_capacity) {
    const SessionState& s = state.sessions[site.session_index];
    r.session_index = site.session_index;
    r.session = shm::SessionKey{s.tunnel_id, s.session_id};
  } else if (site.session.tunnel_id != 0 || site.session.session_id != 0) {
    r.session = site.session;
  }
  fill_data(m, site.offset, shm::kPacketBytes, r);
  punt_ring.publish();
}

void WorkerContext::drop_to_ring(rte_mbuf* m, DropReason reason) {
  if (!punt_ring.valid()) return;
  const std::optional<shm::Layer> layer = layer_at_drop(state, m, reason);
  if (!layer) return;
  const auto reason_index = static_cast<uint8_t>(reason);
  const uint32_t exportable = exportable_bytes(m, reason);

  DropCapture& capture = state.drop_capture;
  if (capture.armed.load(std::memory_order_acquire) != 0) {
    const uint8_t want = capture.reason.load(std::memory_order_relaxed);
    const uint32_t session = capture.session_index.load(std::memory_order_relaxed);
    if ((want == DropCapture::kAnyReason || want == reason_index) &&
        (session == shm::kNone || session == meta(m).session_index) &&
        capture.remaining.load(std::memory_order_relaxed) > 0) {
      // The slot first: a claim is only spent on a record that is published.
      uint8_t* slot = punt_ring.reserve();
      if (slot == nullptr) {
        counters.punt_ring_full.add();
      } else {
        const int64_t before = capture.remaining.fetch_sub(1, std::memory_order_relaxed);
        if (before > 0) {
          if (before == 1) capture.armed.store(0, std::memory_order_relaxed);
          auto& r = *reinterpret_cast<shm::PacketRecord*>(slot);
          fill_header(*this, m, shm::PacketKind::kDropCapture, *layer, r);
          r.drop_reason = reason_index;
          fill_data(m, 0, exportable, r);
          punt_ring.publish();
          counters.captured_drops.add();
        }
      }
    }
  }

  if (((kSampledReasons >> reason_index) & 1u) == 0) return;
  if (!sample_bucket.take(sample_params, clock.now())) return;
  uint8_t* slot = punt_ring.reserve();
  if (slot == nullptr) {
    counters.punt_ring_full.add();
    return;
  }
  auto& r = *reinterpret_cast<shm::PacketRecord*>(slot);
  fill_header(*this, m, shm::PacketKind::kSecuritySample, *layer, r);
  r.drop_reason = reason_index;
  fill_data(m, 0, std::min<uint32_t>(kSecuritySampleBytes, exportable), r);
  punt_ring.publish();
  counters.security_samples.add();
}

PuntLimits WorkerContext::limits_of(const config::ControlConfig& control) {
  return PuntLimits{control.punt_rate_per_peer, control.punt_burst_per_peer,
                    control.punt_rate_global, control.punt_burst_global};
}

void WorkerContext::attach_punt_ring(shm::RingView ring, const config::ControlConfig& control) {
  punt_ring = ring;
  punt_limits = limits_of(control);
  policer.configure(punt_limits, clock.hz);
}

void WorkerContext::set_clock(const TscClock& c) {
  clock = c;
  policer.configure(punt_limits, clock.hz);
  sample_params = BucketParams(kSecuritySamplesPerSecond, kSecuritySamplesPerSecond, clock.hz);
  sample_bucket = TokenBucket(sample_params);
}

}  // namespace softwire::dp
