// ns per packet of the data plane's bulk lookups in bursts of 32, random
// access over tables of 1, 1,000, 65,536 and 1,000,000 entries.
//   ./tables_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/spi_table.h"

namespace {

using namespace softwire::tables;

constexpr unsigned kBurst = 32;
constexpr size_t kProbes = 1 << 16;  // random keys cycled through

uint32_t spi_of(uint32_t i) {
  return (i + 1) * 2654435761u;
}
SessionKey key_of(uint32_t i) {
  return {uint16_t(1 + i / 65535), uint16_t(1 + i % 65535)};
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
  a[15] = 1;
  return a;
}

std::vector<uint32_t> random_indices(uint32_t entries) {
  std::mt19937 random(entries);
  std::vector<uint32_t> out(kProbes);
  for (auto& i : out) i = random() % entries;
  return out;
}

Rcu& rcu() {
  // Leaked on purpose, like the caches below: nothing DPDK-backed may be
  // destroyed after main() returns.
  static Rcu* instance = new Rcu("bench", 1, 1024, SOCKET_ID_ANY);
  return *instance;
}

// One table of each kind at a time: building the 1M tables takes seconds.
template <typename Table>
struct Cached {
  uint32_t entries = 0;
  std::unique_ptr<Table> table;
};

void report(benchmark::State& state) {
  state.SetItemsProcessed(int64_t(state.iterations()) * kBurst);
  state.counters["ns_per_pkt"] =
      benchmark::Counter(double(state.iterations()) * kBurst,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_SpiBulk(benchmark::State& state) {
  static Cached<SpiTable>& cache = *new Cached<SpiTable>;
  const auto entries = uint32_t(state.range(0));
  if (cache.entries != entries) {
    cache.table.reset();
    cache.table = std::make_unique<SpiTable>("bspi", entries, rcu(), SOCKET_ID_ANY);
    for (uint32_t i = 0; i < entries; ++i) cache.table->add(spi_of(i), i);
    cache.entries = entries;
  }
  std::vector<uint32_t> keys;
  for (uint32_t i : random_indices(entries)) keys.push_back(spi_of(i));
  uint32_t out[kBurst];
  size_t at = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.table->lookup_bulk(&keys[at], kBurst, out));
    benchmark::ClobberMemory();
    at = (at + kBurst) % kProbes;
  }
  report(state);
}

void BM_SessionBulk(benchmark::State& state) {
  static Cached<SessionTable>& cache = *new Cached<SessionTable>;
  const auto entries = uint32_t(state.range(0));
  if (cache.entries != entries) {
    cache.table.reset();
    cache.table = std::make_unique<SessionTable>("bses", entries, rcu(), SOCKET_ID_ANY);
    for (uint32_t i = 0; i < entries; ++i) cache.table->add(key_of(i), i);
    cache.entries = entries;
  }
  std::vector<uint32_t> keys;
  for (uint32_t i : random_indices(entries)) keys.push_back(key_of(i).packed());
  uint32_t out[kBurst];
  size_t at = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.table->lookup_bulk(&keys[at], kBurst, out));
    benchmark::ClobberMemory();
    at = (at + kBurst) % kProbes;
  }
  report(state);
}

Cached<PrefixTable>& prefixes(uint32_t entries) {
  static Cached<PrefixTable>& cache = *new Cached<PrefixTable>;
  if (cache.entries != entries) {
    cache.table.reset();
    PrefixTableConfig config;
    config.max_ipv4_prefixes = entries;
    config.max_ipv6_prefixes = entries;
    cache.table = std::make_unique<PrefixTable>("bpfx", config, rcu(), SOCKET_ID_ANY);
    for (uint32_t i = 0; i < entries; ++i) {
      cache.table->add_ipv4(v4_of(i), 30, i);
      cache.table->add_ipv6(v6_of(i), 64, i);
    }
    cache.entries = entries;
  }
  return cache;
}

void BM_PrefixV4Bulk(benchmark::State& state) {
  auto& cache = prefixes(uint32_t(state.range(0)));
  std::vector<uint32_t> addresses;
  for (uint32_t i : random_indices(cache.entries)) addresses.push_back(v4_of(i) + 1);
  uint32_t out[kBurst];
  size_t at = 0;
  for (auto _ : state) {
    cache.table->lookup_ipv4_bulk(&addresses[at], kBurst, out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    at = (at + kBurst) % kProbes;
  }
  report(state);
}

void BM_PrefixV6Bulk(benchmark::State& state) {
  auto& cache = prefixes(uint32_t(state.range(0)));
  std::vector<Ipv6Address> addresses;
  for (uint32_t i : random_indices(cache.entries)) addresses.push_back(v6_of(i));
  uint32_t out[kBurst];
  size_t at = 0;
  for (auto _ : state) {
    cache.table->lookup_ipv6_bulk(&addresses[at], kBurst, out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
    at = (at + kBurst) % kProbes;
  }
  report(state);
}

#define TABLE_SIZES Arg(1)->Arg(1000)->Arg(65536)->Arg(1000000)
BENCHMARK(BM_SpiBulk)->TABLE_SIZES;
BENCHMARK(BM_SessionBulk)->TABLE_SIZES;
BENCHMARK(BM_PrefixV4Bulk)->TABLE_SIZES;
BENCHMARK(BM_PrefixV6Bulk)->TABLE_SIZES;

}  // namespace

int main(int argc, char** argv) {
  const char* eal_args[] = {argv[0],
                            "--no-huge",
                            "-m",
                            "2048",
                            "--no-shconf",
                            "--file-prefix",
                            "sw_tables_bench",
                            "--no-pci",
                            "-l",
                            "0",
                            "--log-level=lib.eal:error"};
  if (rte_eal_init(int(std::size(eal_args)), const_cast<char**>(eal_args)) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
