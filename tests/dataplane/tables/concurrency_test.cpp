// A reader lcore does bulk lookups in a loop and reports quiescent states
// while the main lcore replaces, adds and deletes sessions and prefixes and
// recycles indices. The reader checks, through an owner tag on each session
// object, that every index it obtains belongs to the key it asked for and
// keeps belonging to it until its next quiescent state: a recycled index
// reused before the grace period would show the poison or another owner.
#include <gtest/gtest.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_memory.h>
#include <rte_pause.h>

#include <atomic>
#include <chrono>
#include <random>
#include <vector>

#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/slot_allocator.h"
#include "tests/dataplane/tables/print_status.h"

namespace softwire::tables {
namespace {

constexpr uint32_t kStable = 64;  // keys present throughout; their index changes
constexpr uint32_t kChurn = 64;   // keys added and deleted over and over
constexpr uint32_t kPoison = 0xdeadbeef;
constexpr uint32_t kBurst = 32;
// What the concurrency test must at least have done to mean something.
constexpr uint64_t kMinOperations = 1000;  // by the writer
constexpr uint64_t kMinIterations = 100;   // by the reader

// Owner tags: stable key k -> 1 + k, churn key c -> 1000 + c.
uint32_t stable_tag(uint32_t k) {
  return 1 + k;
}
uint32_t churn_tag(uint32_t c) {
  return 1000 + c;
}
SessionKey stable_key(uint32_t k) {
  return {1, uint16_t(k + 1)};
}
SessionKey churn_key(uint32_t c) {
  return {2, uint16_t(c + 1)};
}
// Stable /30s share one /24 (never uniform, never collapsed); each churn /30
// has a /24 of its own, so every delete frees a tbl8 group and the next add
// reuses it: that is what the tbl8 reuse barrier protects.
uint32_t stable_v4(uint32_t k) {
  return (10u << 24) | (1u << 16) | (k * 4);
}
uint32_t churn_v4(uint32_t c) {
  return (10u << 24) | (2u << 16) | (c << 8);
}
Ipv6Address v6(uint16_t group3, uint16_t group4) {
  Ipv6Address a{0x20, 0x01, 0x0d, 0xb8};
  a[4] = uint8_t(group3 >> 8);
  a[5] = uint8_t(group3);
  a[6] = uint8_t(group4 >> 8);
  a[7] = uint8_t(group4);
  return a;
}
Ipv6Address stable_v6(uint32_t k) {
  return v6(1, uint16_t(k));
}
Ipv6Address churn_v6(uint32_t c) {
  return v6(uint16_t(0x100 + c), 0);
}  // own /48 each

struct SessionObject {
  // Written by the main lcore (poison, then the owner tag, before the index
  // is published); read by the reader.
  std::atomic<uint32_t> owner{0};
};

struct Shared {
  Rcu* rcu;
  const SessionTable* sessions;
  const PrefixTable* prefixes;
  SessionObject* objects;
  uint32_t object_count;
  std::atomic<bool> ready{false};
  std::atomic<bool> stop{false};
  // Written by the reader, read by the main lcore at the end.
  std::atomic<uint64_t> iterations{0};
  std::atomic<uint64_t> stable_misses{0};
  std::atomic<uint64_t> wrong_owner{0};
  std::atomic<uint64_t> churn_hits{0};
};

// Checks one result; returns the index to re-check later, or UINT32_MAX.
uint32_t check(Shared& shared, uint32_t index, uint32_t miss_value, bool stable, uint32_t tag) {
  if (index == miss_value) {
    if (stable) shared.stable_misses.fetch_add(1, std::memory_order_relaxed);
    return UINT32_MAX;
  }
  if (index >= shared.object_count ||
      shared.objects[index].owner.load(std::memory_order_acquire) != tag) {
    shared.wrong_owner.fetch_add(1, std::memory_order_relaxed);
    return UINT32_MAX;
  }
  if (!stable) shared.churn_hits.fetch_add(1, std::memory_order_relaxed);
  return index;
}

int reader_main(void* arg) {
  auto& shared = *static_cast<Shared*>(arg);
  constexpr uint32_t kThread = 0;
  if (!shared.rcu->register_reader(kThread)) return -1;
  shared.ready.store(true, std::memory_order_release);
  std::minstd_rand random(7);
  uint32_t keys[kBurst], v4[kBurst], tags[kBurst];
  bool stable[kBurst];
  Ipv6Address v6s[kBurst];
  uint32_t by_session[kBurst], by_v4[kBurst], by_v6[kBurst];
  uint32_t held[3 * kBurst], held_tags[3 * kBurst];

  while (!shared.stop.load(std::memory_order_acquire)) {
    for (uint32_t i = 0; i < kBurst; ++i) {
      const uint32_t n = random() % (kStable + kChurn);
      stable[i] = n < kStable;
      const uint32_t id = stable[i] ? n : n - kStable;
      keys[i] = (stable[i] ? stable_key(id) : churn_key(id)).packed();
      v4[i] = (stable[i] ? stable_v4(id) : churn_v4(id)) + 1;
      v6s[i] = stable[i] ? stable_v6(id) : churn_v6(id);
      v6s[i][15] = 1;
      tags[i] = stable[i] ? stable_tag(id) : churn_tag(id);
    }
    shared.sessions->lookup_bulk(keys, kBurst, by_session);
    shared.prefixes->lookup_ipv4_bulk(v4, kBurst, by_v4);
    shared.prefixes->lookup_ipv6_bulk(v6s, kBurst, by_v6);
    uint32_t held_count = 0;
    for (uint32_t i = 0; i < kBurst; ++i) {
      const uint32_t results[3] = {
          check(shared, by_session[i], SessionTable::kNotFound, stable[i], tags[i]),
          check(shared, by_v4[i], PrefixTable::kNoRoute, stable[i], tags[i]),
          check(shared, by_v6[i], PrefixTable::kNoRoute, stable[i], tags[i])};
      for (uint32_t r : results) {
        if (r == UINT32_MAX) continue;
        held[held_count] = r;
        held_tags[held_count++] = tags[i];
      }
    }
    // Keep "using" the objects for a while: none may be recycled under us.
    for (int spin = 0; spin < 64; ++spin) rte_pause();
    for (uint32_t i = 0; i < held_count; ++i) {
      if (shared.objects[held[i]].owner.load(std::memory_order_acquire) != held_tags[i]) {
        shared.wrong_owner.fetch_add(1, std::memory_order_relaxed);
      }
    }
    shared.rcu->quiescent(kThread);
    shared.iterations.fetch_add(1, std::memory_order_relaxed);
  }
  shared.rcu->unregister_reader(kThread);
  return 0;
}

TEST(Concurrency, ReaderSeesOnlyOldOrNewIndicesAndNoEarlyReuse) {
  ASSERT_GE(rte_lcore_count(), 2u);
  const unsigned reader_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
  ASSERT_LT(reader_lcore, unsigned(RTE_MAX_LCORE));

  Rcu rcu("cc", 1, 1024, SOCKET_ID_ANY);
  SessionTable sessions("cc", kStable + kChurn, rcu, SOCKET_ID_ANY);
  PrefixTableConfig config;
  config.max_ipv4_prefixes = kStable + kChurn;
  config.max_ipv6_prefixes = kStable + kChurn;
  PrefixTable prefixes("cc", config, rcu, SOCKET_ID_ANY);
  // Twice the keys: replaced and deleted indices wait out their grace period.
  constexpr uint32_t kObjects = 2 * (kStable + kChurn);
  SlotAllocator slots("cc", kObjects, rcu, SOCKET_ID_ANY);
  std::vector<SessionObject> objects(kObjects);

  auto allocate = [&](uint32_t tag) {
    uint32_t index = slots.allocate();
    if (index == SlotAllocator::kNoSlot) {
      rcu.synchronize();
      index = slots.allocate();
    }
    EXPECT_NE(index, SlotAllocator::kNoSlot);
    objects[index].owner.store(kPoison, std::memory_order_relaxed);
    objects[index].owner.store(tag, std::memory_order_release);
    return index;
  };

  std::vector<uint32_t> stable_index(kStable);
  for (uint32_t k = 0; k < kStable; ++k) {
    stable_index[k] = allocate(stable_tag(k));
    ASSERT_EQ(sessions.add(stable_key(k), stable_index[k]), TableStatus::kOk);
    ASSERT_EQ(prefixes.add_ipv4(stable_v4(k), 30, stable_index[k]), TableStatus::kOk);
    ASSERT_EQ(prefixes.add_ipv6(stable_v6(k), 64, stable_index[k]), TableStatus::kOk);
  }
  std::vector<uint32_t> churn_index(kChurn, SlotAllocator::kNoSlot);

  Shared shared;
  shared.rcu = &rcu;
  shared.sessions = &sessions;
  shared.prefixes = &prefixes;
  shared.objects = objects.data();
  shared.object_count = kObjects;
  ASSERT_EQ(rte_eal_remote_launch(reader_main, &shared, reader_lcore), 0);
  // Stops the reader on every exit path, failed ASSERTs included.
  struct ReaderGuard {
    Shared& shared;
    unsigned lcore;
    int result = -1;
    bool joined = false;
    int join() {
      if (!joined) {
        shared.stop.store(true, std::memory_order_release);
        result = rte_eal_wait_lcore(lcore);
        joined = true;
      }
      return result;
    }
    ~ReaderGuard() { join(); }
  } reader{shared, reader_lcore};
  while (!shared.ready.load(std::memory_order_acquire)) rte_pause();

  std::minstd_rand random(42);
  // 20000 operations, or fewer after 4 s (a sanitizer build), but in either
  // case only once the minimums checked below are reached: a loaded machine
  // may have given the writer or the reader little time. The hard bound
  // turns a stuck reader into a failure instead of a hang.
  const auto start = std::chrono::steady_clock::now();
  const auto enough_time = start + std::chrono::seconds(4);
  const auto hard_deadline = start + std::chrono::seconds(120);
  auto keep_going = [&](uint64_t operations) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= hard_deadline) return false;
    const bool minimums = operations > kMinOperations &&
                          shared.iterations.load(std::memory_order_relaxed) > kMinIterations;
    return !minimums || (operations < 20000 && now < enough_time);
  };
  uint64_t operations = 0;
  for (; keep_going(operations); ++operations) {
    if (operations % 2 == 0) {
      const uint32_t k = random() % kStable;
      const uint32_t old_index = stable_index[k];
      const uint32_t new_index = allocate(stable_tag(k));
      ASSERT_EQ(sessions.replace(stable_key(k), new_index), TableStatus::kOk);
      ASSERT_EQ(prefixes.replace_ipv4(stable_v4(k), 30, new_index), TableStatus::kOk);
      ASSERT_EQ(prefixes.replace_ipv6(stable_v6(k), 64, new_index), TableStatus::kOk);
      ASSERT_EQ(slots.release_after_grace(old_index), TableStatus::kOk);
      stable_index[k] = new_index;
    } else {
      const uint32_t c = random() % kChurn;
      if (churn_index[c] == SlotAllocator::kNoSlot) {
        churn_index[c] = allocate(churn_tag(c));
        ASSERT_EQ(sessions.add(churn_key(c), churn_index[c]), TableStatus::kOk);
        ASSERT_EQ(prefixes.add_ipv4(churn_v4(c), 30, churn_index[c]), TableStatus::kOk);
        ASSERT_EQ(prefixes.add_ipv6(churn_v6(c), 64, churn_index[c]), TableStatus::kOk);
      } else {
        ASSERT_EQ(sessions.remove(churn_key(c)), TableStatus::kOk);
        ASSERT_EQ(prefixes.remove_ipv4(churn_v4(c), 30), TableStatus::kOk);
        ASSERT_EQ(prefixes.remove_ipv6(churn_v6(c), 64), TableStatus::kOk);
        ASSERT_EQ(slots.release_after_grace(churn_index[c]), TableStatus::kOk);
        churn_index[c] = SlotAllocator::kNoSlot;
      }
    }
    if (operations % 8 == 0) rcu.reclaim();
  }
  EXPECT_EQ(reader.join(), 0);

  std::printf("concurrency: %llu writer operations, %llu reader iterations, %llu churn hits\n",
              static_cast<unsigned long long>(operations),
              static_cast<unsigned long long>(shared.iterations.load()),
              static_cast<unsigned long long>(shared.churn_hits.load()));
  EXPECT_GT(operations, kMinOperations);
  EXPECT_GT(shared.iterations.load(), kMinIterations);
  EXPECT_EQ(shared.stable_misses.load(), 0u);
  EXPECT_EQ(shared.wrong_owner.load(), 0u);
  for (uint32_t k = 0; k < kStable; ++k) {
    EXPECT_EQ(sessions.lookup(stable_key(k)), stable_index[k]);
    EXPECT_EQ(prefixes.lookup_ipv4(stable_v4(k) + 2), stable_index[k]);
  }
}

}  // namespace
}  // namespace softwire::tables
