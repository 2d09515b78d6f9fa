#include "dataplane/tables/slot_allocator.h"

#include <rte_malloc.h>

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {

SlotAllocator::SlotAllocator(std::string_view name_prefix, uint32_t capacity, Rcu& rcu,
                             int socket_id)
    : rcu_(rcu), capacity_(capacity) {
  const std::string name(name_prefix);
  // One spare element so that a zero capacity still gets valid pointers.
  free_ring_ = static_cast<uint32_t*>(rte_zmalloc_socket(
      name.c_str(), sizeof(uint32_t) * (size_t{capacity} + 1), RTE_CACHE_LINE_SIZE, socket_id));
  state_ = static_cast<uint8_t*>(
      rte_zmalloc_socket(name.c_str(), size_t{capacity} + 1, RTE_CACHE_LINE_SIZE, socket_id));
  if (free_ring_ == nullptr || state_ == nullptr) {
    rte_free(free_ring_);
    rte_free(state_);
    throw_dpdk_error(ENOMEM, "rte_zmalloc_socket", name);
  }
  for (uint32_t i = 0; i < capacity; ++i) free_ring_[i] = i;
  free_count_ = capacity;
}

SlotAllocator::~SlotAllocator() {
  rcu_.synchronize();  // runs every pending recycle() while `this` is alive
  rte_free(free_ring_);
  rte_free(state_);
}

uint32_t SlotAllocator::allocate() {
  if (free_count_ == 0) rcu_.reclaim();
  if (free_count_ == 0) return kNoSlot;
  const uint32_t index = free_ring_[head_];
  head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
  --free_count_;
  state_[index] = kAllocated;
  return index;
}

TableStatus SlotAllocator::release_after_grace(uint32_t index) {
  if (!is_allocated(index)) return TableStatus::kInvalid;
  state_[index] = kInGracePeriod;
  rcu_.defer(&SlotAllocator::recycle, this, index);
  return TableStatus::kOk;
}

void SlotAllocator::recycle(void* self, uint64_t value) {
  auto* allocator = static_cast<SlotAllocator*>(self);
  const auto index = static_cast<uint32_t>(value);
  uint32_t tail = allocator->head_ + allocator->free_count_;
  if (tail >= allocator->capacity_) tail -= allocator->capacity_;
  allocator->free_ring_[tail] = index;
  allocator->state_[index] = kFree;
  ++allocator->free_count_;
}

}  // namespace softwire::tables
