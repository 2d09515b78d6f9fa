// DataplaneLink + Controller against FakeDataplane: a full command ring,
// reconcile after a cp restart, replay after a dp restart, stale replies,
// make-before-break rekey timing and SIGHUP diffs.
#include "control/controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "shm/records.h"
#include "tests/control/fake_dataplane.h"
#include "tests/control/test_support.h"

namespace softwire::cp {
namespace {

using config::Direction;
using shm::MessageType;
using testing::FakeDataplane;
using testing::make_sa;
using testing::make_session;
using testing::unique_instance;

// A control plane (link + controller) with a clock the test moves.
class ControlPlane {
 public:
  explicit ControlPlane(const std::string& instance) {
    DataplaneLink::Options lo;
    lo.instance = instance;
    lo.now_ns = [this] { return now_; };
    lo.attach_retry_ns = 0;
    lo.liveness_period_ns = 0;
    lo.heartbeat_timeout_ns = 200'000'000;
    lo.log = &log;
    link = std::make_unique<DataplaneLink>(metrics, lo);
    Controller::Options co;
    co.rekey_grace_seconds = 5;
    co.now_ns = [this] { return now_; };
    co.log = &log;
    controller = std::make_unique<Controller>(metrics, *link, co);
  }
  // Polls until `done` (or fails the test after 30 s of real time: generous,
  // for a sanitizer build on a loaded machine; the conditions take milliseconds).
  template <typename F>
  bool pump(F done) {
    const uint64_t deadline = shm::monotonic_ns() + 30'000'000'000ull;
    while (shm::monotonic_ns() < deadline) {
      link->poll();
      controller->tick();
      if (done()) return true;
      sched_yield();
    }
    return false;
  }
  bool sync() {
    return pump([&] { return controller->synced(); });
  }
  void advance(double seconds) { now_ += static_cast<uint64_t>(seconds * 1e9); }

  CpMetrics metrics;
  std::ostringstream log;
  std::unique_ptr<DataplaneLink> link;
  std::unique_ptr<Controller> controller;

 private:
  uint64_t now_ = 1'000'000'000;
};

config::Config base_config(int sessions) {
  config::Config c;
  c.sas.push_back(make_sa(0x100, Direction::kIn));
  c.sas.push_back(make_sa(0x100, Direction::kOut));
  for (int i = 0; i < sessions; ++i)
    c.sessions.push_back(make_session("si-" + std::to_string(i), 0x100, 0x100, 1,
                                      static_cast<uint16_t>(i + 1),
                                      {"10." + std::to_string(i) + ".0.0/16"}));
  return c;
}

Done expect_ok() {
  return [](const OpResult& r) { EXPECT_EQ(r.code, 0) << r.message; };
}

size_t count(const std::vector<MessageType>& types, MessageType t) {
  return static_cast<size_t>(std::count(types.begin(), types.end(), t));
}

TEST(Controller, FullCommandRingLosesNothing) {
  FakeDataplane dp(unique_instance("full"));
  dp.start();
  ControlPlane cp(dp.instance());
  ASSERT_TRUE(cp.sync());
  dp.set_paused(true);
  constexpr uint32_t kSas = shm::kCommandRingRecords + 1000;
  size_t done = 0;
  for (uint32_t i = 0; i < kSas; ++i)
    cp.controller->add_sa(make_sa(0x1000 + i, Direction::kIn), [&](const OpResult& r) {
      EXPECT_EQ(r.code, 0) << r.message;
      ++done;
    });
  cp.link->poll();
  EXPECT_EQ(cp.link->pending(), 1000u);
  EXPECT_EQ(cp.metrics.commands_queued.load(), 1000u);
  dp.set_paused(false);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(done, kSas);
  EXPECT_EQ(dp.sas().size(), kSas);
  EXPECT_EQ(cp.metrics.commands_queued.load(), 0u);
  EXPECT_EQ(cp.metrics.latency_count.load(), cp.metrics.commands_sent.load());
}

TEST(Controller, ReconcilesWithARunningDataplane) {
  FakeDataplane dp(unique_instance("reconcile"));
  // What a previous control plane left: si-0 as wanted, si-1 with another
  // mtu, a stale session and SA, and si-2 missing.
  const config::Config config = base_config(3);
  dp.start();
  for (const auto& sa : config.sas) dp.preload(sa);
  dp.preload(config.sessions[0]);
  config::SessionConfig other_mtu = config.sessions[1];
  other_mtu.mtu = 1400;
  dp.preload(other_mtu);
  dp.preload(make_sa(0x900, Direction::kIn));
  dp.preload(make_session("gone", 0x900, 0x100, 7, 7, {"10.200.0.0/16"}));

  ControlPlane cp(dp.instance());
  cp.controller->load_static(config);
  ASSERT_TRUE(cp.sync());
  const auto executed = dp.executed();
  EXPECT_EQ(executed, (std::vector<MessageType>{MessageType::kDump, MessageType::kSessionDelete,
                                                MessageType::kSessionModify,
                                                MessageType::kSessionAdd, MessageType::kSaDelete}));
  const auto sessions = dp.sessions();
  ASSERT_EQ(sessions.size(), 3u);
  for (const auto& [key, s] : sessions) EXPECT_EQ(s.record.mtu, 1500);
  EXPECT_EQ(dp.sas().size(), 2u);
  EXPECT_EQ(cp.metrics.reconciles.load(), 1u);
  EXPECT_EQ(cp.metrics.sessions[static_cast<size_t>(SessionStateCode::kActive)].load(), 3u);

  // A second control plane (the first one "restarted") finds nothing to do.
  dp.clear_executed();
  cp.controller.reset();  // the first control plane goes (the controller refers to its link)
  cp.link.reset();
  ControlPlane again(dp.instance());
  again.controller->load_static(config);
  ASSERT_TRUE(again.sync());
  EXPECT_EQ(dp.executed(), (std::vector<MessageType>{MessageType::kDump}));
}

TEST(Controller, AdoptsDynamicObjectsAfterACpRestart) {
  FakeDataplane dp(unique_instance("adopt"));
  dp.start();
  const config::Config config = base_config(1);
  for (const auto& sa : config.sas) dp.preload(sa);
  dp.preload(config.sessions[0]);
  // What softwire-ctl added before the cp died: kept and adopted. One
  // session was in the middle of a rekey; another now conflicts with a
  // static session's prefix and goes.
  dp.preload(make_sa(0x700, Direction::kIn, 7), shm::Origin::kDynamic);
  dp.preload(make_sa(0x701, Direction::kIn, 7), shm::Origin::kDynamic);
  dp.preload(make_sa(0x700, Direction::kOut, 7), shm::Origin::kDynamic);
  dp.preload(make_session("dyn", 0x701, 0x700, 4, 4, {"10.70.0.0/16"}), shm::Origin::kDynamic,
             0x700);
  dp.preload(make_session("clash", 0x700, 0x700, 4, 5, {"10.0.1.0/24"}), shm::Origin::kDynamic);

  ControlPlane cp(dp.instance());
  cp.controller->load_static(config);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.executed(),
            (std::vector<MessageType>{MessageType::kDump, MessageType::kSessionDelete}));
  const SessionEntry* dyn = cp.controller->state().find_session("dyn");
  ASSERT_NE(dyn, nullptr);
  EXPECT_EQ(dyn->origin, shm::Origin::kDynamic);
  EXPECT_EQ(dyn->sa_in_old, 0x700u);
  EXPECT_EQ(cp.controller->state().find_session("clash"), nullptr);
  ASSERT_NE(cp.controller->state().find_sa({0x701, shm::Direction::kIn}), nullptr);
  EXPECT_EQ(cp.controller->state().find_sa({0x701, shm::Direction::kIn})->config.key.bytes()[0], 7);
  // The interrupted rekey completes after the grace time: the old inbound
  // SA goes once nothing references it.
  dp.clear_executed();
  cp.advance(5);
  cp.controller->tick();
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.executed(),
            (std::vector<MessageType>{MessageType::kSessionModify, MessageType::kSaDelete}));
  EXPECT_EQ(dp.sas().count({0x700, shm::Direction::kIn}), 0u);
  EXPECT_EQ(dp.sas().count({0x700, shm::Direction::kOut}), 1u);
}

TEST(Controller, ReplayResumesSequenceNumbers) {
  FakeDataplane dp(unique_instance("seq"));
  dp.start();
  ControlPlane cp(dp.instance());
  cp.controller->load_static(base_config(1));
  ASSERT_TRUE(cp.sync());
  // A data-plane snapshot at its uptime `dp_seconds`, read by the cp.
  const auto publish = [&](double dp_seconds, uint64_t in_seq, uint64_t out_seq) {
    const shm::Segment& segment = dp.segment();
    shm::begin_stats_update(segment);
    ++segment.header().stats.snapshots;
    segment.header().stats.uptime_ns = static_cast<uint64_t>(dp_seconds * 1e9);
    segment.sa_stats()[0] =
        shm::SaStats{shm::SaStateCode::kActive, shm::Direction::kIn, {}, 0x100, 0, 0, 0, 0, in_seq};
    segment.sa_stats()[1] = shm::SaStats{
        shm::SaStateCode::kActive, shm::Direction::kOut, {}, 0x100, 0, 0, 0, 0, out_seq};
    shm::end_stats_update(segment);
  };
  const auto observe = [&] {
    shm::StatsSnapshot snapshot;
    ASSERT_TRUE(shm::read_stats(dp.segment(), snapshot));
    cp.controller->observe_stats(snapshot);
  };
  publish(1, 400, 1000);
  observe();
  cp.advance(1);
  publish(2, 500, 2000);  // 1000 packets/s outbound
  observe();
  // Read again 0.1 s later: the same snapshot, not an SA that stopped.
  cp.advance(0.1);
  observe();
  // A slower second: the margin keeps the peak rate.
  cp.advance(0.9);
  publish(3, 550, 2500);
  observe();
  dp.restart();
  ASSERT_TRUE(cp.pump([&] { return cp.controller->synced() && cp.metrics.replays.load() == 1; }));
  const auto sas = dp.sas();
  EXPECT_EQ(sas.at({0x100, shm::Direction::kIn}).initial_seq, 550u);
  // 2500 + peak 1000/s * (0 s since the snapshot + 1 s) * 2 + 1024.
  EXPECT_EQ(sas.at({0x100, shm::Direction::kOut}).initial_seq, 2500u + 2000u + 1024u);
}

TEST(Controller, NewGenerationGetsEverythingReplayed) {
  FakeDataplane dp(unique_instance("replay"));
  dp.start();
  ControlPlane cp(dp.instance());
  cp.controller->load_static(base_config(2));
  ASSERT_TRUE(cp.sync());
  cp.controller->add_sa(make_sa(0x200, Direction::kIn), expect_ok());
  cp.controller->add_sa(make_sa(0x200, Direction::kOut), expect_ok());
  cp.controller->add_session(make_session("dyn", 0x200, 0x200, 2, 1, {"10.99.0.0/16"}),
                             expect_ok());
  ASSERT_TRUE(cp.sync());
  const uint64_t first = dp.generation();

  dp.clear_executed();
  dp.restart();
  ASSERT_NE(dp.generation(), first);
  ASSERT_TRUE(cp.pump([&] { return cp.controller->synced() && cp.link->generation() != first; }));
  EXPECT_EQ(cp.metrics.replays.load(), 1u);
  EXPECT_EQ(dp.sas().size(), 4u);
  EXPECT_EQ(dp.sessions().size(), 3u);
  // A replay is no dump: the new data plane starts empty.
  EXPECT_EQ(count(dp.executed(), MessageType::kDump), 0u);
  EXPECT_EQ(cp.metrics.dp_generation.load(), dp.generation());
}

TEST(Controller, StalledDataplaneThenReplacedIsReplayed) {
  FakeDataplane dp(unique_instance("kill"));
  dp.start();
  ControlPlane cp(dp.instance());
  cp.controller->load_static(base_config(1));
  ASSERT_TRUE(cp.sync());
  dp.stop(false);  // the segment stays, the heartbeat stops; the process (this one) lives
  ASSERT_TRUE(cp.pump([&] { return cp.link->unresponsive(); }));
  EXPECT_TRUE(cp.link->connected());  // a live process that does not beat: keep waiting
  EXPECT_NE(cp.log.str().find("does not beat"), std::string::npos);
  // Operations meanwhile change the desired state and are replayed later.
  // A new data plane replaces the segment: detach, attach, replay. An
  // operation meanwhile is replayed too.
  bool added = false;
  cp.controller->add_sa(make_sa(0x300, Direction::kIn), [&](const OpResult& r) {
    EXPECT_EQ(r.code, 0);
    added = true;
  });
  dp.start();
  ASSERT_TRUE(cp.pump([&] { return cp.controller->synced() && cp.metrics.replays.load() == 1; }));
  EXPECT_TRUE(added);
  // The new data plane beats: responsive again. (Waited for, not sampled once:
  // the heartbeat timeout is 200 ms of real time, which a loaded machine can
  // keep the fake data plane's thread from running.)
  EXPECT_TRUE(cp.pump([&] { return !cp.link->unresponsive(); }));
  EXPECT_EQ(dp.sas().size(), 3u);
  EXPECT_EQ(dp.sessions().size(), 1u);
}

TEST(Controller, StaleRepliesAreDiscarded) {
  FakeDataplane dp(unique_instance("stale"));
  dp.start();
  dp.set_paused(true);
  // A previous control plane's unread replies.
  shm::Message old{};
  old.type = MessageType::kReply;
  old.generation = dp.generation();
  for (int i = 0; i < 10; ++i) {
    old.request_id = 1000 + i;
    ASSERT_TRUE(dp.segment().replies().push(&old, sizeof old));
  }
  ControlPlane cp(dp.instance());
  ASSERT_TRUE(cp.pump([&] { return cp.link->connected(); }));
  EXPECT_EQ(dp.segment().replies().depth(), 0u);
  // One that arrives later, unknown to this control plane, and one of an
  // older generation: both ignored; the dump's reply still gets through.
  old.request_id = 77;
  dp.segment().replies().push(&old, sizeof old);
  old.generation = dp.generation() ^ 1;
  dp.segment().replies().push(&old, sizeof old);
  dp.set_paused(false);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(cp.link->stale_replies(), 2u);
  EXPECT_EQ(cp.metrics.reconciles.load(), 1u);
}

TEST(Controller, RekeyIsMakeBeforeBreakWithGrace) {
  FakeDataplane dp(unique_instance("rekey"));
  dp.start();
  ControlPlane cp(dp.instance());
  cp.controller->load_static(base_config(1));
  ASSERT_TRUE(cp.sync());
  cp.controller->add_sa(make_sa(0x101, Direction::kIn, 2), expect_ok());
  cp.controller->add_sa(make_sa(0x101, Direction::kOut, 2), expect_ok());
  ASSERT_TRUE(cp.sync());
  dp.clear_executed();

  cp.controller->rekey("si-0", 0x101, 0x101, std::nullopt, expect_ok());
  ASSERT_TRUE(cp.sync());
  auto s = dp.sessions().begin()->second.record;
  EXPECT_EQ(s.sa_in_spi, 0x101u);
  EXPECT_EQ(s.sa_in_old_spi, 0x100u);  // both inbound SAs accepted
  EXPECT_EQ(s.sa_out_spi, 0x101u);     // outbound switched at once
  cp.advance(4.9);
  cp.controller->tick();
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.sessions().begin()->second.record.sa_in_old_spi, 0x100u);
  EXPECT_EQ(cp.controller->rekeys_in_progress(), 1u);
  cp.advance(0.1);
  cp.controller->tick();
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.sessions().begin()->second.record.sa_in_old_spi, shm::kNone);
  // The old SAs go, although the configuration lists them: the rekey replaced them.
  EXPECT_EQ(dp.sas().count({0x100, shm::Direction::kIn}), 0u);
  EXPECT_EQ(dp.sas().count({0x100, shm::Direction::kOut}), 0u);
  EXPECT_EQ(dp.sas().count({0x101, shm::Direction::kIn}), 1u);
  EXPECT_EQ(dp.executed(),
            (std::vector<MessageType>{MessageType::kSessionModify, MessageType::kSessionModify,
                                      MessageType::kSaDelete, MessageType::kSaDelete}));
  EXPECT_EQ(cp.controller->state().find_sa({0x100, shm::Direction::kIn}), nullptr);

  // An old SA that another session still uses stays.
  cp.controller->add_session(make_session("si-1", 0x101, 0x101, 1, 2, {"10.99.0.0/16"}),
                             expect_ok());
  cp.controller->add_sa(make_sa(0x102, Direction::kIn, 3), expect_ok());
  cp.controller->add_sa(make_sa(0x102, Direction::kOut, 3), expect_ok());
  cp.controller->rekey("si-0", 0x102, 0x102, 1.0, expect_ok());
  cp.advance(1);
  cp.controller->tick();
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.sas().count({0x101, shm::Direction::kIn}), 1u);
  EXPECT_EQ(dp.sas().count({0x101, shm::Direction::kOut}), 1u);

  // Refusals name the argument.
  cp.controller->rekey("si-0", 0x555, 0x102, std::nullopt, [](const OpResult& r) {
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.message, "sa_in: no inbound SA 0x00000555 (add it first)");
  });
  cp.controller->rekey("nobody", 0x102, 0x102, std::nullopt, [](const OpResult& r) {
    EXPECT_EQ(r.message, "identity: no session \"nobody\"");
  });
}

TEST(Controller, ReloadTouchesOnlyWhatChanged) {
  FakeDataplane dp(unique_instance("reload"));
  dp.start();
  ControlPlane cp(dp.instance());
  config::Config config = base_config(50);
  cp.controller->load_static(config);
  ASSERT_TRUE(cp.sync());
  dp.clear_executed();

  // Unchanged configuration: not a single command.
  auto result = cp.controller->reload(config);
  EXPECT_EQ(result.commands, 0u);
  ASSERT_TRUE(cp.sync());
  EXPECT_TRUE(dp.executed().empty());

  // One mtu, one prefix, one removed, one new session; 47 untouched.
  config.sessions[3].mtu = 1400;
  config.sessions[4].prefixes.push_back(*config::parse_ip_prefix("10.250.0.0/16").value);
  config.sessions.erase(config.sessions.begin() + 5);
  config.sessions.push_back(make_session("new", 0x100, 0x100, 9, 9, {"10.251.0.0/16"}));
  result = cp.controller->reload(config);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.executed(),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSessionModify,
                                      MessageType::kBindPrefixes, MessageType::kSessionAdd}));
  EXPECT_EQ(dp.sessions().size(), 50u);
  EXPECT_EQ(cp.metrics.config_reloads.load(), 2u);
}

TEST(Controller, ReloadRekeysStaticSessionsMakeBeforeBreak) {
  FakeDataplane dp(unique_instance("reload-rekey"));
  dp.start();
  ControlPlane cp(dp.instance());
  config::Config config = base_config(2);
  cp.controller->load_static(config);
  // A dynamic session survives a reload.
  ASSERT_TRUE(cp.sync());
  cp.controller->add_session(make_session("dyn", 0x100, 0x100, 5, 5, {"10.77.0.0/16"}),
                             expect_ok());
  ASSERT_TRUE(cp.sync());
  dp.clear_executed();

  // si-0 moves to new SAs 0x200; the 0x100 SAs stay in the file (si-1 and
  // dyn use them).
  config.sas.push_back(make_sa(0x200, Direction::kIn, 9));
  config.sas.push_back(make_sa(0x200, Direction::kOut, 9));
  config.sessions[0].sa_in = 0x200;
  config.sessions[0].sa_out = 0x200;
  auto result = cp.controller->reload(config);
  EXPECT_EQ(result.rekeys, 1u);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.executed(), (std::vector<MessageType>{MessageType::kSaAdd, MessageType::kSaAdd,
                                                     MessageType::kSessionModify}));
  const auto* s = cp.controller->state().find_session("si-0");
  EXPECT_EQ(s->sa_in_old, 0x100u);
  EXPECT_NE(cp.controller->state().find_session("dyn"), nullptr);
  dp.clear_executed();
  cp.advance(5);
  cp.controller->tick();
  ASSERT_TRUE(cp.sync());
  // si-1 and dyn still use the old SAs: only the old inbound SA is released.
  EXPECT_EQ(dp.executed(), (std::vector<MessageType>{MessageType::kSessionModify}));
  for (const auto& [key, session] : dp.sessions()) {
    if (key == key_of({1, 1})) {
      EXPECT_EQ(session.record.sa_in_old_spi, shm::kNone);
    }
  }
}

TEST(Controller, ReloadOfAnSaInUseRecreatesItsSessions) {
  // An SA cannot change in place: a reload that gives an SPI a new key
  // re-creates the sessions that use it around the new SA.
  FakeDataplane dp(unique_instance("reload-sa"));
  dp.start();
  ControlPlane cp(dp.instance());
  config::Config config = base_config(1);
  cp.controller->load_static(config);
  ASSERT_TRUE(cp.sync());
  dp.clear_executed();
  config.sas[0] = make_sa(0x100, Direction::kIn, 42);  // same SPI, new key
  cp.controller->reload(config);
  ASSERT_TRUE(cp.sync());
  EXPECT_EQ(dp.executed(),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSaDelete,
                                      MessageType::kSaAdd, MessageType::kSessionAdd}));
  EXPECT_EQ(dp.sessions().size(), 1u);
}

TEST(Controller, OperatorRefusalsAndDataplaneRefusals) {
  FakeDataplane dp(unique_instance("refuse"));
  dp.start();
  ControlPlane cp(dp.instance());
  cp.controller->load_static(base_config(1));
  ASSERT_TRUE(cp.sync());
  std::vector<OpResult> results;
  const auto collect = [&](const OpResult& r) { results.push_back(r); };
  cp.controller->delete_sa(0x100, std::nullopt, collect);
  cp.controller->delete_sa(0x100, shm::Direction::kIn, collect);
  cp.controller->delete_sa(0x999, std::nullopt, collect);
  cp.controller->add_sa(make_sa(0x100, Direction::kIn), collect);
  cp.controller->delete_session("nobody", collect);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].message,
            "spi: both an inbound and an outbound SA have SPI 0x00000100: say direction=in or "
            "direction=out");
  EXPECT_EQ(results[1].message, "spi: SA in 0x00000100 is in use by session \"si-0\"");
  EXPECT_EQ(results[2].message, "spi: no SA with SPI 0x00000999");
  EXPECT_EQ(results[3].message, "spi: an inbound SA 0x00000100 exists");
  EXPECT_EQ(results[4].message, "identity: no session \"nobody\"");
  for (const auto& r : results) EXPECT_EQ(r.code, 1);

  // The data plane refuses an SA (here: it already has one the cp does not
  // know): the cp reports it and forgets the SA.
  dp.preload(make_sa(0x500, Direction::kIn));
  OpResult refused;
  bool done = false;
  cp.controller->add_sa(make_sa(0x500, Direction::kIn), [&](const OpResult& r) {
    refused = r;
    done = true;
  });
  ASSERT_TRUE(cp.pump([&] { return done; }));
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.message, "data plane refused: exists");
  EXPECT_EQ(cp.controller->state().find_sa({0x500, shm::Direction::kIn}), nullptr);
  EXPECT_EQ(cp.metrics.commands_failed.load(), 1u);

  // Delete works and is sent.
  done = false;
  cp.controller->delete_session("si-0", [&](const OpResult& r) {
    EXPECT_EQ(r.code, 0) << r.message;
    done = true;
  });
  ASSERT_TRUE(cp.pump([&] { return done; }));
  EXPECT_TRUE(dp.sessions().empty());
}

}  // namespace
}  // namespace softwire::cp
