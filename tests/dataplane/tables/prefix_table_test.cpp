#include "dataplane/tables/prefix_table.h"

#include <gtest/gtest.h>
#include <rte_memory.h>

#include <vector>

#include "dataplane/tables/rcu.h"
#include "tests/dataplane/tables/print_status.h"

namespace softwire::tables {
namespace {

constexpr uint32_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

Ipv6Address ipv6(uint16_t a, uint16_t b, uint16_t c, uint16_t d, uint16_t last = 0) {
  Ipv6Address address{};
  const uint16_t groups[4] = {a, b, c, d};
  for (int i = 0; i < 4; ++i) {
    address[2 * i] = uint8_t(groups[i] >> 8);
    address[2 * i + 1] = uint8_t(groups[i]);
  }
  address[14] = uint8_t(last >> 8);
  address[15] = uint8_t(last);
  return address;
}

class PrefixTableTest : public testing::Test {
 protected:
  PrefixTableTest()
      : rcu_("p0", 1, 64, SOCKET_ID_ANY), table_("p0", config(), rcu_, SOCKET_ID_ANY) {}
  static PrefixTableConfig config() {
    PrefixTableConfig c;
    c.max_ipv4_prefixes = 8;
    c.max_ipv6_prefixes = 8;
    return c;
  }
  Rcu rcu_;
  PrefixTable table_;
};

TEST_F(PrefixTableTest, Ipv4LongestPrefixWinsAndDeleteRestoresShorter) {
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 3)), PrefixTable::kNoRoute);
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 0), 8, 1), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 1, 0, 0), 16, 2), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 1, 2, 0), 30, 0), TableStatus::kOk);  // index 0 is valid
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 3)), 0u);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 4)), 2u);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 9, 9, 9)), 1u);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(11, 0, 0, 0)), PrefixTable::kNoRoute);

  EXPECT_EQ(table_.remove_ipv4(ipv4(10, 1, 2, 0), 30), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 3)), 2u);
  EXPECT_EQ(table_.remove_ipv4(ipv4(10, 1, 0, 0), 16), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 3)), 1u);
  EXPECT_EQ(table_.remove_ipv4(ipv4(10, 0, 0, 0), 8), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 1, 2, 3)), PrefixTable::kNoRoute);
  EXPECT_EQ(table_.ipv4_size(), 0u);
}

// The reuse barrier is started exactly where a tbl8 group may have been
// folded (see prefix_table.h), so that bulk adds of small prefixes cost no
// grace period.
TEST_F(PrefixTableTest, Tbl8BarrierOnlyWhereAGroupMayBeFreed) {
  // Host routes in one /24: the group stays mixed, no barrier.
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 1), 32, 1), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv4_barrier_pending());
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 2), 32, 2), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv4_barrier_pending());
  // A /16 without more specific routes inside writes tbl24 entries only.
  ASSERT_EQ(table_.add_ipv4(ipv4(172, 16, 0, 0), 16, 3), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv4_barrier_pending());
  // Two halves of 10.0.1.0/24 for the same session: the second add makes
  // the group uniform, which DIR24_8 folds and frees.
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 1, 0), 25, 4), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv4_barrier_pending());
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 1, 128), 25, 4), TableStatus::kOk);
  EXPECT_TRUE(table_.ipv4_barrier_pending());
  // The next change waits for it (no reader online: at once) and clears it.
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 2, 1), 32, 5), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv4_barrier_pending());
  // A /8 over more specific routes may fold their groups.
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 0), 8, 6), TableStatus::kOk);
  EXPECT_TRUE(table_.ipv4_barrier_pending());
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 0, 1, 200)), 4u);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(10, 9, 9, 9)), 6u);
  // Every removal may free.
  ASSERT_EQ(table_.remove_ipv4(ipv4(10, 0, 0, 2), 32), TableStatus::kOk);
  EXPECT_TRUE(table_.ipv4_barrier_pending());
  // IPv6: adds only allocate; removals may free.
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 1, 0), 64, 1), TableStatus::kOk);
  EXPECT_FALSE(table_.ipv6_barrier_pending());
  ASSERT_EQ(table_.remove_ipv6(ipv6(0x2001, 0xdb8, 1, 0), 64), TableStatus::kOk);
  EXPECT_TRUE(table_.ipv6_barrier_pending());
}

TEST_F(PrefixTableTest, Ipv4DuplicatesAndErrors) {
  ASSERT_EQ(table_.add_ipv4(ipv4(192, 0, 2, 4), 30, 5), TableStatus::kOk);
  // Host bits are ignored: this is the same prefix.
  EXPECT_EQ(table_.add_ipv4(ipv4(192, 0, 2, 7), 30, 6), TableStatus::kExists);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(192, 0, 2, 6)), 5u);
  EXPECT_EQ(table_.replace_ipv4(ipv4(192, 0, 2, 4), 30, 6), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv4(ipv4(192, 0, 2, 6)), 6u);
  EXPECT_EQ(table_.replace_ipv4(ipv4(192, 0, 3, 0), 30, 6), TableStatus::kNotFound);
  EXPECT_EQ(table_.remove_ipv4(ipv4(192, 0, 3, 0), 30), TableStatus::kNotFound);
  EXPECT_EQ(table_.add_ipv4(ipv4(192, 0, 3, 0), 33, 1), TableStatus::kInvalid);
  EXPECT_EQ(table_.add_ipv4(ipv4(192, 0, 3, 0), 24, PrefixTable::kNoRoute), TableStatus::kInvalid);
}

TEST_F(PrefixTableTest, Ipv4CapacityFull) {
  for (uint8_t i = 0; i < 8; ++i)
    ASSERT_EQ(table_.add_ipv4(ipv4(10, i, 0, 0), 16, i), TableStatus::kOk);
  EXPECT_EQ(table_.add_ipv4(ipv4(10, 99, 0, 0), 16, 1), TableStatus::kFull);
  EXPECT_EQ(table_.ipv4_size(), 8u);
}

TEST_F(PrefixTableTest, Ipv6LongestPrefixWinsAndDeleteRestoresShorter) {
  const Ipv6Address host = ipv6(0x2001, 0xdb8, 1, 2, 0x99);
  EXPECT_EQ(table_.lookup_ipv6(host), PrefixTable::kNoRoute);
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 0, 0), 32, 1), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 1, 0), 48, 2), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 1, 2), 64, 3), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv6(host), 3u);
  EXPECT_EQ(table_.lookup_ipv6(ipv6(0x2001, 0xdb8, 1, 3)), 2u);
  EXPECT_EQ(table_.lookup_ipv6(ipv6(0x2001, 0xdb8, 7, 3)), 1u);
  EXPECT_EQ(table_.lookup_ipv6(ipv6(0x2001, 0xdb9, 1, 2)), PrefixTable::kNoRoute);
  EXPECT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 1, 2, 1), 64, 9), TableStatus::kExists);
  EXPECT_EQ(table_.add_ipv6(host, 129, 9), TableStatus::kInvalid);
  EXPECT_EQ(table_.add_ipv6(host, 0, 9), TableStatus::kInvalid);
  EXPECT_EQ(table_.add_ipv6(host, 64, PrefixTable::kMaxIpv6SessionIndex + 1),
            TableStatus::kInvalid);

  EXPECT_EQ(table_.remove_ipv6(ipv6(0x2001, 0xdb8, 1, 2), 64), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv6(host), 2u);
  EXPECT_EQ(table_.remove_ipv6(ipv6(0x2001, 0xdb8, 1, 0), 48), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv6(host), 1u);
  EXPECT_EQ(table_.replace_ipv6(ipv6(0x2001, 0xdb8, 0, 0), 32, 4), TableStatus::kOk);
  EXPECT_EQ(table_.lookup_ipv6(host), 4u);
  EXPECT_EQ(table_.remove_ipv6(ipv6(0x2001, 0xdb8, 0, 0), 32), TableStatus::kOk);
  EXPECT_EQ(table_.remove_ipv6(ipv6(0x2001, 0xdb8, 0, 0), 32), TableStatus::kNotFound);
  EXPECT_EQ(table_.lookup_ipv6(host), PrefixTable::kNoRoute);
}

TEST_F(PrefixTableTest, Ipv6CapacityFull) {
  for (uint16_t i = 0; i < 8; ++i) {
    ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, i, 0), 48, i), TableStatus::kOk);
  }
  EXPECT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 100, 0), 48, 1), TableStatus::kFull);
}

TEST_F(PrefixTableTest, BulkLookups) {
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 0), 30, 10), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv4(ipv4(10, 0, 0, 4), 30, 11), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 0, 0), 64, 20), TableStatus::kOk);
  ASSERT_EQ(table_.add_ipv6(ipv6(0x2001, 0xdb8, 0, 1), 64, 21), TableStatus::kOk);
  // 100 > kMaxBurst: exercises chunking.
  std::vector<uint32_t> v4(100);
  std::vector<Ipv6Address> v6(100);
  for (uint32_t i = 0; i < 100; ++i) {
    v4[i] = ipv4(10, 0, 0, uint8_t(i % 12));
    v6[i] = ipv6(0x2001, 0xdb8, 0, uint16_t(i % 3), uint16_t(i));
  }
  std::vector<uint32_t> out4(100), out6(100);
  table_.lookup_ipv4_bulk(v4.data(), 100, out4.data());
  table_.lookup_ipv6_bulk(v6.data(), 100, out6.data());
  for (uint32_t i = 0; i < 100; ++i) {
    const uint32_t host = i % 12;
    EXPECT_EQ(out4[i], host < 4 ? 10u : host < 8 ? 11u : PrefixTable::kNoRoute) << i;
    EXPECT_EQ(out6[i], i % 3 == 0 ? 20u : i % 3 == 1 ? 21u : PrefixTable::kNoRoute) << i;
  }
}

TEST(PrefixTable, Tbl8ExhaustionIsFullAndRecoversAfterDelete) {
  Rcu rcu("p1", 1, 64, SOCKET_ID_ANY);
  PrefixTableConfig config;
  config.max_ipv4_prefixes = 1000;
  config.max_ipv6_prefixes = 1000;
  config.ipv4_tbl8_groups = 64;  // DIR24_8 allocates groups in multiples of 64
  config.ipv6_tbl8_groups = 16;
  PrefixTable table("p1", config, rcu, SOCKET_ID_ANY);
  // Each /30 in its own /24 needs its own tbl8 group.
  uint32_t added = 0;
  TableStatus status = TableStatus::kOk;
  for (; added < 1000; ++added) {
    status = table.add_ipv4(ipv4(10, uint8_t(added >> 8), uint8_t(added), 0), 30, added);
    if (status != TableStatus::kOk) break;
  }
  EXPECT_EQ(status, TableStatus::kFull);
  EXPECT_EQ(added, 64u);
  EXPECT_EQ(table.ipv4_size(), 64u);
  EXPECT_EQ(table.lookup_ipv4(ipv4(10, 0, 63, 1)), 63u);
  EXPECT_EQ(table.lookup_ipv4(ipv4(10, 0, 64, 1)), PrefixTable::kNoRoute);
  ASSERT_EQ(table.remove_ipv4(ipv4(10, 0, 5, 0), 30), TableStatus::kOk);
  EXPECT_EQ(table.add_ipv4(ipv4(10, 0, 64, 0), 30, 64), TableStatus::kOk);
  EXPECT_EQ(table.lookup_ipv4(ipv4(10, 0, 64, 1)), 64u);

  // IPv6 /64s in distinct /48s need several groups each.
  for (added = 0; added < 1000; ++added) {
    status = table.add_ipv6(ipv6(0x2001, 0xdb8, uint16_t(added), 0), 64, added);
    if (status != TableStatus::kOk) break;
  }
  EXPECT_EQ(status, TableStatus::kFull);
  EXPECT_GT(added, 0u);
  EXPECT_LT(added, 16u);
}

// rte_fib6 in 22.11 leaks tbl8 reservations on delete, the reason IPv6 uses
// rte_lpm6: add/delete churn must not exhaust the groups.
TEST(PrefixTable, Ipv6ChurnDoesNotExhaustGroups) {
  Rcu rcu("p2", 1, 64, SOCKET_ID_ANY);
  PrefixTableConfig config;
  config.max_ipv4_prefixes = 16;
  config.max_ipv6_prefixes = 16;
  config.ipv6_tbl8_groups = 50;
  PrefixTable table("p2", config, rcu, SOCKET_ID_ANY);
  ASSERT_EQ(table.add_ipv6(ipv6(0x2001, 0xdb8, 0xffff, 0), 48, 7), TableStatus::kOk);
  for (uint32_t i = 0; i < 1000; ++i) {
    const Ipv6Address prefix = ipv6(0x2001, 0xdb8, uint16_t(i % 7), 0);
    ASSERT_EQ(table.add_ipv6(prefix, 64, i), TableStatus::kOk) << i;
    ASSERT_EQ(table.lookup_ipv6(prefix), i);
    ASSERT_EQ(table.remove_ipv6(prefix, 64), TableStatus::kOk) << i;
  }
  EXPECT_EQ(table.lookup_ipv6(ipv6(0x2001, 0xdb8, 0xffff, 1)), 7u);
  EXPECT_EQ(table.ipv6_size(), 1u);
}

}  // namespace
}  // namespace softwire::tables
