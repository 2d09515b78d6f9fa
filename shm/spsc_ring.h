// A single-producer/single-consumer ring of fixed-size records inside the
// shared-memory segment (layout: RingHeader in protocol.h).
//
// Hand-written rather than rte_ring because (1) the control plane must not
// need EAL or DPDK, and (2) crash recovery: the producer's whole state is the
// published `tail`, so a producer killed between writing a record and
// publishing it leaves nothing visible, and its replacement simply continues
// from `tail`. rte_ring keeps a separate head and tail per side; a dead
// single producer leaves prod.head ahead of prod.tail, and the next one would
// publish the torn slots. See docs/architecture.md, "The control channel".
#pragma once

#include <cstdint>
#include <cstring>

#include "shm/protocol.h"

namespace softwire::shm {

class RingView {
 public:
  RingView() = default;
  RingView(RingHeader* header, uint8_t* segment_base)
      : header_(header), slots_(segment_base + header->offset) {}

  bool valid() const { return header_ != nullptr; }
  uint32_t records() const { return header_->records; }
  uint32_t record_size() const { return header_->record_size; }

  // ---- Producer side.
  // The slot for the next record, or nullptr when the ring is full. Nothing
  // is visible to the consumer until publish().
  uint8_t* reserve() const {
    const uint64_t tail = header_->tail.load(std::memory_order_relaxed);
    const uint64_t head = header_->head.load(std::memory_order_acquire);
    if (tail - head >= header_->records) return nullptr;
    return slot(tail);
  }
  void publish() const {
    header_->tail.store(header_->tail.load(std::memory_order_relaxed) + 1,
                        std::memory_order_release);
  }
  // Copies `size` bytes (<= record_size) into the next slot and publishes it.
  // False (and `full` counted) when the ring is full.
  bool push(const void* record, size_t size) const {
    uint8_t* s = reserve();
    if (s == nullptr) {
      header_->full.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    std::memcpy(s, record, size);
    publish();
    return true;
  }

  // ---- Consumer side.
  // The oldest unconsumed record, or nullptr when empty. It stays valid until
  // pop(). A tail that ran more than `records` ahead of head (a corrupt or
  // foreign producer) reads as empty: see sane().
  uint8_t* peek() const {
    const uint64_t head = header_->head.load(std::memory_order_relaxed);
    const uint64_t tail = header_->tail.load(std::memory_order_acquire);
    if (head == tail || tail - head > header_->records) return nullptr;
    return slot(head);
  }
  void pop() const {
    header_->head.store(header_->head.load(std::memory_order_relaxed) + 1,
                        std::memory_order_release);
  }
  // Consumer: forget everything published so far (a restarted consumer that
  // cannot use its predecessor's records).
  void discard_all() const {
    header_->head.store(header_->tail.load(std::memory_order_acquire), std::memory_order_release);
  }

  // Either side.
  uint64_t depth() const {
    const uint64_t tail = header_->tail.load(std::memory_order_acquire);
    const uint64_t head = header_->head.load(std::memory_order_acquire);
    return tail - head <= header_->records ? tail - head : 0;
  }
  bool sane() const {
    const uint64_t tail = header_->tail.load(std::memory_order_acquire);
    const uint64_t head = header_->head.load(std::memory_order_acquire);
    return tail - head <= header_->records;
  }
  uint64_t full_count() const { return header_->full.load(std::memory_order_relaxed); }

 private:
  uint8_t* slot(uint64_t index) const {
    return slots_ + (index & (header_->records - 1)) * header_->record_size;
  }

  RingHeader* header_ = nullptr;
  uint8_t* slots_ = nullptr;
};

}  // namespace softwire::shm
