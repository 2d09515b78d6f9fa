// The control plane's own counters, for /metrics and `softwire-ctl show
// counters`. Written by softwire-cp's main loop thread; read by the metrics
// exposer's thread (prometheus-cpp) and the operator socket. Relaxed atomics:
// each value is independent, no cross-field consistency is promised.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "shm/protocol.h"

namespace softwire::cp {

// Command latency (command pushed to the ring -> its reply), upper bounds in
// seconds; the last bucket is +Inf.
inline constexpr std::array<double, 12> kLatencyBounds = {
    0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.1, 1.0};

enum class SessionStateCode : uint8_t {
  kPending = 0,  // desired, command not yet acknowledged by the data plane
  kActive = 1,   // acknowledged
  kFailed = 2,   // the data plane refused it (see the log)
  kCount = 3,
};
inline constexpr std::array<const char*, 3> kSessionStateNames = {"pending", "active", "failed"};

struct CpMetrics {
  // Commands, by type (shm::MessageType value < 16) and outcome.
  std::atomic<uint64_t> commands_sent{0};
  std::atomic<uint64_t> commands_failed{0};  // replies with status != kOk
  std::atomic<uint64_t> commands_queued{0};  // waiting for room in the command ring now (gauge)
  // Latency histogram: cumulative=false counts per bucket (kLatencyBounds.size() + 1 for +Inf).
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> latency_buckets{};
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> latency_sum_ns{0};

  // Punted packets received from the data plane, by punt kind index (the
  // stats area's punt kind names), and what was done with them.
  std::array<std::atomic<uint64_t>, shm::kMaxPuntKinds> punts_received{};
  std::atomic<uint64_t> security_samples{0};
  std::atomic<uint64_t> drop_captures{0};
  std::atomic<uint64_t> lcp_echo_replies{0};
  std::atomic<uint64_t> punts_malformed{0};
  std::atomic<uint64_t> inject_ring_full{0};
  std::atomic<uint64_t> security_events{0};      // records written to the security log
  std::atomic<uint64_t> security_suppressed{0};  // records the rate limit suppressed

  // Desired state (gauges).
  std::array<std::atomic<uint64_t>, static_cast<size_t>(SessionStateCode::kCount)> sessions{};
  std::atomic<uint64_t> sas_desired{0};

  // Data plane relationship.
  std::atomic<uint64_t> dp_generation{0};   // the generation the cp is synchronised with (gauge)
  std::atomic<uint64_t> dp_connected{0};    // 1 while attached to a live data plane (gauge)
  std::atomic<uint64_t> reconciles{0};      // dumps reconciled (cp start, reattach)
  std::atomic<uint64_t> replays{0};         // full replays after a generation change
  std::atomic<uint64_t> config_reloads{0};  // SIGHUP reloads applied
  std::atomic<uint64_t> config_reload_errors{0};
  std::atomic<uint64_t> started_ns{0};  // CLOCK_REALTIME when softwire-cp started

  void observe_latency(uint64_t ns) {
    size_t b = 0;
    while (b < kLatencyBounds.size() && double(ns) * 1e-9 > kLatencyBounds[b]) ++b;
    latency_buckets[b].fetch_add(1, std::memory_order_relaxed);
    latency_count.fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns.fetch_add(ns, std::memory_order_relaxed);
  }
};

}  // namespace softwire::cp
