// Counters, read by the main lcore (stats publication, --stats-json). A
// Counter is written by exactly one lcore: it wraps a relaxed atomic so that
// the cross-thread read is defined behaviour, and on x86-64 an increment is a
// plain load/add/store, no locked instruction. A SharedCounter may have two
// writers at once (a session's counters during a rekey): a locked add.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>

#include "dataplane/drop_reason.h"
#include "shm/protocol.h"

namespace softwire::dp {

inline constexpr size_t kMaxPorts = 8;

// kWriters: kOne for a counter with exactly one writing lcore (a plain
// load/add/store on x86-64); kMany for one that two lcores may add to at the
// same time (a locked add, so no increment is lost).
enum class Writers { kOne, kMany };

template <Writers kWriters>
class BasicCounter {
 public:
  void add(uint64_t n = 1) {
    if constexpr (kWriters == Writers::kMany) {
      value_.fetch_add(n, std::memory_order_relaxed);
    } else {
      value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
  }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }
  // Main lcore, for a recycled SA/session slot that no worker can reach.
  void reset() { value_.store(0, std::memory_order_relaxed); }
  // A published value rather than a count (its one writer sets it).
  void set(uint64_t v) { value_.store(v, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

using Counter = BasicCounter<Writers::kOne>;
using SharedCounter = BasicCounter<Writers::kMany>;

// An address written by one lcore and read by another: a sequence lock over
// relaxed atomics, so a reader never sees half of one address and half of
// another (and there is no data race). The writer never waits.
class PublishedAddress {
 public:
  void store(const shm::Address& address) {
    uint64_t words[kWords] = {};
    std::memcpy(words, &address, sizeof address);
    const uint32_t seq = seq_.load(std::memory_order_relaxed);
    seq_.store(seq + 1, std::memory_order_relaxed);  // odd: being written
    std::atomic_thread_fence(std::memory_order_release);
    for (unsigned i = 0; i < kWords; ++i) words_[i].store(words[i], std::memory_order_relaxed);
    seq_.store(seq + 2, std::memory_order_release);
  }
  // A consistent copy; after `attempts` collisions with the writer, the
  // family-none address (the field is informational).
  shm::Address load(int attempts = 1000) const {
    for (int a = 0; a < attempts; ++a) {
      const uint32_t before = seq_.load(std::memory_order_acquire);
      if (before & 1u) continue;
      uint64_t words[kWords];
      for (unsigned i = 0; i < kWords; ++i) words[i] = words_[i].load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) != before) continue;
      shm::Address address;
      std::memcpy(&address, words, sizeof address);
      return address;
    }
    return shm::Address{};
  }

 private:
  static constexpr unsigned kWords = (sizeof(shm::Address) + 7) / 8;
  std::atomic<uint32_t> seq_{0};
  std::array<std::atomic<uint64_t>, kWords> words_{};
};

// Receive burst size histogram bucket: bit width of n minus one, so bucket
// 0 = 1 packet, 1 = 2-3, 2 = 4-7, ..., 7 = 128-255, 8 = 256 (the largest
// dataplane.burst). Empty polls are not counted (WorkerStats::burst_sizes).
inline constexpr unsigned burst_bucket(unsigned n) {
  const unsigned b = static_cast<unsigned>(std::bit_width(n)) - 1;
  return b < shm::kBurstBuckets ? b : shm::kBurstBuckets - 1;
}
static_assert(burst_bucket(1) == 0 && burst_bucket(3) == 1 && burst_bucket(255) == 7 &&
              burst_bucket(256) == 8);

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
  std::array<Counter, shm::kBurstBuckets> burst_sizes;  // non-empty rx bursts (burst_bucket)
  // Punt path (punt_path.cpp). punts[kind] counts every packet classified as
  // a punt; those below never reached the control plane.
  Counter punt_policed_peer;           // denied by the per-peer token bucket
  Counter punt_policed_global;         // denied by the worker's global token bucket
  Counter punt_ring_full;              // punts, samples and captures lost to a full punt ring
  Counter security_samples;            // kSecuritySample records published
  Counter captured_drops;              // kDropCapture records published
  PublishedAddress last_policed_peer;  // outer source of the last punt the peer bucket denied

  void drop(DropReason r, uint64_t n = 1) { drops[static_cast<size_t>(r)].add(n); }
  void punt(PuntKind k, uint64_t n = 1) { punts[static_cast<size_t>(k)].add(n); }
  void burst(unsigned n) { burst_sizes[burst_bucket(n)].add(); }
};

}  // namespace softwire::dp
