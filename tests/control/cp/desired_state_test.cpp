// The cp's desired state: checks, references and gauges.
#include "control/desired_state.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/control/test_support.h"

namespace softwire::cp {
namespace {

using config::Direction;
using testing::make_sa;
using testing::make_session;

struct Fixture {
  CpMetrics metrics;
  DesiredState state{&metrics};
  Fixture() {
    state.add_sa(make_sa(0x100, Direction::kIn), Origin::kStatic);
    state.add_sa(make_sa(0x100, Direction::kOut), Origin::kStatic);
    state.add_session(make_session("a", 0x100, 0x100, 1, 1, {"10.0.0.0/24", "2001:db8::/48"}),
                      Origin::kStatic);
  }
};

TEST(DesiredState, SessionChecksNameTheArgument) {
  Fixture f;
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x100, 1, 2, {"10.0.1.0/24"})), "");
  EXPECT_EQ(f.state.check_session_add(make_session("a", 0x100, 0x100, 1, 2, {})),
            "identity: session \"a\" exists");
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x101, 0x100, 1, 2, {})),
            "sa_in: no inbound SA 0x00000101");
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x101, 1, 2, {})),
            "sa_out: no outbound SA 0x00000101");
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x100, 1, 1, {})),
            "session_id: tunnel_id 1 with session_id 1 is already used by session \"a\"");
  // Inside, around and equal to a's prefixes.
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x100, 1, 2, {"10.0.0.128/25"})),
            "prefixes: 10.0.0.128/25 overlaps a prefix of session \"a\"");
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x100, 1, 2, {"10.0.0.0/16"})),
            "prefixes: 10.0.0.0/16 overlaps a prefix of session \"a\"");
  EXPECT_EQ(f.state.check_session_add(make_session("b", 0x100, 0x100, 1, 2, {"2001:db8::/64"})),
            "prefixes: 2001:db8::/64 overlaps a prefix of session \"a\"");
  EXPECT_EQ(f.state.check_session_add(
                make_session("b", 0x100, 0x100, 1, 2, {"10.0.1.0/24", "10.0.1.0/25"})),
            "prefixes: 10.0.1.0/25 overlaps 10.0.1.0/24 of the same session");
  // Another SA pair that does not join the same peers.
  f.state.add_sa(make_sa(0x200, Direction::kOut, 1, "192.0.2.1", "198.51.100.9"), Origin::kDynamic);
  EXPECT_NE(f.state.check_session_add(make_session("b", 0x100, 0x200, 1, 2, {})).find("sa_out:"),
            std::string::npos);
}

TEST(DesiredState, ReferencesBlockSaDelete) {
  Fixture f;
  EXPECT_EQ(f.state.sa_references({0x100, shm::Direction::kIn}), 1u);
  EXPECT_EQ(f.state.check_sa_delete({0x100, shm::Direction::kIn}),
            "spi: SA in 0x00000100 is in use by session \"a\"");
  f.state.add_sa(make_sa(0x101, Direction::kIn), Origin::kDynamic);
  f.state.set_session_sas("a", 0x101, 0x100, 0x100);  // rekey: the old SA is still referenced
  EXPECT_EQ(f.state.sa_references({0x100, shm::Direction::kIn}), 1u);
  EXPECT_EQ(*f.state.identity_for_inbound_spi(0x100), "a");
  EXPECT_EQ(*f.state.identity_for_inbound_spi(0x101), "a");
  f.state.set_session_sas("a", 0x101, shm::kNone, 0x100);
  EXPECT_EQ(f.state.sa_references({0x100, shm::Direction::kIn}), 0u);
  EXPECT_EQ(f.state.identity_for_inbound_spi(0x100), nullptr);
  EXPECT_EQ(f.state.check_sa_delete({0x100, shm::Direction::kIn}), "");
  f.state.remove_session("a");
  EXPECT_EQ(f.state.sa_references({0x101, shm::Direction::kIn}), 0u);
  EXPECT_EQ(f.state.find_session(shm::SessionKey{1, 1}), nullptr);
  // The prefixes are free again.
  EXPECT_EQ(f.state.check_session_add(make_session("c", 0x101, 0x100, 1, 1, {"10.0.0.0/24"})), "");
}

// The overlap check (two ordered lookups) agrees with comparing every pair.
TEST(DesiredState, OverlapCheckMatchesBruteForce) {
  CpMetrics metrics;
  DesiredState state(&metrics);
  state.add_sa(make_sa(0x100, Direction::kIn), Origin::kStatic);
  state.add_sa(make_sa(0x100, Direction::kOut), Origin::kStatic);
  std::mt19937 random(7);
  std::vector<config::IpPrefix> owned;
  const auto random_prefix = [&] {
    config::IpPrefix p;
    const bool v6 = random() % 4 == 0;
    p.address.family = v6 ? config::AddressFamily::kIpv6 : config::AddressFamily::kIpv4;
    p.address.bytes[0] = v6 ? 0x20 : 10;
    p.address.bytes[1] = static_cast<uint8_t>(random() % 4);
    p.address.bytes[2] = static_cast<uint8_t>(random() % 256);
    p.address.bytes[3] = static_cast<uint8_t>(random() % 256);
    p.length = static_cast<uint8_t>(v6 ? 8 + random() % 40 : 8 + random() % 25);
    return config::network_of(p);
  };
  int accepted = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    const config::IpPrefix p = random_prefix();
    bool overlaps = false;
    for (const auto& q : owned)
      overlaps |=
          q.address.family == p.address.family && (q.contains(p.address) || p.contains(q.address));
    std::string identity = "s";
    identity.append(std::to_string(i));
    config::SessionConfig s =
        make_session(identity, 0x100, 0x100, 1, static_cast<uint16_t>(i + 1), {});
    s.prefixes = {p};
    const std::string e = state.check_session_add(s);
    ASSERT_EQ(e.empty(), !overlaps) << p.to_string() << " " << e;
    if (overlaps) {
      ++refused;
      continue;
    }
    state.add_session(s, Origin::kDynamic);
    owned.push_back(p);
    ++accepted;
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}

TEST(DesiredState, GaugesFollowStates) {
  Fixture f;
  EXPECT_EQ(f.metrics.sessions[0].load(), 1u);  // pending
  EXPECT_EQ(f.metrics.sas_desired.load(), 2u);
  f.state.set_state("a", SessionStateCode::kActive);
  EXPECT_EQ(f.metrics.sessions[0].load(), 0u);
  EXPECT_EQ(f.metrics.sessions[1].load(), 1u);
  f.state.set_metrics(nullptr);
  EXPECT_EQ(f.metrics.sessions[1].load(), 0u);
  EXPECT_EQ(f.metrics.sas_desired.load(), 0u);
  f.state.set_metrics(&f.metrics);
  EXPECT_EQ(f.metrics.sessions[1].load(), 1u);
  f.state.remove_session("a");
  EXPECT_EQ(f.metrics.sessions[1].load(), 0u);
}

}  // namespace
}  // namespace softwire::cp
