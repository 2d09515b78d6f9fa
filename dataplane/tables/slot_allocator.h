// Free list of SA or session indices with RCU-deferred recycling. The objects
// the indices point to live in arrays owned by the pipeline; this class only
// decides which index is free.
//
// Main lcore only (the single writer): workers never allocate or release.
// release_after_grace() is called after the index has been removed from every
// table that can lead a worker to it; the index becomes allocatable again only
// after an RCU grace period, so a worker still holding it from a lookup keeps
// seeing the old object until its next quiescent state. Released indices are
// reused in FIFO order, which keeps a recycled index idle as long as possible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/tables/rcu.h"
#include "dataplane/tables/status.h"

namespace softwire::tables {

class SlotAllocator {
 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  // name_prefix only labels the DPDK allocations. Throws on failure.
  SlotAllocator(std::string_view name_prefix, uint32_t capacity, Rcu& rcu, int socket_id);
  // Waits for pending grace periods so no deferred action outlives this.
  ~SlotAllocator();
  SlotAllocator(const SlotAllocator&) = delete;
  SlotAllocator& operator=(const SlotAllocator&) = delete;

  // An index in [0, capacity), or kNoSlot when every index is in use or still
  // in its grace period (it reclaims finished grace periods first).
  uint32_t allocate();
  // kInvalid if the index is out of range or not currently allocated (double
  // release); kOk otherwise.
  TableStatus release_after_grace(uint32_t index);

  uint32_t capacity() const { return capacity_; }
  uint32_t free_count() const { return free_count_; }
  // Allocated, plus released but still waiting for the grace period.
  uint32_t in_use() const { return capacity_ - free_count_; }
  bool is_allocated(uint32_t index) const {
    return index < capacity_ && state_[index] == kAllocated;
  }

 private:
  enum : uint8_t { kFree = 0, kAllocated = 1, kInGracePeriod = 2 };
  static void recycle(void* self, uint64_t index);

  Rcu& rcu_;
  uint32_t capacity_;
  // All below: main lcore only. free_ring_ is a FIFO of free indices.
  uint32_t* free_ring_ = nullptr;
  uint8_t* state_ = nullptr;
  uint32_t head_ = 0;  // next index to hand out
  uint32_t free_count_ = 0;
};

}  // namespace softwire::tables
