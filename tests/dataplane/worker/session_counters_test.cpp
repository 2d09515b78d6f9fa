// A session's counters can have two writers at once: during a make-before-
// break rekey the owners of the old and the new SA (different workers) both
// count the session's upstream packets (core_output) and, for packets already
// handed to the old outbound SA, its downstream packets (esp_encrypt). Two
// worker contexts run those stages on two threads for the same session, with
// every packet a run of its own so that the counters are hit as often as
// possible; no increment may be lost.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "dataplane/stages/core_output.h"
#include "dataplane/stages/esp_encrypt.h"
#include "tests/dataplane/dp_fixture.h"

namespace softwire::dp::testing {
namespace {

// Two SA pairs and two sessions; the outbound SAs have slots 1 and 2, so
// different owners.
constexpr char kConfig[] = R"(
dataplane = { workers = [ 1, 2 ]; };
ports = (
  { name = "access"; role = "access"; device = "net_null0";
    mac = "02:00:00:00:00:02"; addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; },
  { name = "core"; role = "core"; device = "net_null1";
    mac = "02:00:00:00:01:02"; addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }
);
sas = (
  { spi = 0x1001; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x000102030405060708090a0b0c0d0e0faabbccdd"; },
  { spi = 0x2001; direction = "out"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x101112131415161718191a1b1c1d1e1faabbccdd"; },
  { spi = 0x2002; direction = "out"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x303132333435363738393a3b3c3d3e3faabbccdd"; },
  { spi = 0x1002; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x202122232425262728292a2b2c2d2e2faabbccdd"; } );
sessions = (
  { identity = "a@example.net"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 1; session_id = 1;
    peer_tunnel_id = 1; peer_session_id = 1; prefixes = [ "100.64.0.1/32" ]; },
  { identity = "b@example.net"; sa_in = 0x1002; sa_out = 0x2002; tunnel_id = 1; session_id = 2;
    peer_tunnel_id = 1; peer_session_id = 2; prefixes = [ "100.64.0.2/32" ]; } );
)";

constexpr uint16_t kBurst = 32;
constexpr int kBursts = 3000;
constexpr size_t kInnerBytes = 40;  // an IPv4 header
constexpr size_t kL2tpStack = 18;   // UDP + L2TP + PPP in front of it (esp_encrypt's payload)

class SessionCountersTest : public DataplaneTest {
 protected:
  void SetUp() override {
    make_state(kConfig, 2);
    a_ = state_->find_session(1, 1);
    b_ = state_->find_session(1, 2);
    ASSERT_NE(a_, kNoIndex);
    ASSERT_NE(b_, kNoIndex);
  }

  // Refills `pkts` with packets alternating between sessions a and b (each
  // packet a run of its own), `len` bytes each, and the given SA per session.
  void refill(std::array<rte_mbuf*, kBurst>& pkts, size_t len, uint32_t sa_a, uint32_t sa_b) {
    std::array<uint8_t, kL2tpStack + kInnerBytes> bytes{};
    bytes[0] = 0x45;
    for (uint16_t i = 0; i < kBurst; ++i) {
      rte_mbuf* m = pkts[i];
      rte_pktmbuf_reset(m);
      std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(len)), bytes.data(), len);
      meta(m) = MbufMeta{};
      meta(m).session_index = i % 2 == 0 ? a_ : b_;
      meta(m).sa_index = i % 2 == 0 ? sa_a : sa_b;
    }
  }

  // Runs `stage` on `workers` threads (one WorkerContext each) for kBursts
  // bursts; `prepare(worker, pkts)` refills the packets before each burst.
  template <typename Prepare, typename Stage>
  void run_on_two_workers(Prepare prepare, Stage stage) {
    std::array<WorkerCounters, 2> counters;
    std::vector<std::thread> threads;
    std::atomic<unsigned> ready{0};  // both threads start counting together
    for (unsigned w = 0; w < 2; ++w) {
      threads.emplace_back([&, w] {
        WorkerContext worker(w, *state_, counters[w], kBurst);
        std::array<rte_mbuf*, kBurst> pkts;
        ASSERT_EQ(rte_pktmbuf_alloc_bulk(pool_, pkts.data(), kBurst), 0);
        ready.fetch_add(1);
        while (ready.load() < 2) std::this_thread::yield();
        for (int i = 0; i < kBursts; ++i) {
          prepare(w, pkts);
          const uint16_t kept = stage(worker, pkts);
          ASSERT_EQ(kept, kBurst);
        }
        rte_pktmbuf_free_bulk(pkts.data(), kBurst);
      });
    }
    for (std::thread& t : threads) t.join();
    for (const WorkerCounters& c : counters)
      for (size_t r = 0; r < kDropReasonCount; ++r) EXPECT_EQ(c.drops[r].get(), 0u);
  }

  uint32_t a_ = kNoIndex, b_ = kNoIndex;
};

TEST_F(SessionCountersTest, UpstreamCountsOfTwoWorkersAddUp) {
  run_on_two_workers(
      [&](unsigned, std::array<rte_mbuf*, kBurst>& pkts) {
        refill(pkts, kInnerBytes, 0, 0);  // core_output needs no SA
      },
      [&](WorkerContext& worker, std::array<rte_mbuf*, kBurst>& pkts) {
        core_output(worker, pkts.data(), kBurst);
        // Take the frames back from the TX buffer before it would flush.
        const std::vector<rte_mbuf*> sent = worker.take_tx(state_->core_port());
        return static_cast<uint16_t>(sent.size());
      });
  constexpr uint64_t kPerSession = 2ull * kBursts * kBurst / 2;
  for (uint32_t s : {a_, b_}) {
    EXPECT_EQ(state_->sessions[s].up_packets.get(), kPerSession);
    EXPECT_EQ(state_->sessions[s].up_bytes.get(), kPerSession * kInnerBytes);
  }
}

TEST_F(SessionCountersTest, DownstreamCountsOfTwoWorkersAddUp) {
  // Worker w encrypts with the outbound SAs it owns: each session's packets
  // go through one SA per worker, as after a rekey when packets handed to the
  // old SA's owner are still being encrypted while the new one's owner runs.
  const uint32_t out1 = state_->find_sa(0x2001, shm::Direction::kOut);
  const uint32_t out2 = state_->find_sa(0x2002, shm::Direction::kOut);
  ASSERT_NE(state_->sas[out1].owner, state_->sas[out2].owner) << "the test needs two owners";
  run_on_two_workers(
      [&](unsigned w, std::array<rte_mbuf*, kBurst>& pkts) {
        const uint32_t sa = state_->sas[out1].owner == w ? out1 : out2;
        refill(pkts, kL2tpStack + kInnerBytes, sa, sa);
      },
      [&](WorkerContext& worker, std::array<rte_mbuf*, kBurst>& pkts) {
        return esp_encrypt(worker, pkts.data(), kBurst);
      });
  constexpr uint64_t kPerSession = 2ull * kBursts * kBurst / 2;
  for (uint32_t s : {a_, b_}) {
    EXPECT_EQ(state_->sessions[s].down_packets.get(), kPerSession);
    EXPECT_EQ(state_->sessions[s].down_bytes.get(), kPerSession * kInnerBytes);
  }
  for (uint32_t sa : {out1, out2})
    EXPECT_EQ(state_->sas[sa].packets.get(), static_cast<uint64_t>(kBursts) * kBurst);
}

// The primitive on its own, hit as hard as two threads can: a plain
// load/add/store (Counter) loses increments here as soon as the threads run
// at the same time.
TEST(SharedCounter, TwoThreadsLoseNoIncrement) {
  SharedCounter counter;
  constexpr uint64_t kAdds = 20'000'000;
  std::atomic<unsigned> ready{0};
  auto hammer = [&] {
    ready.fetch_add(1);
    while (ready.load() < 2) std::this_thread::yield();
    for (uint64_t i = 0; i < kAdds; ++i) counter.add(3);
  };
  std::thread first(hammer), second(hammer);
  first.join();
  second.join();
  EXPECT_EQ(counter.get(), 2 * kAdds * 3);
}

}  // namespace
}  // namespace softwire::dp::testing
