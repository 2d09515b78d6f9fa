// Creating (data plane) and attaching to (control plane) the shared-memory
// segment `/softwire-<instance>`. No DPDK: both processes use this.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "shm/protocol.h"
#include "shm/spsc_ring.h"

namespace softwire::shm {

struct SegmentSizes {
  uint32_t workers = 1;
  uint32_t sa_capacity = 0;
  uint32_t session_capacity = 0;
};

class AttachError : public std::runtime_error {
 public:
  enum class Reason { kNoSegment, kNotReady, kBadMagic, kVersionMismatch, kTooSmall, kSystem };
  AttachError(Reason reason, const std::string& what) : std::runtime_error(what), reason(reason) {}
  const Reason reason;
};

class Segment {
 public:
  // "/softwire-<instance>".
  static std::string name_for(const std::string& instance);

  // Data plane: refuses (std::runtime_error) when a live data plane already
  // owns the instance; otherwise unlinks a stale segment, creates a fresh one
  // with mode 0600, lays out rings and stats, and publishes the magic last.
  static Segment create(const std::string& instance, const SegmentSizes& sizes,
                        uint64_t generation);
  // Control plane: maps an existing segment read-write after checking its
  // magic, layout version and size. Throws AttachError.
  static Segment attach(const std::string& instance);

  Segment(Segment&& other) noexcept;
  Segment& operator=(Segment&& other) noexcept;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  SegmentHeader& header() const { return *reinterpret_cast<SegmentHeader*>(base_); }
  uint8_t* base() const { return base_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }

  RingView commands() const { return RingView(&header().commands, base_); }
  RingView replies() const { return RingView(&header().replies, base_); }
  RingView inject() const { return RingView(&header().inject, base_); }
  RingView punt(unsigned worker) const { return RingView(&header().punt[worker], base_); }
  SaStats* sa_stats() const { return reinterpret_cast<SaStats*>(base_ + header().stats.sa_offset); }
  SessionStats* session_stats() const {
    return reinterpret_cast<SessionStats*>(base_ + header().stats.session_offset);
  }

  // Control plane: true when the name now refers to another segment than
  // the one mapped (the data plane restarted) or to none.
  bool replaced() const;
  // Data plane, at a clean exit: marks dp_stopping and removes the name.
  void unlink();

 private:
  Segment(std::string name, uint8_t* base, size_t size, dev_t dev, ino_t inode)
      : name_(std::move(name)), base_(base), size_(size), dev_(dev), inode_(inode) {}

  std::string name_;
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  dev_t dev_ = 0;
  ino_t inode_ = 0;
};

// A consistent copy of the stats area.
struct StatsSnapshot {
  uint64_t generation = 0;
  StatsHeader header{};
  std::vector<SaStats> sas;            // sa_capacity entries (state kFree = unused)
  std::vector<SessionStats> sessions;  // session_capacity entries (in_use 0 = unused)
};

// Which tables read_stats() copies besides the header: none, the SA table
// (small enough to follow sequence numbers ten times a second), or both.
enum class StatsTables { kNone, kSas, kAll };

// Control plane: reads a consistent snapshot (epoch protocol) of the header
// and `tables`; the other tables of `out` are left as they were. False when
// the writer changed it during every one of `attempts` tries.
bool read_stats(const Segment& segment, StatsSnapshot& out, StatsTables tables = StatsTables::kAll,
                int attempts = 1000);

// Data plane: bracket every update of the stats area.
void begin_stats_update(const Segment& segment);
void end_stats_update(const Segment& segment);

// CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds.
uint64_t monotonic_ns();
uint64_t realtime_ns();

}  // namespace softwire::shm
