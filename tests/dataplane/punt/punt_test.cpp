// The punt path: every punt kind reaches the worker's punt ring in a real
// shared-memory segment with its metadata and the bytes scapy built; the
// policers, security samples and drop capture; inject_ppp to an ESP frame
// that scapy's SecurityAssociation produced from the same plaintext.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ring.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>  // before dp_fixture.h, which uses std::memcpy without it
#include <string>
#include <thread>
#include <vector>

#include "dataplane/downstream.h"
#include "dataplane/inject.h"
#include "dataplane/punt_path.h"
#include "dataplane/punt_policer.h"
#include "dataplane/upstream.h"
#include "dataplane/worker.h"
#include "punt_vectors.h"
#include "shm/segment.h"
#include "tests/dataplane/dp_fixture.h"

namespace softwire::dp::testing {
namespace {

using punt_vectors::kVectors;
using punt_vectors::Vector;

constexpr uint16_t kAccess = 0;
constexpr uint16_t kCore = 1;
constexpr uint64_t kHz = 1'000'000;  // the fake TSC counts microseconds

const Vector& vec(std::string_view name) {
  for (const Vector& v : kVectors)
    if (v.name == name) return v;
  ADD_FAILURE() << "no vector " << name;
  return kVectors[0];
}

std::vector<uint8_t> expected_of(std::string_view name) {
  const Vector& v = vec(name);
  return {v.expected, v.expected + v.expected_len};
}

shm::Address addr(const char* text) {
  shm::Address a{};
  if (std::strchr(text, ':') != nullptr) {
    a.family = shm::Family::kIpv6;
    EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes), 1);
  } else {
    a.family = shm::Family::kIpv4;
    EXPECT_EQ(inet_pton(AF_INET, text, a.bytes), 1);
  }
  return a;
}

bool same(const shm::Address& x, const shm::Address& y) {
  return x.family == y.family && std::memcmp(x.bytes, y.bytes, 16) == 0;
}

std::vector<uint8_t> data_of(const shm::PacketRecord& r) {
  return {r.data, r.data + r.length};
}

uint64_t read_fake(const void* context) {
  return static_cast<const std::atomic<uint64_t>*>(context)->load();
}

class PuntTest : public DataplaneTest {
 protected:
  void SetUp() override {
    make_state(std::string(punt_vectors::kConfig));
    static int serial = 0;
    instance_ = "dp2punt-" + std::to_string(getpid()) + "-" + std::to_string(serial++);
    segment_ = std::make_unique<shm::Segment>(shm::Segment::create(
        instance_, shm::SegmentSizes{.workers = 1, .sa_capacity = 16, .session_capacity = 16},
        0x1234));
    ring_ = segment_->punt(0);
    worker_->attach_punt_ring(ring_, config::ControlConfig{});
    fake_now_ = 1'000'000'000;  // not 0: buckets start with last = 0
    worker_->set_clock(TscClock{&read_fake, &fake_now_, kHz});
  }
  void TearDown() override {
    segment_->unlink();
    segment_.reset();
    DataplaneTest::TearDown();
  }

  void limits(uint32_t rate_peer, uint32_t burst_peer, uint32_t rate_global,
              uint32_t burst_global) {
    config::ControlConfig c;
    c.punt_rate_per_peer = rate_peer;
    c.punt_burst_per_peer = burst_peer;
    c.punt_rate_global = rate_global;
    c.punt_burst_global = burst_global;
    worker_->attach_punt_ring(ring_, c);
    // A fixed hash key, so that which peers share a bucket does not change
    // from run to run.
    worker_->policer = PuntPolicer(WorkerContext::limits_of(c), kHz, 0x9e3779b97f4a7c15ull);
  }
  void advance_us(uint64_t us) { fake_now_ += us; }

  rte_mbuf* packet(std::string_view name, uint16_t port = kAccess) {
    const Vector& v = vec(name);
    return make_packet(v.in, v.in_len, port);
  }

  // Runs the frames through the access (or core) pipeline as one burst.
  // Returns the number of frames sent on the other port; frees them.
  size_t run(const std::vector<std::string_view>& names, uint16_t port = kAccess) {
    std::vector<rte_mbuf*> burst;
    for (auto n : names) burst.push_back(packet(n, port));
    if (port == kAccess)
      upstream_rx(*worker_, port, burst.data(), static_cast<uint16_t>(burst.size()));
    else
      downstream_rx(*worker_, port, burst.data(), static_cast<uint16_t>(burst.size()));
    size_t sent = 0;
    for (uint16_t p : {kAccess, kCore}) {
      for (rte_mbuf* m : worker_->take_tx(p)) {
        ++sent;
        rte_pktmbuf_free(m);
      }
    }
    return sent;
  }

  std::vector<shm::PacketRecord> drain() {
    std::vector<shm::PacketRecord> out;
    while (const uint8_t* slot = ring_.peek()) {
      out.emplace_back();
      std::memcpy(&out.back(), slot, sizeof(shm::PacketRecord));
      ring_.pop();
    }
    return out;
  }

  uint32_t sa_index(uint32_t spi) { return state_->spi_table.lookup(spi); }
  uint32_t session_index(uint16_t tunnel, uint16_t session) {
    return state_->session_table.lookup(tables::SessionKey{tunnel, session});
  }
  uint8_t reason_index(DropReason r) { return static_cast<uint8_t>(r); }

  std::string instance_;
  std::unique_ptr<shm::Segment> segment_;
  shm::RingView ring_;
  std::atomic<uint64_t> fake_now_{0};
};

struct PuntCase {
  std::string_view name;
  uint16_t port;
  PuntKind kind;
  shm::Layer layer;
  uint32_t spi;  // inbound SA's, or kNone
  uint16_t tunnel_id, session_id;
  bool session_indexed;  // session_index must be the session of the key
  const char* src;
  const char* dst;
  uint16_t src_port, dst_port;
};

TEST_F(PuntTest, EveryPuntKindLandsWithItsMetadataAndBytes) {
  const PuntCase cases[] = {
      {"lcp_a", kAccess, PuntKind::ppp_control, shm::Layer::kPpp, 0x1001, 7, 9, true, "192.0.2.1",
       "198.51.100.1", 0, 0},
      {"lcp_t_acfc", kAccess, PuntKind::ppp_control, shm::Layer::kPpp, 0x1003, 9, 1, true,
       "2001:db8:f::4", "2001:db8:a::1", 4500, 4500},
      {"ipcp_n", kAccess, PuntKind::ppp_control, shm::Layer::kPpp, 0x1002, 8, 1, true, "192.0.2.77",
       "198.51.100.1", 31337, 4500},
      {"l2tp_ctrl_a", kAccess, PuntKind::l2tp_control, shm::Layer::kUdp, 0x1001, 7, 0, false,
       "192.0.2.1", "198.51.100.1", 0, 0},
      {"ike500_x", kAccess, PuntKind::ike, shm::Layer::kUdp, shm::kNone, 0, 0, false, "192.0.2.1",
       "198.51.100.1", 500, 500},
      {"ike4500_n", kAccess, PuntKind::ike, shm::Layer::kUdp, shm::kNone, 0, 0, false, "192.0.2.77",
       "198.51.100.1", 31337, 4500},
      {"icmp4", kAccess, PuntKind::icmp, shm::Layer::kIp, shm::kNone, 0, 0, false, "192.0.2.1",
       "198.51.100.1", 0, 0},
      {"icmp6", kAccess, PuntKind::icmp, shm::Layer::kIp, shm::kNone, 0, 0, false, "2001:db8:f::4",
       "2001:db8:a::1", 0, 0},
      {"core_icmp4", kCore, PuntKind::icmp, shm::Layer::kIp, shm::kNone, 0, 0, false,
       "203.0.113.50", "203.0.113.1", 0, 0},
  };
  for (const PuntCase& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    const uint64_t before_ns = shm::realtime_ns();
    EXPECT_EQ(run({c.name}, c.port), 0u);
    const auto records = drain();
    ASSERT_EQ(records.size(), 1u);
    const shm::PacketRecord& r = records[0];
    EXPECT_EQ(r.kind, shm::PacketKind::kPunt);
    EXPECT_EQ(r.punt_kind, static_cast<uint8_t>(c.kind));
    EXPECT_EQ(r.layer, c.layer);
    EXPECT_EQ(r.port, c.port);
    EXPECT_EQ(r.worker, 0);
    EXPECT_EQ(r.spi, c.spi);
    EXPECT_EQ(r.sa_index, c.spi == shm::kNone ? shm::kNone : sa_index(c.spi));
    EXPECT_EQ(r.session.tunnel_id, c.tunnel_id);
    EXPECT_EQ(r.session.session_id, c.session_id);
    EXPECT_EQ(r.session_index,
              c.session_indexed ? session_index(c.tunnel_id, c.session_id) : shm::kNone);
    EXPECT_TRUE(same(r.outer_src, addr(c.src)));
    EXPECT_TRUE(same(r.outer_dst, addr(c.dst)));
    EXPECT_EQ(r.outer_src_port, c.src_port);
    EXPECT_EQ(r.outer_dst_port, c.dst_port);
    EXPECT_EQ(data_of(r), expected_of(c.name));
    EXPECT_EQ(r.original_length, vec(c.name).expected_len);
    EXPECT_GE(r.timestamp_ns, before_ns);
    EXPECT_LE(r.timestamp_ns, shm::realtime_ns());
  }
  EXPECT_EQ(punted(PuntKind::ppp_control), 3u);
  EXPECT_EQ(punted(PuntKind::l2tp_control), 1u);
  EXPECT_EQ(punted(PuntKind::ike), 2u);
  EXPECT_EQ(punted(PuntKind::icmp), 3u);
  EXPECT_EQ(counters_.punt_ring_full.get() + counters_.punt_policed_peer.get() +
                counters_.punt_policed_global.get(),
            0u);
}

TEST_F(PuntTest, LcpEchoRequestFromAnSiArrivesAsPppControlWithTheSessionKey) {
  // A data packet of the same session is forwarded; the LCP echo is not.
  EXPECT_EQ(run({"data_a_0", "lcp_a", "data_a_1"}), 2u);
  const auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  const shm::PacketRecord& r = records[0];
  EXPECT_EQ(r.punt_kind, static_cast<uint8_t>(PuntKind::ppp_control));
  EXPECT_EQ(r.session.tunnel_id, 7);
  EXPECT_EQ(r.session.session_id, 9);
  EXPECT_EQ(r.session_index, session_index(7, 9));
  EXPECT_EQ(r.sa_index, sa_index(0x1001));
  // ff 03 c0 21, then code 9 (Echo-Request).
  ASSERT_GE(r.length, 5);
  EXPECT_EQ(r.data[0], 0xff);
  EXPECT_EQ(r.data[2], 0xc0);
  EXPECT_EQ(r.data[3], 0x21);
  EXPECT_EQ(r.data[4], 9);
}

TEST_F(PuntTest, FullRingCountsAndFrees) {
  for (uint32_t i = 0; i < shm::kPuntRingRecords; ++i) {
    uint8_t* slot = ring_.reserve();
    ASSERT_NE(slot, nullptr);
    ring_.publish();
  }
  EXPECT_EQ(run({"lcp_a", "icmp4"}), 0u);
  EXPECT_EQ(counters_.punt_ring_full.get(), 2u);
  EXPECT_EQ(punted(PuntKind::ppp_control), 1u);
  EXPECT_EQ(ring_.depth(), shm::kPuntRingRecords);
  // The mbufs are back in the pool (TearDown checks the pool is at baseline).
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
  drain();
  EXPECT_EQ(run({"lcp_a"}), 0u);
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(PuntTest, PeerPolicerStopsAFloodingPeerOnly) {
  limits(10, 5, 100000, 100000);
  const shm::Address x = addr("192.0.2.1"), y = addr("192.0.2.2");
  // Deterministic: the two peers must not share a bucket (hash collisions
  // are allowed in general; here they would make the test meaningless).
  ASSERT_NE(worker_->policer.bucket_of(x), worker_->policer.bucket_of(y));

  std::vector<std::string_view> burst(20, "ike500_x");
  for (int i = 0; i < 3; ++i) burst.push_back("ike500_y");
  for (auto n : {"data_a_0", "data_a_1", "data_a_2", "data_a_3", "data_a_4", "data_a_5", "data_a_6",
                 "data_a_7"})
    burst.push_back(n);
  EXPECT_EQ(run(burst), 8u);  // every data packet is forwarded
  auto records = drain();
  ASSERT_EQ(records.size(), 8u);
  int from_x = 0, from_y = 0;
  for (const auto& r : records) {
    from_x += same(r.outer_src, x);
    from_y += same(r.outer_src, y);
  }
  EXPECT_EQ(from_x, 5);  // the burst
  EXPECT_EQ(from_y, 3);
  EXPECT_EQ(counters_.punt_policed_peer.get(), 15u);
  EXPECT_EQ(counters_.punt_policed_global.get(), 0u);
  EXPECT_EQ(punted(PuntKind::ike), 23u);
  EXPECT_TRUE(same(counters_.last_policed_peer.load(), x));

  // Half a second at 10/s: five more tokens.
  advance_us(500'000);
  EXPECT_EQ(run(std::vector<std::string_view>(10, "ike500_x")), 0u);
  EXPECT_EQ(drain().size(), 5u);
  EXPECT_EQ(counters_.punt_policed_peer.get(), 20u);
}

TEST_F(PuntTest, GlobalPolicerBoundsAllPeers) {
  limits(1000, 1000, 2, 4);
  EXPECT_EQ(run({"ike500_x", "ike500_y", "ike500_z", "ike500_x", "ike500_y", "ike500_z", "ike500_x",
                 "data_a_0", "ike500_y", "ike500_z", "ike500_x"}),
            1u);
  EXPECT_EQ(drain().size(), 4u);
  EXPECT_EQ(counters_.punt_policed_global.get(), 6u);
  EXPECT_EQ(counters_.punt_policed_peer.get(), 0u);
  advance_us(1'000'000);  // two tokens
  EXPECT_EQ(run({"ike500_x", "ike500_y", "ike500_z"}), 0u);
  EXPECT_EQ(drain().size(), 2u);
  EXPECT_EQ(counters_.punt_policed_global.get(), 7u);
}

TEST_F(PuntTest, SecuritySamplesAreRateLimitedPerWorker) {
  EXPECT_EQ(run(std::vector<std::string_view>(15, "forged_a")), 0u);
  EXPECT_EQ(dropped(DropReason::auth_failed), 15u);
  auto records = drain();
  ASSERT_EQ(records.size(), 10u);  // burst of kSecuritySamplesPerSecond
  EXPECT_EQ(counters_.security_samples.get(), 10u);
  const shm::PacketRecord& r = records[0];
  EXPECT_EQ(r.kind, shm::PacketKind::kSecuritySample);
  EXPECT_EQ(r.drop_reason, reason_index(DropReason::auth_failed));
  EXPECT_EQ(r.layer, shm::Layer::kEthernet);
  EXPECT_EQ(r.spi, 0x1001u);
  EXPECT_EQ(r.sa_index, sa_index(0x1001));
  EXPECT_TRUE(same(r.outer_src, addr("192.0.2.1")));
  // Only the headers up to the IV: decryption ran in place, and what it made
  // of a forgery is keystream XOR the attacker's bytes, never exported.
  const Vector& forged = vec("forged_a");
  constexpr size_t kUpToIv = 14 + 20 + 16;
  EXPECT_EQ(data_of(r), std::vector<uint8_t>(forged.in, forged.in + kUpToIv));
  EXPECT_EQ(r.original_length, forged.in_len);

  advance_us(100'000);  // one token at 10/s
  EXPECT_EQ(run({"forged_a", "forged_a"}), 0u);
  EXPECT_EQ(drain().size(), 1u);

  // Each sampled reason, with what is known at its stage.
  advance_us(1'000'000);
  EXPECT_EQ(run({"unknown_spi", "spoof_a", "data_a_0", "data_a_0"}), 1u);
  records = drain();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].drop_reason, reason_index(DropReason::unknown_spi));
  EXPECT_EQ(records[0].sa_index, shm::kNone);
  EXPECT_EQ(records[0].spi, 0x9999u);  // read from the packet
  EXPECT_EQ(records[0].layer, shm::Layer::kEthernet);
  // The replayed copy of data_a_0.
  EXPECT_EQ(records[1].drop_reason, reason_index(DropReason::replay));
  EXPECT_EQ(records[1].layer, shm::Layer::kEthernet);
  // Spoofing: after decryption, the inner packet, cut at 256 bytes.
  const shm::PacketRecord& spoof = records[2];
  EXPECT_EQ(spoof.drop_reason, reason_index(DropReason::spoofed_source));
  EXPECT_EQ(spoof.layer, shm::Layer::kIp);
  EXPECT_EQ(spoof.session_index, session_index(7, 9));
  EXPECT_EQ(spoof.session.tunnel_id, 7);
  EXPECT_EQ(spoof.session.session_id, 9);
  EXPECT_EQ(spoof.sa_index, sa_index(0x1001));
  EXPECT_TRUE(same(spoof.outer_src, addr("192.0.2.1")));
  EXPECT_TRUE(same(spoof.outer_dst, addr("198.51.100.1")));
  const auto inner = expected_of("spoof_a");
  ASSERT_GT(inner.size(), kSecuritySampleBytes);
  EXPECT_EQ(spoof.length, kSecuritySampleBytes);
  EXPECT_EQ(spoof.original_length, inner.size());
  EXPECT_EQ(data_of(spoof), std::vector<uint8_t>(inner.begin(), inner.begin() + 256));
  // Drops of other reasons are never sampled.
  EXPECT_EQ(run({"ttl1_a", "not_for_us"}), 0u);
  EXPECT_TRUE(drain().empty());
}

TEST_F(PuntTest, ACaptureOfAForgeryStopsBeforeTheCiphertext) {
  state_->drop_capture.arm(reason_index(DropReason::auth_failed), shm::kNone, 1);
  EXPECT_EQ(run({"forged_a"}), 0u);
  const auto records = drain();
  ASSERT_EQ(records.size(), 2u);  // the capture and the security sample
  const Vector& forged = vec("forged_a");
  for (const auto& r : records) {
    EXPECT_EQ(r.length, 14 + 20 + 16);
    EXPECT_EQ(data_of(r), std::vector<uint8_t>(forged.in, forged.in + r.length));
  }
}

TEST_F(PuntTest, DropCaptureTakesExactlyNThenStops) {
  state_->drop_capture.arm(DropCapture::kAnyReason, shm::kNone, 3);
  EXPECT_EQ(run(std::vector<std::string_view>(5, "not_for_us")), 0u);
  const auto records = drain();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(counters_.captured_drops.get(), 3u);
  EXPECT_EQ(state_->drop_capture.armed.load(), 0u);
  const Vector& v = vec("not_for_us");
  for (const auto& r : records) {
    EXPECT_EQ(r.kind, shm::PacketKind::kDropCapture);
    EXPECT_EQ(r.drop_reason, reason_index(DropReason::not_for_us));
    EXPECT_EQ(r.layer, shm::Layer::kEthernet);
    EXPECT_EQ(data_of(r), std::vector<uint8_t>(v.in, v.in + v.in_len));
  }
  EXPECT_EQ(run({"not_for_us"}), 0u);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(dropped(DropReason::not_for_us), 6u);
}

TEST_F(PuntTest, DropCaptureFiltersByReasonAndRecordsTheLayer) {
  state_->drop_capture.arm(reason_index(DropReason::ttl_expired), shm::kNone, 10);
  EXPECT_EQ(run({"not_for_us", "ttl1_a", "unknown_session_a", "ttl1_n"}), 0u);
  auto records = drain();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].session_index, session_index(7, 9));
  EXPECT_EQ(records[1].session_index, session_index(8, 1));
  for (const auto& r : records) {
    EXPECT_EQ(r.drop_reason, reason_index(DropReason::ttl_expired));
    EXPECT_EQ(r.layer, shm::Layer::kIp);  // the inner packet, after L2TP/PPP
  }
  EXPECT_EQ(data_of(records[0]), expected_of("ttl1_a"));
  EXPECT_EQ(data_of(records[1]), expected_of("ttl1_n"));
  EXPECT_EQ(records[1].outer_src_port, 31337);
  EXPECT_EQ(state_->drop_capture.remaining.load(), 8);
  EXPECT_EQ(state_->drop_capture.armed.load(), 1u);

  // After decryption, before the L2TP lookup: the decrypted UDP datagram.
  state_->drop_capture.arm(reason_index(DropReason::unknown_session), shm::kNone, 1);
  EXPECT_EQ(run({"unknown_session_a2"}), 0u);
  records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, shm::PacketKind::kDropCapture);
  EXPECT_EQ(records[0].drop_reason, reason_index(DropReason::unknown_session));
  EXPECT_EQ(records[0].layer, shm::Layer::kUdp);
  EXPECT_EQ(data_of(records[0]), expected_of("unknown_session_a2"));
  EXPECT_EQ(records[0].sa_index, sa_index(0x1001));
}

TEST_F(PuntTest, DropCaptureFiltersBySession) {
  state_->drop_capture.arm(DropCapture::kAnyReason, session_index(8, 1), 10);
  EXPECT_EQ(run({"ttl1_a", "ttl1_n", "unknown_session_a", "not_for_us"}), 0u);
  const auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].session_index, session_index(8, 1));
  EXPECT_EQ(data_of(records[0]), expected_of("ttl1_n"));
}

TEST_F(PuntTest, DropCaptureOfDownstreamPacketsRecordsTheirLayer) {
  state_->drop_capture.arm(DropCapture::kAnyReason, shm::kNone, 10);
  // Before the session lookup: the frame as received on the core port.
  EXPECT_EQ(run({"core_no_route"}, kCore), 0u);
  auto records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].drop_reason, reason_index(DropReason::no_route));
  EXPECT_EQ(records[0].layer, shm::Layer::kEthernet);
  EXPECT_EQ(records[0].port, kCore);
  EXPECT_EQ(records[0].session_index, shm::kNone);
  EXPECT_TRUE(same(records[0].outer_src, addr("203.0.113.50")));
  const Vector& v = vec("core_no_route");
  EXPECT_EQ(data_of(records[0]), std::vector<uint8_t>(v.in, v.in + v.in_len));

  // After l2tp_encap, before ESP (sequence numbers exhausted): the UDP
  // datagram that ESP would carry.
  const uint32_t out_sa = state_->sessions[session_index(7, 9)].sa_out;
  state_->sas[out_sa].next_seq = uint64_t{UINT32_MAX} + 1;
  EXPECT_EQ(run({"core_to_a"}, kCore), 0u);
  EXPECT_EQ(dropped(DropReason::seq_exhausted), 1u);
  records = drain();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].layer, shm::Layer::kUdp);
  EXPECT_EQ(records[0].sa_index, out_sa);
  EXPECT_EQ(records[0].spi, 0x11001u);
  EXPECT_EQ(records[0].session_index, session_index(7, 9));
  EXPECT_EQ(data_of(records[0]), expected_of("core_to_a"));
}

TEST_F(PuntTest, CaptureAndSampleOfOneDropAreTwoRecords) {
  state_->drop_capture.arm(DropCapture::kAnyReason, shm::kNone, 1);
  EXPECT_EQ(run({"forged_a"}), 0u);
  const auto records = drain();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, shm::PacketKind::kDropCapture);
  EXPECT_EQ(records[1].kind, shm::PacketKind::kSecuritySample);
}

TEST_F(PuntTest, WithoutARingDropsAndPuntsAreOnlyCounted) {
  worker_->punt_ring = shm::RingView();
  state_->drop_capture.arm(DropCapture::kAnyReason, shm::kNone, 5);
  EXPECT_EQ(run({"lcp_a", "forged_a", "not_for_us"}), 0u);
  EXPECT_EQ(punted(PuntKind::ppp_control), 1u);
  EXPECT_EQ(dropped(DropReason::auth_failed), 1u);
  EXPECT_EQ(ring_.depth(), 0u);
  EXPECT_EQ(state_->drop_capture.remaining.load(), 5);
}

shm::PacketRecord inject_record(std::string_view name, uint16_t tunnel, uint16_t session) {
  shm::PacketRecord r{};
  r.kind = shm::PacketKind::kInjectPpp;
  r.session = shm::SessionKey{tunnel, session};
  const Vector& v = vec(name);
  r.length = static_cast<uint16_t>(v.in_len);
  std::memcpy(r.data, v.in, v.in_len);
  return r;
}

TEST_F(PuntTest, InjectedLcpEchoReplyLeavesAsTheScapyEspFrame) {
  struct Case {
    std::string_view name;
    uint16_t tunnel, session;
  };
  // Transport over IPv4; NAT-T tunnel mode over IPv6 (the largest headroom).
  for (const Case c : {Case{"inject_a", 7, 9}, Case{"inject_t", 9, 1}}) {
    SCOPED_TRACE(std::string(c.name));
    ASSERT_TRUE(inject_ppp(*state_, pool_, inject_record(c.name, c.tunnel, c.session)));
    // The owner worker's hand-off ring, then its downstream path.
    rte_mbuf* pkts[4];
    const unsigned n = rte_ring_sc_dequeue_burst(state_->handoff_down[0],
                                                 reinterpret_cast<void**>(pkts), 4, nullptr);
    ASSERT_EQ(n, 1u);
    downstream_owned(*worker_, pkts, static_cast<uint16_t>(n));
    auto tx = worker_->take_tx(kAccess);
    ASSERT_EQ(tx.size(), 1u) << "drops: " << dropped(DropReason::no_buffer_space);
    EXPECT_EQ(bytes_of(tx[0]), expected_of(c.name));
    for (rte_mbuf* m : tx) rte_pktmbuf_free(m);
    const SessionState& s = state_->sessions[session_index(c.tunnel, c.session)];
    EXPECT_EQ(s.down_packets.get(), 1u);
  }
}

TEST_F(PuntTest, L2tpEncapTakesANonIpPacketAtL3OffsetZero) {
  // The information alone (LCP code 10 first: not an IP version nibble), the
  // protocol only in the metadata.
  const Vector& v = vec("inject_a");
  rte_mbuf* m = make_packet(v.in + 2, v.in_len - 2, kNoPort);
  const uint32_t session = session_index(7, 9);
  MbufMeta& md = meta(m);
  md.session_index = session;
  md.sa_index = state_->sessions[session].sa_out;
  md.l3_offset = 0;
  md.ppp_protocol = 0xc021;
  md.origin = Origin::kInject;
  md.frame_pos = data_pos(m);
  // As core_input would: the generations the owner checks (sa_deleted).
  md.sa_generation = state_->sas[md.sa_index].generation.load();
  md.session_generation = state_->sessions[session].generation.load();
  downstream_owned(*worker_, &m, 1);
  auto tx = worker_->take_tx(kAccess);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(bytes_of(tx[0]), expected_of("inject_a"));
  for (rte_mbuf* t : tx) rte_pktmbuf_free(t);
}

TEST_F(PuntTest, InjectRejectsInvalidRecordsAndKeepsNothing) {
  auto good = inject_record("inject_a", 7, 9);
  auto r = good;
  r.kind = shm::PacketKind::kPunt;
  EXPECT_FALSE(inject_ppp(*state_, pool_, r));
  for (unsigned length : {0u, 1u, shm::kPacketBytes + 1}) {
    r = good;
    r.length = static_cast<uint16_t>(length);
    EXPECT_FALSE(inject_ppp(*state_, pool_, r)) << length;
  }
  r = good;
  r.session = shm::SessionKey{7, 10};  // no such session
  EXPECT_FALSE(inject_ppp(*state_, pool_, r));
  for (uint16_t protocol : {0xc020, 0x0121, 0x0000}) {  // RFC 1661: odd low, even high octet
    r = good;
    r.data[0] = static_cast<uint8_t>(protocol >> 8);
    r.data[1] = static_cast<uint8_t>(protocol);
    EXPECT_FALSE(inject_ppp(*state_, pool_, r)) << protocol;
  }
  EXPECT_EQ(rte_ring_count(state_->handoff_down[0]), 0u);
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
  // An empty information field is valid (protocol only).
  r = good;
  r.length = 2;
  EXPECT_TRUE(inject_ppp(*state_, pool_, r));
  rte_mbuf* m;
  ASSERT_EQ(rte_ring_sc_dequeue(state_->handoff_down[0], reinterpret_cast<void**>(&m)), 0);
  downstream_owned(*worker_, &m, 1);
  auto tx = worker_->take_tx(kAccess);
  EXPECT_EQ(tx.size(), 1u);
  for (rte_mbuf* t : tx) rte_pktmbuf_free(t);
}

// ---------------------------------------------------------------------------
// Through poll_once, on ports made of rings (net_ring): created before any
// state, so their port ids are 0 and 1, as the fixture's configuration says.

class PuntPollTest : public PuntTest {
 protected:
  struct RingPort {
    rte_ring* rx;
    rte_ring* tx;
  };

  static void SetUpTestSuite() {
    PuntTest::SetUpTestSuite();
    if (ports_[0].rx != nullptr) return;
    for (uint16_t i = 0; i < 2; ++i) {
      const std::string n = std::to_string(i);
      ports_[i].rx = rte_ring_create(("pt_rx" + n).c_str(), 64, SOCKET_ID_ANY, 0);
      ports_[i].tx = rte_ring_create(("pt_tx" + n).c_str(), 64, SOCKET_ID_ANY, 0);
      const int id = rte_eth_from_rings(("pt_eth" + n).c_str(), &ports_[i].rx, 1, &ports_[i].tx, 1,
                                        SOCKET_ID_ANY);
      ASSERT_EQ(id, i);
      rte_eth_conf conf{};
      ASSERT_EQ(rte_eth_dev_configure(i, 1, 1, &conf), 0);
      ASSERT_EQ(rte_eth_rx_queue_setup(i, 0, 64, SOCKET_ID_ANY, nullptr, pool_), 0);
      ASSERT_EQ(rte_eth_tx_queue_setup(i, 0, 64, SOCKET_ID_ANY, nullptr), 0);
      ASSERT_EQ(rte_eth_dev_start(i), 0);
    }
  }

  void receive(uint16_t port, unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
      std::array<uint8_t, 60> frame{};  // zero destination MAC: not for us
      ASSERT_EQ(rte_ring_enqueue(ports_[port].rx, make_packet(frame, port)), 0);
    }
  }

  std::vector<std::vector<uint8_t>> transmitted(uint16_t port) {
    std::vector<std::vector<uint8_t>> frames;
    void* m;
    while (rte_ring_dequeue(ports_[port].tx, &m) == 0) {
      frames.push_back(bytes_of(static_cast<rte_mbuf*>(m)));
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    return frames;
  }

  static inline RingPort ports_[2] = {};
};

TEST_F(PuntPollTest, BurstSizesCountNonEmptyReceiveBursts) {
  poll_once(*worker_);  // nothing received: nothing counted
  receive(kAccess, 1);
  poll_once(*worker_);
  receive(kCore, 3);
  poll_once(*worker_);
  receive(kAccess, 40);  // the fixture's burst is 32: 32, then 8
  poll_once(*worker_);
  poll_once(*worker_);
  const auto& b = counters_.burst_sizes;
  const uint64_t expected[shm::kBurstBuckets] = {1, 1, 0, 1, 0, 1, 0, 0, 0};
  for (unsigned i = 0; i < shm::kBurstBuckets; ++i) EXPECT_EQ(b[i].get(), expected[i]) << i;
  uint64_t drops = 0;
  for (const auto& c : counters_.drops) drops += c.get();
  EXPECT_EQ(drops, 44u);  // every frame was received and dropped
}

TEST_F(PuntPollTest, InjectedFrameLeavesThroughThePollLoop) {
  ASSERT_TRUE(inject_ppp(*state_, pool_, inject_record("inject_a", 7, 9)));
  EXPECT_EQ(poll_once(*worker_), 1u);
  const auto frames = transmitted(kAccess);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], expected_of("inject_a"));
  EXPECT_TRUE(transmitted(kCore).empty());
}

// ---------------------------------------------------------------------------
// Pieces without the pipeline.

TEST(TokenBucketTest, RefillsAtTheRateUpToTheBurst) {
  const BucketParams p(4, 2, 1000);  // 4/s, burst 2, 1000 ticks per second
  TokenBucket b(p);
  EXPECT_TRUE(b.take(p, 10));
  EXPECT_TRUE(b.take(p, 10));
  EXPECT_FALSE(b.take(p, 10));
  EXPECT_FALSE(b.take(p, 259));  // 249 ticks: 0.996 token
  EXPECT_TRUE(b.take(p, 260));   // 250 ticks since 10: one token
  EXPECT_FALSE(b.take(p, 260));
  // A long idle time fills it to the burst, not beyond, and does not overflow.
  EXPECT_TRUE(b.take(p, UINT64_MAX / 2));
  EXPECT_TRUE(b.take(p, UINT64_MAX / 2));
  EXPECT_FALSE(b.take(p, UINT64_MAX / 2));
}

TEST(TokenBucketTest, ZeroRateAllowsOnlyTheBurst) {
  const BucketParams p(0, 1, 1000);
  TokenBucket b(p);
  EXPECT_TRUE(b.take(p, 1));
  EXPECT_FALSE(b.take(p, 1'000'000));
}

TEST(PublishedAddressTest, ReaderNeverSeesAMixOfTwoAddresses) {
  PublishedAddress published;
  shm::Address a{}, b{};
  a.family = shm::Family::kIpv6;
  std::memset(a.bytes, 0x11, 16);
  b.family = shm::Family::kIpv4;
  std::memset(b.bytes, 0x22, 16);
  published.store(a);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) published.store(i % 2 ? a : b);
  });
  int torn = 0;
  for (int i = 0; i < 200000; ++i) {
    const shm::Address got = published.load(1 << 30);
    if (std::memcmp(&got, &a, sizeof got) != 0 && std::memcmp(&got, &b, sizeof got) != 0) ++torn;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(torn, 0);
}

TEST(BurstBucketTest, BitWidthBoundaries) {
  EXPECT_EQ(burst_bucket(1), 0u);
  EXPECT_EQ(burst_bucket(2), 1u);
  EXPECT_EQ(burst_bucket(3), 1u);
  EXPECT_EQ(burst_bucket(4), 2u);
  EXPECT_EQ(burst_bucket(32), 5u);
  EXPECT_EQ(burst_bucket(63), 5u);
  EXPECT_EQ(burst_bucket(64), 6u);
  EXPECT_EQ(burst_bucket(255), 7u);
  EXPECT_EQ(burst_bucket(256), 8u);
}

}  // namespace
}  // namespace softwire::dp::testing
