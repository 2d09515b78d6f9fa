#include <gtest/gtest.h>
#include <rte_memory.h>

#include <stdexcept>
#include <vector>

#include "dataplane/tables/rcu.h"
#include "dataplane/tables/slot_allocator.h"
#include "tests/dataplane/tables/print_status.h"

namespace softwire::tables {
namespace {

void count_call(void* context, uint64_t value) {
  *static_cast<uint64_t*>(context) += value;
}

TEST(Rcu, DeferRunsAtOnceWithoutReaders) {
  Rcu rcu("r0", 4, 16, SOCKET_ID_ANY);
  uint64_t sum = 0;
  rcu.defer(count_call, &sum, 5);
  rcu.defer(count_call, &sum, 7);
  rcu.reclaim();
  EXPECT_EQ(sum, 12u);
  EXPECT_EQ(rcu.pending(), 0u);
  rcu.synchronize();  // no readers: returns at once
}

TEST(Rcu, DeferWaitsForRegisteredReader) {
  Rcu rcu("r1", 2, 16, SOCKET_ID_ANY);
  ASSERT_TRUE(rcu.register_reader(1));
  uint64_t sum = 0;
  rcu.defer(count_call, &sum, 1);
  EXPECT_EQ(rcu.reclaim(), 0u);
  EXPECT_EQ(sum, 0u);
  EXPECT_EQ(rcu.pending(), 1u);
  rcu.quiescent(1);
  EXPECT_EQ(rcu.reclaim(), 1u);
  EXPECT_EQ(sum, 1u);

  // An offline reader does not hold grace periods back.
  rcu.offline(1);
  rcu.defer(count_call, &sum, 1);
  EXPECT_EQ(rcu.reclaim(), 1u);
  rcu.online(1);
  rcu.unregister_reader(1);
  EXPECT_EQ(sum, 2u);
}

TEST(Rcu, FullDeferQueueBlocksInsteadOfFailing) {
  Rcu rcu("r2", 1, 4, SOCKET_ID_ANY);
  uint64_t sum = 0;
  for (int i = 0; i < 100; ++i) rcu.defer(count_call, &sum, 1);
  rcu.synchronize();
  EXPECT_EQ(sum, 100u);
}

TEST(Rcu, RejectsBadArguments) {
  Rcu rcu("r3", 2, 4, SOCKET_ID_ANY);
  EXPECT_FALSE(rcu.register_reader(2));
  EXPECT_THROW(Rcu("much_too_long", 1, 4, SOCKET_ID_ANY), std::invalid_argument);
  EXPECT_THROW(Rcu("", 1, 4, SOCKET_ID_ANY), std::invalid_argument);
}

TEST(SlotAllocator, AllocatesEveryIndexOnceThenReportsFull) {
  Rcu rcu("s0", 1, 64, SOCKET_ID_ANY);
  SlotAllocator slots("s0", 8, rcu, SOCKET_ID_ANY);
  std::vector<bool> seen(8);
  for (int i = 0; i < 8; ++i) {
    const uint32_t index = slots.allocate();
    ASSERT_LT(index, 8u);
    EXPECT_FALSE(seen[index]);
    seen[index] = true;
  }
  EXPECT_EQ(slots.allocate(), SlotAllocator::kNoSlot);
  EXPECT_EQ(slots.free_count(), 0u);
}

TEST(SlotAllocator, ReleasedIndexReturnsOnlyAfterGracePeriod) {
  Rcu rcu("s1", 1, 64, SOCKET_ID_ANY);
  SlotAllocator slots("s1", 2, rcu, SOCKET_ID_ANY);
  ASSERT_TRUE(rcu.register_reader(0));
  const uint32_t a = slots.allocate();
  const uint32_t b = slots.allocate();
  ASSERT_NE(a, b);
  EXPECT_EQ(slots.release_after_grace(a), TableStatus::kOk);
  EXPECT_EQ(slots.release_after_grace(a), TableStatus::kInvalid);  // double release
  EXPECT_EQ(slots.allocate(), SlotAllocator::kNoSlot);             // reader not quiescent yet
  rcu.quiescent(0);
  EXPECT_EQ(slots.allocate(), a);
  rcu.unregister_reader(0);
  EXPECT_EQ(slots.release_after_grace(99), TableStatus::kInvalid);
}

TEST(SlotAllocator, ReusesInFifoOrder) {
  Rcu rcu("s2", 1, 64, SOCKET_ID_ANY);
  SlotAllocator slots("s2", 4, rcu, SOCKET_ID_ANY);
  for (uint32_t i = 0; i < 4; ++i) ASSERT_EQ(slots.allocate(), i);
  slots.release_after_grace(2);
  slots.release_after_grace(0);
  rcu.reclaim();
  EXPECT_EQ(slots.allocate(), 2u);
  EXPECT_EQ(slots.allocate(), 0u);
}

}  // namespace
}  // namespace softwire::tables
