// uint32 key -> uint32 index over rte_hash, shared by SpiTable and
// SessionTable (internal to dataplane/tables).
//
// Concurrency: RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF (lock-free readers, one
// writer) with the hash's own RCU integration (rte_hash_rcu_qsbr_add, DQ
// mode, present and stable in 22.11): a deleted key's slot (and extendable
// bucket) returns to the free list only after a grace period, so a reader
// that found the key a moment ago never sees its slot rewritten under it.
// The value is stored inline in the data pointer: a reader gets either the
// old or the new index of a key that is being replaced (one atomic pointer
// store), never a torn one.
//
// RTE_HASH_EXTRA_FLAGS_EXT_TABLE makes the capacity exact: every key up to
// `capacity` fits whatever the cuckoo collisions.
#pragma once

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <cstdint>
#include <string>

#include "dataplane/tables/rcu.h"
#include "dataplane/tables/status.h"

namespace softwire::tables {

class IndexHash {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;
  // rte_hash bulk lookups take at most 64 keys and return a 64-bit hit mask.
  static constexpr unsigned kMaxBurst = RTE_HASH_LOOKUP_BULK_MAX;

  // name: unique per process, at most 15 characters (the hash's RCU defer
  // queue ring is named "RCU_HASH_RCU_<name>"). Throws std::system_error.
  IndexHash(std::string name, uint32_t capacity, Rcu& rcu, int socket_id);
  ~IndexHash();
  IndexHash(const IndexHash&) = delete;
  IndexHash& operator=(const IndexHash&) = delete;

  // --- writer (main lcore) ---------------------------------------------------
  TableStatus add(uint32_t key, uint32_t value);
  TableStatus replace(uint32_t key, uint32_t value);
  TableStatus remove(uint32_t key);
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }

  // --- readers (workers) -----------------------------------------------------
  // The signature the hash uses for `key`: CRC32-C, one instruction.
  static uint32_t signature(uint32_t key) { return rte_hash_crc_4byte(key, kHashSeed); }

  uint32_t lookup(uint32_t key) const {
    void* data;
    if (rte_hash_lookup_data(hash_, &key, &data) < 0) return kNotFound;
    return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
  }
  // n <= kMaxBurst. values[i] = index or kNotFound; returns the hit mask.
  uint64_t lookup_bulk(const uint32_t* keys, unsigned n, uint32_t* values) const;
  // Same with signatures the caller already computed (signature()), e.g. to
  // pick the owning worker: saves the hash computation inside the lookup.
  uint64_t lookup_bulk(const uint32_t* keys, const uint32_t* signatures, unsigned n,
                       uint32_t* values) const;

 private:
  static constexpr uint32_t kHashSeed = 0;
  static void* to_data(uint32_t value) { return reinterpret_cast<void*>(uintptr_t{value}); }

  std::string name_;
  Rcu& rcu_;
  uint32_t capacity_;
  // Shared: the writer inserts/deletes (release stores inside rte_hash),
  // workers only look up.
  rte_hash* hash_ = nullptr;
  // Writer only.
  uint32_t size_ = 0;
};

}  // namespace softwire::tables
