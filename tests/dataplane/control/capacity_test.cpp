// Control-mode table sizes: max_sessions = 131072 with one IPv4 and one IPv6
// prefix per session (both prefix tables full) fits in `-m 1024 --no-huge`;
// tables that large are published in slices (StatsPublisher).
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/loader.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/stats_publisher.h"
#include "shm/records.h"
#include "shm/segment.h"

namespace softwire::dp {
namespace {

constexpr uint32_t kSessions = 131072;

constexpr const char* kConfig = R"(instance = "cap";
dataplane = { workers = [ 1 ]; max_sessions = 131072; };
ports = (
  { name = "access"; role = "access"; device = "net_null0"; mac = "02:00:00:00:00:02";
    addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; },
  { name = "core"; role = "core"; device = "net_null1"; mac = "02:00:00:00:01:02";
    addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }
);
sas = (
  { spi = 0x1001; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x101112131415161718191a1b1c1d1e1fa0a1a2a3"; },
  { spi = 0x2001; direction = "out"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x1f1e1d1c1b1a19181716151413121110a0a1a2a3"; }
);
control = { };
)";

TEST(ControlCapacity, MaxSessionsWithBothFamiliesFitIn1GiB) {
  const config::Config cfg = config::load_config_text(kConfig, "capacity.conf");
  const Capacities caps = DataplaneState::capacities_for(cfg);
  EXPECT_EQ(caps.sessions, kSessions);
  EXPECT_EQ(caps.sas, 4096u);
  EXPECT_EQ(caps.ipv4_prefixes, kSessions);
  EXPECT_EQ(caps.ipv6_prefixes, kSessions);
  std::vector<PortHandle> handles = {{0, "access", 1, false}, {1, "core", 1, false}};
  DataplaneState state(cfg, handles, 1, SOCKET_ID_ANY);
  for (const auto& sa : cfg.sas) {
    shm::SaRecord r = shm::to_record(sa);
    ASSERT_TRUE(state.add_sa(r).ok());
  }
  for (uint32_t i = 0; i < kSessions; ++i) {
    config::SessionConfig s;
    char identity[16];
    std::snprintf(identity, sizeof identity, "s%u", i);  // (GCC 12: bogus -Wrestrict on "s" + ...)
    s.identity = identity;
    s.sa_in = 0x1001;
    s.sa_out = 0x2001;
    s.tunnel_id = static_cast<uint16_t>(1 + i / 60000);
    s.session_id = static_cast<uint16_t>(1 + i % 60000);
    s.peer_tunnel_id = s.peer_session_id = 1;
    config::IpPrefix v4{config::IpAddress{config::AddressFamily::kIpv4, {}}, 30};
    const uint32_t a = 0x0a000000u + i * 4;  // 10.0.0.0/30, 10.0.0.4/30, ...
    v4.address.bytes = {uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
    config::IpPrefix v6{config::IpAddress{config::AddressFamily::kIpv6, {}}, 64};
    v6.address.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, uint8_t(i >> 8), uint8_t(i)};
    v6.address.bytes[5] = uint8_t(i >> 16);
    s.prefixes = {v4, v6};
    const OpResult r = state.add_session(shm::to_record(s));
    ASSERT_TRUE(r.ok()) << i << ": " << r.detail;
  }
  EXPECT_EQ(state.sessions_in_use(), kSessions);
  EXPECT_EQ(state.prefix_table.ipv4_size(), kSessions);
  EXPECT_EQ(state.prefix_table.ipv6_size(), kSessions);
  EXPECT_EQ(state.prefix_table.lookup_ipv4(0x0a000000u + (kSessions - 1) * 4 + 1),
            state.find_session(1 + (kSessions - 1) / 60000, 1 + (kSessions - 1) % 60000));

  // A table this large is published a slice per snapshot: the first
  // snapshot holds the first 65,536 sessions, the second the rest.
  const std::string instance = "swcap" + std::to_string(getpid());
  shm::Segment segment =
      shm::Segment::create(instance, {1, state.sa_capacity, state.session_capacity}, 0x5eed0002);
  WorkerCounters counters;
  StatsPublisher publisher(segment, state, std::span<const WorkerCounters>(&counters, 1), nullptr);
  const uint32_t first = state.find_session(1, 1);
  const uint32_t last =
      state.find_session(1 + (kSessions - 1) / 60000, 1 + (kSessions - 1) % 60000);
  ASSERT_LT(first, StatsPublisher::kTableSliceMin);
  ASSERT_GE(last, StatsPublisher::kTableSliceMin);
  state.sessions[first].up_packets.add(5);
  state.sessions[last].up_packets.add(7);
  shm::StatsSnapshot snapshot;
  publisher.publish({});
  ASSERT_TRUE(shm::read_stats(segment, snapshot));
  EXPECT_EQ(snapshot.sessions.at(first).up_packets, 5u);
  EXPECT_EQ(snapshot.sessions.at(last).in_use, 0u) << "not in the first slice";
  EXPECT_EQ(snapshot.sas.at(state.find_sa(0x1001, shm::Direction::kIn)).spi, 0x1001u)
      << "the 4,096-entry SA table is published whole";
  publisher.publish({});
  ASSERT_TRUE(shm::read_stats(segment, snapshot));
  EXPECT_EQ(snapshot.sessions.at(last).up_packets, 7u);
  EXPECT_EQ(snapshot.sessions.at(first).up_packets, 5u) << "kept from the first slice";
  state.sessions[first].up_packets.add(1);
  publisher.publish({});  // the first slice again
  ASSERT_TRUE(shm::read_stats(segment, snapshot));
  EXPECT_EQ(snapshot.sessions.at(first).up_packets, 6u);
  segment.unlink();
}

TEST(StatsPublisherSlices, WholeTablesUpTo65536ElseATenth) {
  EXPECT_EQ(StatsPublisher::table_slice(0), 0u);
  EXPECT_EQ(StatsPublisher::table_slice(4096), 4096u);
  EXPECT_EQ(StatsPublisher::table_slice(65536), 65536u);
  EXPECT_EQ(StatsPublisher::table_slice(65537), 65536u);
  EXPECT_EQ(StatsPublisher::table_slice(131072), 65536u);
  EXPECT_EQ(StatsPublisher::table_slice(1'000'000), 100'000u);
  EXPECT_EQ(StatsPublisher::table_slice(1'048'577), 104'858u);
}

}  // namespace
}  // namespace softwire::dp

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "swcap" + std::to_string(getpid());
  std::vector<const char*> eal_args = {
      argv[0],        "--no-huge", "-m", "1024", "--no-shconf",        "--file-prefix",
      prefix.c_str(), "--no-pci",  "-l", "0",    "--log-level=*:error"};
  if (rte_eal_init(int(eal_args.size()), const_cast<char**>(eal_args.data())) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  const int result = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return result;
}
