#include <gtest/gtest.h>
#include <rte_memory.h>

#include <stdexcept>
#include <vector>

#include "dataplane/tables/rcu.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/spi_table.h"
#include "tests/dataplane/tables/print_status.h"

namespace softwire::tables {
namespace {

TEST(SpiTable, AddLookupReplaceRemove) {
  Rcu rcu("h0", 1, 64, SOCKET_ID_ANY);
  SpiTable spis("h0", 16, rcu, SOCKET_ID_ANY);
  EXPECT_EQ(spis.lookup(0x1000), SpiTable::kNotFound);
  EXPECT_EQ(spis.add(0x1000, 3), TableStatus::kOk);
  EXPECT_EQ(spis.add(0x2000, 0), TableStatus::kOk);  // index 0 is a valid index
  EXPECT_EQ(spis.lookup(0x1000), 3u);
  EXPECT_EQ(spis.lookup(0x2000), 0u);
  EXPECT_EQ(spis.add(0x1000, 4), TableStatus::kExists);
  EXPECT_EQ(spis.lookup(0x1000), 3u);
  EXPECT_EQ(spis.replace(0x1000, 9), TableStatus::kOk);
  EXPECT_EQ(spis.lookup(0x1000), 9u);
  EXPECT_EQ(spis.replace(0x3000, 9), TableStatus::kNotFound);
  EXPECT_EQ(spis.remove(0x1000), TableStatus::kOk);
  EXPECT_EQ(spis.remove(0x1000), TableStatus::kNotFound);
  EXPECT_EQ(spis.lookup(0x1000), SpiTable::kNotFound);
  EXPECT_EQ(spis.add(0x4000, SpiTable::kNotFound), TableStatus::kInvalid);
  EXPECT_EQ(spis.size(), 1u);
}

TEST(SpiTable, CapacityIsExactAndFullIsClean) {
  Rcu rcu("h1", 1, 64, SOCKET_ID_ANY);
  SpiTable spis("h1", 100, rcu, SOCKET_ID_ANY);
  for (uint32_t i = 0; i < 100; ++i) ASSERT_EQ(spis.add(1000 + i, i), TableStatus::kOk) << i;
  EXPECT_EQ(spis.add(5, 5), TableStatus::kFull);
  // Delete and re-add at once, with a reader that has not passed a quiescent
  // state: the slot is still in its grace period but the headroom absorbs it.
  ASSERT_TRUE(rcu.register_reader(0));
  EXPECT_EQ(spis.remove(1000), TableStatus::kOk);
  EXPECT_EQ(spis.add(5, 5), TableStatus::kOk);
  rcu.unregister_reader(0);
  EXPECT_EQ(spis.lookup(5), 5u);
}

TEST(SpiTable, ChurnBeyondHeadroomReusesSlotsAfterGracePeriods) {
  Rcu rcu("h2", 1, 64, SOCKET_ID_ANY);
  SpiTable spis("h2", 64, rcu, SOCKET_ID_ANY);
  for (uint32_t round = 0; round < 50; ++round) {
    for (uint32_t i = 0; i < 64; ++i) ASSERT_EQ(spis.add(round * 64 + i, i), TableStatus::kOk);
    for (uint32_t i = 0; i < 64; ++i) ASSERT_EQ(spis.remove(round * 64 + i), TableStatus::kOk);
  }
  EXPECT_EQ(spis.size(), 0u);
}

TEST(SpiTable, BulkLookupWithAndWithoutSignatures) {
  Rcu rcu("h3", 1, 64, SOCKET_ID_ANY);
  SpiTable spis("h3", 128, rcu, SOCKET_ID_ANY);
  for (uint32_t i = 0; i < 100; ++i) ASSERT_EQ(spis.add(0xc0000000u + i, i * 7), TableStatus::kOk);
  uint32_t keys[SpiTable::kMaxBurst];
  uint32_t signatures[SpiTable::kMaxBurst];
  uint32_t out[SpiTable::kMaxBurst];
  for (unsigned i = 0; i < SpiTable::kMaxBurst; ++i) {
    keys[i] = i % 2 ? 0xc0000000u + i : 0xd0000000u + i;  // odd hit, even miss
    signatures[i] = SpiTable::signature(keys[i]);
  }
  uint64_t mask = spis.lookup_bulk(keys, SpiTable::kMaxBurst, out);
  for (unsigned i = 0; i < SpiTable::kMaxBurst; ++i) {
    EXPECT_EQ((mask >> i) & 1, i % 2) << i;
    EXPECT_EQ(out[i], i % 2 ? i * 7 : SpiTable::kNotFound) << i;
  }
  std::fill(std::begin(out), std::end(out), 0);
  mask = spis.lookup_bulk(keys, signatures, 32, out);
  EXPECT_EQ(mask, 0xaaaaaaaaull);
  for (unsigned i = 0; i < 32; ++i) EXPECT_EQ(out[i], i % 2 ? i * 7 : SpiTable::kNotFound) << i;
}

TEST(SessionTable, KeyIsTunnelAndSession) {
  Rcu rcu("h4", 1, 64, SOCKET_ID_ANY);
  SessionTable sessions("h4", 16, rcu, SOCKET_ID_ANY);
  EXPECT_EQ(sessions.add({1, 2}, 10), TableStatus::kOk);
  EXPECT_EQ(sessions.add({2, 1}, 20), TableStatus::kOk);
  EXPECT_EQ(sessions.add({1, 2}, 30), TableStatus::kExists);
  EXPECT_EQ(sessions.lookup({1, 2}), 10u);
  EXPECT_EQ(sessions.lookup({2, 1}), 20u);
  EXPECT_EQ(sessions.lookup({1, 1}), SessionTable::kNotFound);
  EXPECT_EQ(sessions.replace({2, 1}, 21), TableStatus::kOk);
  const uint32_t keys[3] = {SessionKey{1, 2}.packed(), SessionKey{2, 1}.packed(),
                            SessionKey{3, 3}.packed()};
  uint32_t out[3];
  EXPECT_EQ(sessions.lookup_bulk(keys, 3, out), 0b011u);
  EXPECT_EQ(out[0], 10u);
  EXPECT_EQ(out[1], 21u);
  EXPECT_EQ(out[2], SessionTable::kNotFound);
  EXPECT_EQ(sessions.remove({1, 2}), TableStatus::kOk);
  EXPECT_EQ(sessions.lookup({1, 2}), SessionTable::kNotFound);
  EXPECT_EQ(sessions.remove({1, 2}), TableStatus::kNotFound);
}

TEST(SessionTable, FullIsClean) {
  Rcu rcu("h5", 1, 64, SOCKET_ID_ANY);
  SessionTable sessions("h5", 10, rcu, SOCKET_ID_ANY);
  for (uint16_t i = 0; i < 10; ++i) ASSERT_EQ(sessions.add({7, i}, i), TableStatus::kOk);
  EXPECT_EQ(sessions.add({8, 0}, 0), TableStatus::kFull);
  EXPECT_EQ(sessions.size(), 10u);
}

TEST(HashTables, InstancesNeedDistinctShortPrefixes) {
  Rcu rcu("h6", 1, 64, SOCKET_ID_ANY);
  SpiTable a("inst_a", 8, rcu, SOCKET_ID_ANY);
  SpiTable b("inst_b", 8, rcu, SOCKET_ID_ANY);
  SessionTable c("inst_a", 8, rcu, SOCKET_ID_ANY);  // other suffix: no clash
  EXPECT_THROW(SpiTable("inst_a", 8, rcu, SOCKET_ID_ANY), std::system_error);
  EXPECT_THROW(SpiTable("longer_than_8", 8, rcu, SOCKET_ID_ANY), std::invalid_argument);
}

}  // namespace
}  // namespace softwire::tables
