// 1,000,000 sessions: one SPI, one (tunnel, session) key, one IPv4 /30 dense
// in 10.0.0.0/8 and one IPv6 /64 dense in 2001:db8::/32 each. Functional, not
// timed: every key is looked up in bursts of 32 and must give its index.
// Prints the DPDK heap used by each table.
#include <gtest/gtest.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/spi_table.h"
#include "tests/dataplane/tables/print_status.h"

namespace softwire::tables {
namespace {

constexpr uint32_t kSessions = 1'000'000;
constexpr uint32_t kBurst = 32;

uint64_t heap_used() {
  uint64_t total = 0;
  for (int socket = 0; socket < RTE_MAX_NUMA_NODES; ++socket) {
    rte_malloc_socket_stats stats{};
    if (rte_malloc_get_socket_stats(socket, &stats) == 0) total += stats.heap_allocsz_bytes;
  }
  return total;
}

SessionKey key_of(uint32_t i) {
  return {uint16_t(1 + i / 65535), uint16_t(1 + i % 65535)};
}
// Bijective on uint32 and never 0 for i < 2^32 - 1: scattered, distinct SPIs.
uint32_t spi_of(uint32_t i) {
  return (i + 1) * 2654435761u;
}
uint32_t v4_of(uint32_t i) {
  return (10u << 24) + i * 4;
}
Ipv6Address v6_of(uint32_t i) {
  Ipv6Address a{0x20, 0x01, 0x0d, 0xb8};
  a[4] = uint8_t(i >> 24);
  a[5] = uint8_t(i >> 16);
  a[6] = uint8_t(i >> 8);
  a[7] = uint8_t(i);
  return a;
}

double mib(uint64_t bytes) {
  return double(bytes) / (1024.0 * 1024.0);
}

TEST(Million, SessionsAndPrefixesFitAndLookUp) {
  Rcu rcu("m", 4, 1024, SOCKET_ID_ANY);

  uint64_t before = heap_used();
  auto spis = std::make_unique<SpiTable>("m", kSessions, rcu, SOCKET_ID_ANY);
  for (uint32_t i = 0; i < kSessions; ++i)
    ASSERT_EQ(spis->add(spi_of(i), i), TableStatus::kOk) << i;
  const uint64_t spi_bytes = heap_used() - before;

  before = heap_used();
  auto sessions = std::make_unique<SessionTable>("m", kSessions, rcu, SOCKET_ID_ANY);
  for (uint32_t i = 0; i < kSessions; ++i) {
    ASSERT_EQ(sessions->add(key_of(i), i), TableStatus::kOk) << i;
  }
  const uint64_t session_bytes = heap_used() - before;

  // Creation cost of each family alone (the other at its minimum).
  uint64_t v4_only_bytes, v6_only_bytes;
  {
    PrefixTableConfig only;
    only.max_ipv4_prefixes = kSessions;
    before = heap_used();
    PrefixTable v4_only("m4", only, rcu, SOCKET_ID_ANY);
    v4_only_bytes = heap_used() - before;
  }
  {
    PrefixTableConfig only;
    only.max_ipv6_prefixes = kSessions;
    before = heap_used();
    PrefixTable v6_only("m6", only, rcu, SOCKET_ID_ANY);
    v6_only_bytes = heap_used() - before;
  }
  std::printf(
      "prefix table creation, 1M capacity: IPv4 side %.1f MiB, IPv6 side %.1f MiB "
      "(each including the other family's minimal table)\n",
      mib(v4_only_bytes), mib(v6_only_bytes));

  before = heap_used();
  PrefixTableConfig config;
  config.max_ipv4_prefixes = kSessions;
  config.max_ipv6_prefixes = kSessions;
  auto prefixes = std::make_unique<PrefixTable>("m", config, rcu, SOCKET_ID_ANY);
  const uint64_t prefix_empty_bytes = heap_used() - before;
  for (uint32_t i = 0; i < kSessions; ++i) {
    ASSERT_EQ(prefixes->add_ipv4(v4_of(i), 30, i), TableStatus::kOk) << i;
    ASSERT_EQ(prefixes->add_ipv6(v6_of(i), 64, i), TableStatus::kOk) << i;
  }
  const uint64_t prefix_bytes = heap_used() - before;
  std::printf(
      "1M sessions, DPDK heap: SPI hash %.1f MiB, session hash %.1f MiB, prefix FIBs %.1f MiB "
      "(%.1f MiB reserved at creation)\n",
      mib(spi_bytes), mib(session_bytes), mib(prefix_bytes), mib(prefix_empty_bytes));

  uint32_t spi_keys[kBurst], session_keys[kBurst], v4[kBurst];
  Ipv6Address v6[kBurst];
  uint32_t by_spi[kBurst], by_session[kBurst], by_v4[kBurst], by_v6[kBurst];
  uint64_t errors = 0;
  for (uint32_t base = 0; base < kSessions; base += kBurst) {
    const uint32_t n = std::min(kBurst, kSessions - base);
    for (uint32_t j = 0; j < n; ++j) {
      const uint32_t i = base + j;
      spi_keys[j] = spi_of(i);
      session_keys[j] = key_of(i).packed();
      v4[j] = v4_of(i) + (i & 3);  // any host in the /30
      v6[j] = v6_of(i);
      v6[j][15] = uint8_t(i);
    }
    const uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
    errors += spis->lookup_bulk(spi_keys, n, by_spi) != all;
    errors += sessions->lookup_bulk(session_keys, n, by_session) != all;
    prefixes->lookup_ipv4_bulk(v4, n, by_v4);
    prefixes->lookup_ipv6_bulk(v6, n, by_v6);
    for (uint32_t j = 0; j < n; ++j) {
      const uint32_t i = base + j;
      errors += by_spi[j] != i;
      errors += by_session[j] != i;
      errors += by_v4[j] != i;
      errors += by_v6[j] != i;
    }
  }
  EXPECT_EQ(errors, 0u);
  // Just outside the pools: no route.
  EXPECT_EQ(prefixes->lookup_ipv4(v4_of(kSessions)), PrefixTable::kNoRoute);
  EXPECT_EQ(prefixes->lookup_ipv6(v6_of(kSessions)), PrefixTable::kNoRoute);
  EXPECT_EQ(sessions->lookup(key_of(kSessions)), SessionTable::kNotFound);
  // Capacity reached: clean errors.
  EXPECT_EQ(sessions->add(key_of(kSessions), 0), TableStatus::kFull);
  EXPECT_EQ(prefixes->add_ipv4(v4_of(kSessions), 30, 0), TableStatus::kFull);
}

}  // namespace
}  // namespace softwire::tables
