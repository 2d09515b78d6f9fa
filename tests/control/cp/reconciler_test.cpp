// The reconciler: (desired, actual) -> ordered commands.
#include "control/reconciler.h"

#include <gtest/gtest.h>

#include "control/desired_state.h"
#include "shm/records.h"
#include "tests/control/test_support.h"

namespace softwire::cp {
namespace {

using config::Direction;
using shm::MessageType;
using testing::make_sa;
using testing::make_session;

// A desired state with SAs 0x100 in/out and sessions a, b on them.
struct Fixture {
  CpMetrics metrics;
  DesiredState state{&metrics};
  Fixture() {
    state.add_sa(make_sa(0x100, Direction::kIn), Origin::kStatic);
    state.add_sa(make_sa(0x100, Direction::kOut), Origin::kStatic);
    state.add_session(make_session("a", 0x100, 0x100, 1, 1, {"10.0.0.0/24"}), Origin::kStatic);
    state.add_session(make_session("b", 0x100, 0x100, 1, 2, {"10.0.1.0/24", "2001:db8::/64"}),
                      Origin::kStatic);
  }
};

// The dump the data plane would give for a state: no keys.
TableImage dump_of(const DesiredState& state) {
  TableImage image = state.image();
  for (auto& [id, sa] : image.sas) {
    explicit_bzero(sa.key, sizeof sa.key);
    sa.key_length = 0;
  }
  return image;
}

std::vector<MessageType> types(const std::vector<Command>& commands) {
  std::vector<MessageType> out;
  for (const auto& c : commands) out.push_back(c.type());
  return out;
}

TEST(Reconciler, EmptyActualReplaysSasBeforeSessions) {
  Fixture f;
  const auto commands = reconcile(f.state.image(), TableImage{});
  EXPECT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSaAdd, MessageType::kSaAdd,
                                      MessageType::kSessionAdd, MessageType::kSessionAdd}));
  // The SA add carries the key; the session add its prefixes.
  EXPECT_EQ(commands[0].message.body.sa.key_length, 16);
  EXPECT_EQ(commands[0].message.body.sa.key[0], 1);
  EXPECT_EQ(commands[3].message.body.session.prefix_count, 2);
  EXPECT_STREQ(commands[3].message.body.session.identity, "b");
}

TEST(Reconciler, EqualTablesNeedNoCommand) {
  Fixture f;
  EXPECT_TRUE(reconcile(f.state.image(), dump_of(f.state)).empty());
  EXPECT_TRUE(reconcile(f.state.image(), f.state.image()).empty());
}

TEST(Reconciler, StaleSessionDeletedBeforeItsSa) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  // The data plane also has session "old" on SA 0x200, which nobody wants.
  actual.sas[{0x200, shm::Direction::kIn}] =
      shm::to_record_without_key(make_sa(0x200, Direction::kIn));
  SessionImage old;
  old.record = shm::to_record(make_session("old", 0x200, 0x100, 9, 9, {}));
  actual.sessions["old"] = old;
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSaDelete}));
  EXPECT_EQ(commands[0].message.body.session_key.tunnel_id, 9);
  EXPECT_EQ(commands[1].message.body.sa_key.spi, 0x200u);
}

TEST(Reconciler, MissingSessionAndSaAdded) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  actual.sessions.erase("a");
  actual.sas.erase({0x100, shm::Direction::kOut});
  // b references the missing outbound SA in the data plane's view; it is kept
  // because the SA is added before anything that needs it.
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSaAdd, MessageType::kSessionAdd}));
  EXPECT_EQ(commands[0].message.body.sa.direction, shm::Direction::kOut);
  EXPECT_STREQ(commands[1].message.body.session.identity, "a");
}

TEST(Reconciler, DifferentSasModifyThenStaleSaDeleted) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  // Desired: a moves to outbound SA 0x300, mtu 1400; the dp still has the old.
  f.state.add_sa(make_sa(0x300, Direction::kOut), Origin::kDynamic);
  f.state.set_session_sas("a", 0x100, shm::kNone, 0x300);
  actual.sas[{0x400, shm::Direction::kOut}] =
      shm::to_record_without_key(make_sa(0x400, Direction::kOut));
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSaAdd, MessageType::kSessionModify,
                                      MessageType::kSaDelete}));
  EXPECT_EQ(commands[0].message.body.sa.spi, 0x300u);
  EXPECT_EQ(commands[1].message.body.session.sa_out_spi, 0x300u);
  EXPECT_EQ(commands[1].message.body.session.sa_in_old_spi, shm::kNone);
  EXPECT_EQ(commands[2].message.body.sa_key.spi, 0x400u);
}

TEST(Reconciler, MtuAndSaInOldDifferencesAreModifies) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  actual.sessions["a"].record.mtu = 1400;
  actual.sessions["b"].record.sa_in_old_spi = 0x100;
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSessionModify, MessageType::kSessionModify}));
  EXPECT_EQ(commands[0].message.body.session.mtu, 1500);
  EXPECT_EQ(commands[1].message.body.session.sa_in_old_spi, shm::kNone);
}

TEST(Reconciler, ChangedIdsAreDeleteThenAdd) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  actual.sessions["a"].record.session_id = 77;
  actual.sessions["b"].record.peer_port = 4000;
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSessionDelete,
                                      MessageType::kSessionAdd, MessageType::kSessionAdd}));
  EXPECT_EQ(commands[0].message.body.session_key.session_id, 77);
  EXPECT_EQ(commands[2].message.body.session.session_id, 1);
}

TEST(Reconciler, ReplacedSaWhileReferencedIsOrdered) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  // The dp's inbound SA 0x100 has another replay window than desired.
  actual.sas[{0x100, shm::Direction::kIn}].replay_window = 64;
  const auto commands = reconcile(f.state.image(), actual);
  // Sessions that reference it go first, then the SA is replaced, then they return.
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSessionDelete,
                                      MessageType::kSaDelete, MessageType::kSaAdd,
                                      MessageType::kSessionAdd, MessageType::kSessionAdd}));
  EXPECT_EQ(commands[3].message.body.sa.replay_window, 1024u);
}

TEST(Reconciler, KeysComparedOnlyWhenBothSidesHaveThem) {
  Fixture f;
  TableImage with_other_key = f.state.image();
  with_other_key.sas[{0x100, shm::Direction::kOut}].key[5] ^= 1;
  // Desired vs desired (SIGHUP): a new key replaces the SA.
  EXPECT_FALSE(reconcile(f.state.image(), with_other_key).empty());
  // Desired vs a dump (no keys): nothing to compare.
  EXPECT_TRUE(reconcile(f.state.image(), dump_of(f.state)).empty());
}

TEST(Reconciler, PrefixesMoveUnbindBeforeBind) {
  Fixture f;
  TableImage actual = dump_of(f.state);
  // In the dp, a has 10.0.1.0/24 that desired gives to b, and b lacks it.
  actual.sessions["a"].prefixes.push_back(*config::parse_ip_prefix("10.0.1.0/24").value);
  std::sort(actual.sessions["a"].prefixes.begin(), actual.sessions["a"].prefixes.end(),
            PrefixLess{});
  actual.sessions["b"].prefixes = {*config::parse_ip_prefix("2001:db8::/64").value};
  const auto commands = reconcile(f.state.image(), actual);
  ASSERT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kBindPrefixes, MessageType::kBindPrefixes}));
  EXPECT_EQ(commands[0].message.body.prefixes.unbind, 1);
  EXPECT_EQ(commands[0].message.body.prefixes.session.session_id, 1);
  EXPECT_EQ(commands[1].message.body.prefixes.unbind, 0);
  EXPECT_EQ(commands[1].message.body.prefixes.session.session_id, 2);
}

TEST(Reconciler, ManyPrefixesGoInBindCommands) {
  CpMetrics metrics;
  DesiredState state(&metrics);
  state.add_sa(make_sa(0x100, Direction::kIn), Origin::kStatic);
  state.add_sa(make_sa(0x100, Direction::kOut), Origin::kStatic);
  std::vector<std::string> prefixes;
  for (int i = 0; i < 20; ++i) prefixes.push_back("10.1." + std::to_string(i) + ".0/24");
  state.add_session(make_session("many", 0x100, 0x100, 1, 1, prefixes), Origin::kStatic);
  const auto commands = reconcile(state.image(), TableImage{});
  ASSERT_EQ(types(commands), (std::vector<MessageType>{
                                 MessageType::kSaAdd, MessageType::kSaAdd, MessageType::kSessionAdd,
                                 MessageType::kBindPrefixes, MessageType::kBindPrefixes}));
  EXPECT_EQ(commands[2].message.body.session.prefix_count, 8);
  EXPECT_EQ(commands[2].message.body.session.total_prefixes, 20u);
  EXPECT_EQ(commands[3].message.body.prefixes.count, 8);
  EXPECT_EQ(commands[4].message.body.prefixes.count, 4);
}

TEST(DumpCollector, AssemblesSessionsAndFlagsDuplicates) {
  DumpCollector c;
  shm::Message m{};
  m.type = shm::MessageType::kDumpSa;
  m.body.sa = shm::to_record(make_sa(0x100, Direction::kIn));  // the key is kept (adoption)
  c.add(m);
  m = {};
  m.type = shm::MessageType::kDumpSession;
  m.body.session = shm::to_record(make_session("x", 0x100, 0x100, 3, 4, {"10.0.0.0/24"}));
  c.add(m);
  m.body.session.session_id = 5;  // same identity again
  c.add(m);
  m = {};
  m.type = shm::MessageType::kDumpPrefixes;
  m.body.prefixes.session = {3, 4};
  m.body.prefixes.count = 1;
  m.body.prefixes.prefixes[0] = shm::to_shm(*config::parse_ip_prefix("10.9.0.0/16").value);
  c.add(m);
  TableImage image = c.take();
  ASSERT_EQ(image.sas.size(), 1u);
  EXPECT_EQ(image.sas.begin()->second.key_length, 16);
  ASSERT_EQ(image.sessions.count("x"), 1u);
  EXPECT_EQ(image.sessions["x"].prefixes.size(), 2u);
  ASSERT_EQ(image.duplicate_sessions.size(), 1u);
  EXPECT_EQ(image.duplicate_sessions[0].session_id, 5);
  // The duplicate is deleted even though "x" itself is wanted.
  CpMetrics metrics;
  DesiredState none(&metrics);
  const auto commands = reconcile(none.image(), image);
  EXPECT_EQ(types(commands),
            (std::vector<MessageType>{MessageType::kSessionDelete, MessageType::kSessionDelete,
                                      MessageType::kSaDelete}));
}

}  // namespace
}  // namespace softwire::cp
