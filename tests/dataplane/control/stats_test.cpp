// Stats publication: a reader in another thread (as softwire-cp would read
// them, shm::read_stats) sees consistent, increasing snapshots while the
// publisher keeps writing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "dataplane/stats_publisher.h"
#include "tests/dataplane/control/control_fixture.h"

namespace softwire::dp::testing {
namespace {

TEST_F(ControlTest, StatsSnapshotsAreConsistentAndIncreasing) {
  StatsPublisher publisher(*segment_, *state_, std::span<const WorkerCounters>(&counters_, 1),
                           pool_);
  const uint32_t sa = state_->find_sa(4097, shm::Direction::kIn);
  const uint32_t session = state_->find_session(7, 9);
  // At least 3000 publications, and on until the reader has read 100
  // snapshots while the publisher kept writing: on a loaded machine the
  // reader thread may not even have been scheduled after 3000 (bounded in
  // time, so that a reader that never succeeds fails instead of hanging).
  constexpr uint64_t kMinRounds = 3000, kMinReads = 100;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);

  std::atomic<bool> done{false};
  // Written by the reader, read by the publisher.
  std::atomic<uint64_t> reads{0};
  std::atomic<bool> reader_stopped{false};  // it saw a torn or older snapshot
  uint64_t last = 0;
  std::string failure;
  std::thread reader([&] {
    shm::StatsSnapshot snap;
    while (!done.load() && failure.empty()) {
      if (!shm::read_stats(*segment_, snap)) continue;
      const uint64_t n = snap.header.snapshots;
      // The "worker" sets every counter below to the snapshot number before
      // each publication: a torn copy would mix two of them.
      const uint64_t values[] = {
          snap.header.worker_stats[0].polls,
          snap.header.worker_stats[0].drops[static_cast<size_t>(DropReason::replay)],
          snap.header.port_stats[1].rx_packets, snap.sas.at(sa).packets,
          snap.sessions.at(session).up_packets};
      for (const uint64_t v : values)
        if (n != 0 && v != n)
          failure = "torn snapshot " + std::to_string(n) + " vs " + std::to_string(v);
      if (n < last) failure = "snapshots went back from " + std::to_string(last);
      last = n;
      reads.fetch_add(1);
    }
    reader_stopped = true;
  });
  uint64_t rounds = 0;
  while ((rounds < kMinRounds || reads.load() < kMinReads) && !reader_stopped.load() &&
         (rounds % 1024 != 0 || std::chrono::steady_clock::now() < deadline)) {
    ++rounds;
    counters_.polls.add();
    counters_.drop(DropReason::replay);
    counters_.ports[1].rx_packets.add();
    state_->sas[sa].packets.add();
    state_->sessions[session].up_packets.add();
    publisher.publish(ControlTotals{.commands_done = rounds, .inject_dropped = 0});
  }
  done = true;
  reader.join();
  EXPECT_EQ(failure, "");
  EXPECT_GE(reads.load(), kMinReads);

  shm::StatsSnapshot snap;
  ASSERT_TRUE(shm::read_stats(*segment_, snap));
  const shm::StatsHeader& h = snap.header;
  EXPECT_EQ(h.snapshots, rounds);
  EXPECT_EQ(h.commands_done, rounds);
  EXPECT_EQ(h.workers, 1u);
  EXPECT_EQ(h.ports, 2u);
  EXPECT_EQ(std::string(h.port_names[0]), "access");
  EXPECT_EQ(h.port_roles[1], 1);
  ASSERT_EQ(h.drop_reason_count, kDropReasonCount);
  for (size_t i = 0; i < kDropReasonCount; ++i)
    EXPECT_EQ(std::string(h.drop_reason_names[i]), kDropReasons[i].name);
  EXPECT_EQ(std::string(h.drop_reason_names[kDropReasonCount - 1]), "sa_deleted");
  ASSERT_EQ(h.punt_kind_count, kPuntKindCount);
  EXPECT_EQ(std::string(h.punt_kind_names[0]), "l2tp_control");
  EXPECT_EQ(h.sas_in_use, config_.sas.size());
  EXPECT_EQ(h.sessions_in_use, config_.sessions.size());
  EXPECT_EQ(h.ipv4_prefixes, 5u);
  EXPECT_EQ(h.ipv6_prefixes, 2u);
  EXPECT_EQ(h.mempool_capacity, pool_->size);
  EXPECT_EQ(h.mempool_in_use, 0u);
  // Slots: live ones with their SPI/ids, the others free.
  size_t live_sas = 0, live_sessions = 0;
  for (uint32_t i = 0; i < snap.sas.size(); ++i) {
    if (snap.sas[i].state == shm::SaStateCode::kFree) continue;
    ++live_sas;
    EXPECT_EQ(snap.sas[i].spi, state_->sas[i].spi);
  }
  for (const auto& s : snap.sessions) live_sessions += s.in_use;
  EXPECT_EQ(live_sas, config_.sas.size());
  EXPECT_EQ(live_sessions, config_.sessions.size());
  EXPECT_EQ(snap.sessions[session].tunnel_id, 7);
  EXPECT_EQ(snap.sessions[session].session_id, 9);
  EXPECT_EQ(snap.sas[sa].state, shm::SaStateCode::kActive);
  EXPECT_EQ(snap.sas[sa].direction, shm::Direction::kIn);
}

}  // namespace
}  // namespace softwire::dp::testing
