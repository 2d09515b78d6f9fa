// Downstream pipeline (core -> access) and the ARP/ND responder, against
// frames built by scapy (downstream_vectors.py): byte-for-byte output, one
// test per drop reason, sequence numbers, lifetimes, hand-off between workers.
#include "dataplane/downstream.h"

#include <gtest/gtest.h>
#include <rte_ring.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/proto/bytes.h"
#include "dataplane/stages/neighbor.h"
#include "downstream_vectors.h"
#include "dp_fixture.h"

namespace softwire::dp {
namespace {

namespace dv = downstream_vectors;
using testing::DataplaneTest;

// Out of line: GCC 12 inlines take_tx's vector-from-array construction and
// then reports a spurious -Wfree-nonheap-object.
[[gnu::noinline]] std::vector<rte_mbuf*> take(WorkerContext& w, uint16_t port) {
  return w.take_tx(port);
}

std::vector<uint8_t> to_vector(const uint8_t* p, size_t n) {
  return {p, p + n};
}

// Where two frames first differ, for readable failures.
std::string first_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "equal";
  char text[96];
  std::snprintf(text, sizeof(text), "first difference at byte %zu of %zu/%zu: %02x vs %02x", i,
                a.size(), b.size(), i < a.size() ? a[i] : 0, i < b.size() ? b[i] : 0);
  return text;
}

DropReason reason_named(std::string_view name) {
  for (size_t i = 0; i < kDropReasonCount; ++i)
    if (kDropReasons[i].name == name) return static_cast<DropReason>(i);
  ADD_FAILURE() << "unknown drop reason " << name;
  return DropReason::malformed_l2;
}

PuntKind punt_named(std::string_view name) {
  for (size_t i = 0; i < kPuntKindCount; ++i)
    if (kPuntKinds[i].name == name) return static_cast<PuntKind>(i);
  ADD_FAILURE() << "unknown punt kind " << name;
  return PuntKind::icmp;
}

class DownstreamTest : public DataplaneTest {
 protected:
  // Loads the vectors' configuration and gives each outbound SA the first
  // sequence number the vectors expect.
  void load(unsigned workers = 1) {
    make_state(dv::kConfig, workers);
    for (const auto& start : dv::kSaStarts) sa(start.spi).next_seq = start.first_seq;
  }

  uint32_t sa_index(uint32_t spi) const {
    for (size_t k = 0; k < config_.sas.size(); ++k)
      if (config_.sas[k].spi == spi && config_.sas[k].direction == config::Direction::kOut)
        return state_->sa_indices_in_config_order[k];
    ADD_FAILURE() << "no outbound SA " << spi;
    return 0;
  }
  SaState& sa(uint32_t spi) { return state_->sas[sa_index(spi)]; }

  uint16_t core() const { return state_->core_port(); }
  uint16_t access() const { return state_->access_port(); }

  void rx(std::vector<rte_mbuf*> pkts, WorkerContext* w = nullptr) {
    downstream_rx(w ? *w : *worker_, core(), pkts.data(), static_cast<uint16_t>(pkts.size()));
  }

  // Takes the frames queued on `port`, returns their bytes and frees them.
  std::vector<std::vector<uint8_t>> sent(uint16_t port, WorkerContext* w = nullptr) {
    std::vector<std::vector<uint8_t>> out;
    for (rte_mbuf* m : take(w ? *w : *worker_, port)) {
      out.push_back(bytes_of(m));
      rte_pktmbuf_free(m);
    }
    return out;
  }

  uint64_t total_drops() const {
    uint64_t n = 0;
    for (const auto& c : counters_.drops) n += c.get();
    return n;
  }

  // A copy of `frame` in an mbuf whose data starts `headroom` bytes into the
  // buffer, or ends `tailroom` bytes before its end.
  rte_mbuf* packet_with_room(const uint8_t* frame, size_t len, int headroom, int tailroom) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    EXPECT_NE(m, nullptr);
    m->data_off = headroom >= 0 ? static_cast<uint16_t>(headroom)
                                : static_cast<uint16_t>(m->buf_len - len - tailroom);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(len)), frame, len);
    meta(m) = MbufMeta{};
    return m;
  }
};

TEST_F(DownstreamTest, EveryVectorByteForByteInOneBurst) {
  load();
  std::vector<rte_mbuf*> burst;
  for (const auto& v : dv::kForward) burst.push_back(make_packet(v.input, v.input_size));
  ASSERT_LE(burst.size(), kMaxBurst);
  rx(burst);
  EXPECT_EQ(total_drops(), 0u);
  EXPECT_TRUE(sent(core()).empty());
  std::vector<rte_mbuf*> out = take(*worker_, access());
  ASSERT_EQ(out.size(), std::size(dv::kForward));
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& v = dv::kForward[i];
    const auto got = bytes_of(out[i]), want = to_vector(v.expected, v.expected_size);
    EXPECT_EQ(got, want) << v.name << ": " << first_difference(got, want);
    EXPECT_EQ(meta(out[i]).seq, v.seq) << v.name;
    rte_pktmbuf_free(out[i]);
  }
  // One sequence number per packet per SA, starting where each SA started.
  for (const auto& start : dv::kSaStarts) {
    uint64_t packets = 0;
    for (const auto& v : dv::kForward) packets += v.spi == start.spi;
    EXPECT_EQ(sa(start.spi).next_seq, start.first_seq + packets) << start.spi;
    EXPECT_EQ(sa(start.spi).packets.get(), packets) << start.spi;
  }
  uint64_t down = 0;
  for (const uint32_t s : state_->session_indices_in_config_order)
    down += state_->sessions[s].down_packets.get();
  EXPECT_EQ(down, std::size(dv::kForward));
}

TEST_F(DownstreamTest, SequenceStartsAtOneAndCountsBytes) {
  make_state(dv::kConfig);          // no preset sequence numbers
  const auto& v = dv::kForward[0];  // udp4 via SA 0x2001 (GCM-128, transport, IPv4)
  ASSERT_EQ(v.seq, 1u);
  rx({make_packet(v.input, v.input_size)});
  auto out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], to_vector(v.expected, v.expected_size));
  rx({make_packet(v.input, v.input_size)});
  out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* esp = out[0].data() + 14 + 20;
  EXPECT_EQ(proto::load_be32(esp + 4), 2u);
  EXPECT_EQ(proto::load_be64(esp + 8), 2u);  // IV = the 64-bit sequence number
  EXPECT_EQ(sa(0x2001).next_seq, 3u);
  // SA bytes: ESP payload (UDP + L2TP + PPP + inner); session: inner bytes.
  const size_t inner = v.input_size - 14 - 20;  // first vector carries 20 padding bytes
  EXPECT_EQ(sa(0x2001).bytes.get(), 2 * (inner + 18));
  const SessionState& s = state_->sessions[state_->session_indices_in_config_order[0]];
  EXPECT_EQ(s.down_packets.get(), 2u);
  EXPECT_EQ(s.down_bytes.get(), 2 * inner);
}

TEST_F(DownstreamTest, PacketOfExactlyTheSessionMtuIsForwarded) {
  load();
  const auto& v = dv::kMtu[0];
  rx({make_packet(v.input, v.input_size)});
  auto out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], to_vector(v.expected, v.expected_size));
}

TEST_F(DownstreamTest, ArpAndNeighborSolicitationsAreAnswered) {
  load();
  uint64_t arp = 0, nd = 0;
  for (const auto& v : dv::kNeighbor) {
    rx({make_packet(v.input, v.input_size)});
    auto out = sent(core());
    ASSERT_EQ(out.size(), 1u) << v.name;
    EXPECT_EQ(out[0], to_vector(v.expected, v.expected_size)) << v.name;
    (std::string_view(v.name).starts_with("arp") ? arp : nd)++;
  }
  EXPECT_EQ(counters_.arp_replies.get(), arp);
  EXPECT_EQ(counters_.nd_replies.get(), nd);
  EXPECT_EQ(total_drops(), 0u);
}

TEST_F(DownstreamTest, NeighborResponderAnswersOnTheAccessPortToo) {
  load();
  // The core vector's NS re-addressed to the access port's address would need
  // a new checksum; ARP is enough to show the port's own addresses are used.
  const auto& v = dv::kNeighbor[0];
  std::vector<uint8_t> frame = to_vector(v.input, v.input_size);
  const uint8_t access_ip[4] = {198, 51, 100, 1};
  std::memcpy(frame.data() + 14 + 24, access_ip, 4);
  rte_mbuf* m = make_packet(std::as_const(frame).data(), frame.size());
  neighbor_arp(*worker_, access(), m, 14);
  auto out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::memcmp(out[0].data() + 6, state_->ports[access()].mac.addr_bytes, 6), 0);
  EXPECT_EQ(std::memcmp(out[0].data() + 14 + 14, access_ip, 4), 0);  // sender IP
  EXPECT_EQ(counters_.arp_replies.get(), 1u);
}

TEST_F(DownstreamTest, EveryCoreSideDropReasonIsCountedExactly) {
  load();
  std::vector<rte_mbuf*> burst;
  for (const auto& d : dv::kDrops) burst.push_back(make_packet(d.input, d.input_size));
  rx(burst);
  EXPECT_TRUE(sent(access()).empty());
  EXPECT_TRUE(sent(core()).empty());
  std::array<uint64_t, kDropReasonCount> want_drops{};
  std::array<uint64_t, kPuntKindCount> want_punts{};
  for (const auto& d : dv::kDrops) {
    if (d.punt)
      ++want_punts[static_cast<size_t>(punt_named(d.reason))];
    else
      ++want_drops[static_cast<size_t>(reason_named(d.reason))];
  }
  for (size_t i = 0; i < kDropReasonCount; ++i)
    EXPECT_EQ(counters_.drops[i].get(), want_drops[i]) << kDropReasons[i].name;
  for (size_t i = 0; i < kPuntKindCount; ++i)
    EXPECT_EQ(counters_.punts[i].get(), want_punts[i]) << kPuntKinds[i].name;
  for (const auto& start : dv::kSaStarts) EXPECT_EQ(sa(start.spi).next_seq, start.first_seq);
}

TEST_F(DownstreamTest, EachDropVectorAlone) {
  load();
  for (const auto& d : dv::kDrops) {
    const uint64_t before = d.punt ? punted(punt_named(d.reason)) : dropped(reason_named(d.reason));
    rx({make_packet(d.input, d.input_size)});
    const uint64_t after = d.punt ? punted(punt_named(d.reason)) : dropped(reason_named(d.reason));
    EXPECT_EQ(after, before + 1) << d.name;
  }
}

TEST_F(DownstreamTest, BurstsLargerThanTheStageBurstAreChunked) {
  load();
  // 70 frames: the forward vectors of SA 0x2001 (4) in between no-route ones.
  std::vector<rte_mbuf*> burst;
  std::vector<const dv::Frame*> forwarded;
  size_t no_route_index = 0;
  for (const auto& d : dv::kDrops)
    if (std::string_view(d.name) == "no_route_v4")
      break;
    else
      ++no_route_index;
  for (size_t i = 0; i < 70; ++i) {
    if (i % 20 == 19) {
      for (const auto& v : dv::kForward) {
        if (v.spi != 0x2001 || v.seq != forwarded.size() + 1) continue;
        forwarded.push_back(&v);
        burst.push_back(make_packet(v.input, v.input_size));
        break;
      }
    } else {
      const auto& d = dv::kDrops[no_route_index];
      burst.push_back(make_packet(d.input, d.input_size));
    }
  }
  rx(burst);
  auto out = sent(access());
  ASSERT_EQ(out.size(), forwarded.size());
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(out[i], to_vector(forwarded[i]->expected, forwarded[i]->expected_size))
        << forwarded[i]->name;
  EXPECT_EQ(dropped(DropReason::no_route), 70 - forwarded.size());
}

TEST_F(DownstreamTest, HardAndSoftPacketLifetimes) {
  load();
  SaState& a = sa(0x2001);
  a.soft_life_packets = 1;
  a.life_packets = 2;
  const auto& v = dv::kForward[0];
  rx({make_packet(v.input, v.input_size), make_packet(v.input, v.input_size),
      make_packet(v.input, v.input_size)});
  EXPECT_EQ(sent(access()).size(), 2u);
  EXPECT_EQ(dropped(DropReason::sa_expired), 1u);
  EXPECT_EQ(a.soft_expired.get(), 1u);
  EXPECT_EQ(a.hard_expired.get(), 1u);
  EXPECT_EQ(a.packets.get(), 2u);
  EXPECT_EQ(a.next_seq, 3u);  // the dropped packet spent no sequence number
}

TEST_F(DownstreamTest, HardByteLifetime) {
  load();
  SaState& a = sa(0x2001);
  a.soft_life_bytes = 10;
  a.life_bytes = 40;  // the first packet (46 payload bytes) crosses both
  const auto& v = dv::kForward[0];
  rx({make_packet(v.input, v.input_size)});
  EXPECT_EQ(sent(access()).size(), 1u);
  EXPECT_EQ(a.soft_expired.get(), 1u);
  EXPECT_EQ(a.hard_expired.get(), 1u);
  rx({make_packet(v.input, v.input_size)});
  EXPECT_TRUE(sent(access()).empty());
  EXPECT_EQ(dropped(DropReason::sa_expired), 1u);
}

TEST_F(DownstreamTest, SequenceSpaceExhaustedWithoutEsn) {
  load();
  SaState& a = sa(0x2001);
  a.next_seq = UINT32_MAX;  // the last usable one
  const auto& v = dv::kForward[0];
  rx({make_packet(v.input, v.input_size), make_packet(v.input, v.input_size)});
  auto out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  const uint8_t* esp = out[0].data() + 14 + 20;
  EXPECT_EQ(proto::load_be32(esp + 4), UINT32_MAX);
  EXPECT_EQ(proto::load_be64(esp + 8), uint64_t{UINT32_MAX});
  EXPECT_EQ(dropped(DropReason::seq_exhausted), 1u);
  EXPECT_EQ(a.next_seq, uint64_t{UINT32_MAX} + 1);
}

TEST_F(DownstreamTest, EsnCrossesTwoToTheThirtyTwoAndStopsAtWrap) {
  load();
  // The ESN vectors already cross 2^32 (see kSaStarts); a wrapped 64-bit
  // counter ends the SA.
  SaState& b = sa(0x2002);
  b.next_seq = 0;
  const dv::Frame* v = nullptr;
  for (const auto& f : dv::kForward)
    if (f.spi == 0x2002) v = &f;
  ASSERT_NE(v, nullptr);
  rx({make_packet(v->input, v->input_size)});
  EXPECT_TRUE(sent(access()).empty());
  EXPECT_EQ(dropped(DropReason::seq_exhausted), 1u);
}

TEST_F(DownstreamTest, NoHeadroomOrTailroom) {
  load();
  const dv::Frame* v = nullptr;  // no Ethernet padding
  for (const auto& f : dv::kForward)
    if (std::string_view(f.name) == "syn6_gcm128_v4") v = &f;
  ASSERT_NE(v, nullptr);
  // Too little headroom for UDP/L2TP/PPP + ESP + outer headers.
  rx({packet_with_room(v->input, v->input_size, 8, 0)});
  // No tailroom for the ESP trailer and ICV (the frame ends at the buffer's end).
  rx({packet_with_room(v->input, v->input_size, -1, 0)});
  EXPECT_TRUE(sent(access()).empty());
  EXPECT_EQ(dropped(DropReason::no_buffer_space), 2u);
  EXPECT_EQ(sa(0x2001).next_seq, 1u);  // no sequence number spent
  // Ethernet padding is trimmed before the trailer is added: the 20 padding
  // bytes of the first vector make room for it.
  const auto& padded = dv::kForward[0];
  rx({packet_with_room(padded.input, padded.input_size, -1, 0)});
  auto out = sent(access());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], to_vector(padded.expected, padded.expected_size));
}

TEST_F(DownstreamTest, HandOffToTheOwnerOfTheSa) {
  load(2);
  // A vector whose SA worker 1 owns.
  const dv::Frame* v = nullptr;
  for (const auto& f : dv::kForward)
    if (sa(f.spi).owner == 1 && f.seq == [&] {
          for (const auto& s : dv::kSaStarts)
            if (s.spi == f.spi) return s.first_seq;
          return uint64_t{0};
        }()) {
      v = &f;
      break;
    }
  ASSERT_NE(v, nullptr);
  rx({make_packet(v->input, v->input_size)});
  EXPECT_TRUE(sent(access()).empty());
  rte_ring* ring = state_->handoff_down[1];
  ASSERT_EQ(rte_ring_count(ring), 1u);
  EXPECT_EQ(sa(v->spi).next_seq, v->seq);  // untouched by worker 0

  WorkerCounters counters1;
  auto worker1 = std::make_unique<WorkerContext>(1, *state_, counters1, 32);
  rte_mbuf* pkts[kMaxBurst];
  const unsigned n =
      rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(pkts), kMaxBurst, nullptr);
  ASSERT_EQ(n, 1u);
  downstream_owned(*worker1, pkts, static_cast<uint16_t>(n));
  auto out = sent(access(), worker1.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], to_vector(v->expected, v->expected_size)) << v->name;
  EXPECT_EQ(sa(v->spi).next_seq, v->seq + 1);
}

// A session deleted (and its slot reused) while one of its packets waits in
// the owner's hand-off ring: the owner drops it instead of building L2TP
// headers from whatever the slot holds now.
TEST_F(DownstreamTest, PacketsOfADeletedSessionAreDroppedByTheOwner) {
  load(2);
  const dv::Frame* v = nullptr;
  for (const auto& f : dv::kForward)
    if (sa(f.spi).owner == 1) v = &f;
  ASSERT_NE(v, nullptr);
  const uint64_t next_seq = sa(v->spi).next_seq;
  rx({make_packet(v->input, v->input_size)});
  rte_ring* ring = state_->handoff_down[1];
  ASSERT_EQ(rte_ring_count(ring), 1u);

  uint32_t session = kNoIndex;
  for (const uint32_t i : state_->session_indices_in_config_order)
    if (state_->sessions[i].sa_out.load() == sa_index(v->spi)) session = i;
  ASSERT_NE(session, kNoIndex);
  const shm::SessionRecord record = state_->session_record(session);
  ASSERT_EQ(state_->delete_session({record.tunnel_id, record.session_id}).status, shm::Status::kOk);
  EXPECT_FALSE(state_->session_live(session));

  WorkerCounters counters1;
  WorkerContext worker1(1, *state_, counters1, 32);
  rte_mbuf* m = nullptr;
  ASSERT_EQ(rte_ring_sc_dequeue(ring, reinterpret_cast<void**>(&m)), 0);
  downstream_owned(worker1, &m, 1);
  EXPECT_TRUE(sent(access(), &worker1).empty());
  EXPECT_EQ(counters1.drops[static_cast<size_t>(DropReason::sa_deleted)].get(), 1u);
  EXPECT_EQ(sa(v->spi).next_seq, next_seq) << "no sequence number spent on it";
}

TEST_F(DownstreamTest, FullHandOffRingDrops) {
  load(2);
  const dv::Frame* v = nullptr;
  for (const auto& f : dv::kForward)
    if (sa(f.spi).owner == 1) v = &f;
  ASSERT_NE(v, nullptr);
  rte_ring* ring = state_->handoff_down[1];
  // Fill the ring with placeholders (never dereferenced), then take them back.
  static int placeholder;
  std::vector<void*> fill(rte_ring_free_count(ring), &placeholder);
  ASSERT_EQ(rte_ring_enqueue_bulk(ring, fill.data(), static_cast<unsigned>(fill.size()), nullptr),
            fill.size());
  rx({make_packet(v->input, v->input_size)});
  EXPECT_EQ(dropped(DropReason::handoff_full), 1u);
  std::vector<void*> back(fill.size());
  EXPECT_EQ(rte_ring_dequeue_bulk(ring, back.data(), static_cast<unsigned>(back.size()), nullptr),
            fill.size());
  EXPECT_EQ(rte_ring_count(ring), 0u);
}

}  // namespace
}  // namespace softwire::dp
