// Drop capture (shm::CaptureRequest, message kCapture): the workers copy the
// next `count` dropped packets that match a filter into their punt rings as
// shm::PacketKind::kDropCapture. DataplaneState holds one; the main lcore's
// control server arms it, every worker reads it on every drop.
//
// Cost when off: drop() loads `armed` (relaxed; a line nobody writes while
// off) next to its sampling test, one predictable branch.
//
// Protocol. Arm (main lcore): armed = 0, filter, remaining = count, then
// armed = 1 (release). Worker: armed (relaxed) -> armed (acquire), match the
// filter, reserve a punt ring slot, then claim one with remaining.fetch_sub;
// a claim that finds remaining <= 0 publishes nothing, and the worker whose
// claim takes the last one (remaining was 1) stores armed = 0. So exactly
// `count` packets are captured over all workers, unless a ring is full.
// Re-arming while a capture runs is allowed but may end the new capture early
// or let one packet of the old filter through (a worker between its claim and
// its store); the filter fields are atomics, so that race is not undefined
// behaviour.
#pragma once

#include <atomic>
#include <cstdint>

#include "shm/protocol.h"

namespace softwire::dp {

// On its own cache line: workers write `remaining` while a capture runs.
struct alignas(64) DropCapture {
  static constexpr uint8_t kAnyReason = 0xff;

  // Written by the main lcore (arm/disarm) and by the worker that takes the
  // last packet (disarm); read by every worker on every drop.
  std::atomic<uint32_t> armed{0};
  // Filter: written by the main lcore while disarmed, read by workers after
  // they load armed == 1 (acquire).
  std::atomic<uint8_t> reason{kAnyReason};          // drop reason index, or kAnyReason
  std::atomic<uint32_t> session_index{shm::kNone};  // kNone = any session
  // Packets still to capture: set by the main lcore, claimed by workers.
  std::atomic<int64_t> remaining{0};

  // Main lcore. count 0 only disarms.
  void arm(uint8_t drop_reason, uint32_t session, uint32_t count) {
    armed.store(0, std::memory_order_relaxed);
    if (count == 0) return;
    reason.store(drop_reason, std::memory_order_relaxed);
    session_index.store(session, std::memory_order_relaxed);
    remaining.store(count, std::memory_order_relaxed);
    armed.store(1, std::memory_order_release);
  }
  void disarm() { armed.store(0, std::memory_order_relaxed); }
};

}  // namespace softwire::dp
