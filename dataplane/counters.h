// Counters. Each is written by exactly one lcore and read by the main lcore
// (stats publication, --stats-json). Counter wraps a relaxed atomic so that
// the cross-thread read is defined behaviour; on x86-64 an increment is a
// plain load/add/store, no locked instruction.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/drop_reason.h"

namespace softwire::dp {

inline constexpr size_t kMaxPorts = 8;

class Counter {
 public:
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }
  // Main lcore, for a recycled SA/session slot that no worker can reach.
  void reset() { value_.store(0, std::memory_order_relaxed); }
  // A published value rather than a count (its one writer sets it).
  void set(uint64_t v) { value_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct PortCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
};

// One per worker lcore, on its own cache lines. Written by that worker only.
struct alignas(64) WorkerCounters {
  std::array<PortCounters, kMaxPorts> ports;
  std::array<Counter, kDropReasonCount> drops;
  std::array<Counter, kPuntKindCount> punts;
  Counter arp_replies, nd_replies;
  Counter polls, busy_polls;  // loop iterations, and those that received packets

  void drop(DropReason r, uint64_t n = 1) { drops[static_cast<size_t>(r)].add(n); }
  void punt(PuntKind k, uint64_t n = 1) { punts[static_cast<size_t>(k)].add(n); }
};

}  // namespace softwire::dp
