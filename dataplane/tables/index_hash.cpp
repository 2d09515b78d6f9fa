#include "dataplane/tables/index_hash.h"

#include <rte_errno.h>

#include <algorithm>
#include <cstring>

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {
namespace {

// Deleted keys hold their slot for a grace period; headroom keeps add-after-
// delete churn from waiting for readers.
uint32_t hash_entries(uint32_t capacity) {
  // 8 = RTE_HASH_BUCKET_ENTRIES (private to rte_hash), also its minimum size.
  const uint32_t headroom = std::max<uint32_t>(8, capacity / 16);
  return capacity + headroom;
}

// The value is inline in the data pointer: nothing to free with the key.
void free_nothing(void* /*context*/, void* /*key_data*/) {}

// rte_hash compares keys of lengths it has no special case for (4 is not
// one) with memcmp; a 4-byte load and compare is what a lookup needs.
// Returns 0 when equal, like memcmp.
int key_differs(const void* a, const void* b, size_t /*key_len == 4*/) {
  uint32_t x, y;
  std::memcpy(&x, a, sizeof x);
  std::memcpy(&y, b, sizeof y);
  return x != y;
}

}  // namespace

IndexHash::IndexHash(std::string name, uint32_t capacity, Rcu& rcu, int socket_id)
    : name_(std::move(name)), rcu_(rcu), capacity_(capacity) {
  rte_hash_parameters params{};
  params.name = name_.c_str();
  params.entries = hash_entries(capacity);
  params.key_len = sizeof(uint32_t);
  params.hash_func = rte_hash_crc;
  params.hash_func_init_val = kHashSeed;
  params.socket_id = socket_id;
  params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr) throw_dpdk_error(rte_errno, "rte_hash_create", name_);
  // A function pointer in the hash: valid in this process only, and tables
  // are never shared with a secondary process.
  rte_hash_set_cmp_func(hash_, key_differs);

  rte_hash_rcu_config rcu_config{};
  rcu_config.v = rcu.qsbr();
  rcu_config.mode = RTE_HASH_QSBR_MODE_DQ;
  rcu_config.dq_size = params.entries;
  rcu_config.trigger_reclaim_limit = 0;  // reclaim a little at every delete
  rcu_config.max_reclaim_size = 64;
  rcu_config.free_key_data_func = free_nothing;
  if (rte_hash_rcu_qsbr_add(hash_, &rcu_config) != 0) {
    const int error = rte_errno;
    rte_hash_free(hash_);
    throw_dpdk_error(error, "rte_hash_rcu_qsbr_add", name_);
  }
}

IndexHash::~IndexHash() {
  // rte_hash_free deletes the defer queue only if nothing is pending.
  rte_rcu_qsbr_synchronize(rcu_.qsbr(), RTE_QSBR_THRID_INVALID);
  rte_hash_free(hash_);
}

TableStatus IndexHash::add(uint32_t key, uint32_t value) {
  if (value == kNotFound) return TableStatus::kInvalid;
  if (rte_hash_lookup(hash_, &key) >= 0) return TableStatus::kExists;
  if (size_ >= capacity_) return TableStatus::kFull;
  int ret = rte_hash_add_key_data(hash_, &key, to_data(value));
  if (ret == -ENOSPC) {
    // Every free slot is still in a grace period: wait for the readers, and
    // the hash reclaims on the retry.
    rte_rcu_qsbr_synchronize(rcu_.qsbr(), RTE_QSBR_THRID_INVALID);
    ret = rte_hash_add_key_data(hash_, &key, to_data(value));
  }
  if (ret == -ENOSPC) return TableStatus::kFull;
  if (ret < 0) return TableStatus::kInvalid;
  ++size_;
  return TableStatus::kOk;
}

TableStatus IndexHash::replace(uint32_t key, uint32_t value) {
  if (value == kNotFound) return TableStatus::kInvalid;
  if (rte_hash_lookup(hash_, &key) < 0) return TableStatus::kNotFound;
  // An existing key: rte_hash updates the data pointer in place with a
  // store-release, no slot is allocated.
  return rte_hash_add_key_data(hash_, &key, to_data(value)) == 0 ? TableStatus::kOk
                                                                 : TableStatus::kInvalid;
}

TableStatus IndexHash::remove(uint32_t key) {
  const int32_t ret = rte_hash_del_key(hash_, &key);
  if (ret == -ENOENT) return TableStatus::kNotFound;
  if (ret < 0) return TableStatus::kInvalid;
  --size_;
  return TableStatus::kOk;
}

namespace {

uint64_t copy_out(uint64_t hit_mask, unsigned n, void* const* data, uint32_t* values) {
  for (unsigned i = 0; i < n; ++i) {
    values[i] = (hit_mask >> i) & 1 ? static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data[i]))
                                    : IndexHash::kNotFound;
  }
  return hit_mask;
}

}  // namespace

uint64_t IndexHash::lookup_bulk(const uint32_t* keys, unsigned n, uint32_t* values) const {
  const void* key_pointers[kMaxBurst];
  void* data[kMaxBurst];
  n = std::min(n, kMaxBurst);
  for (unsigned i = 0; i < n; ++i) key_pointers[i] = &keys[i];
  uint64_t hit_mask = 0;
  if (n == 0 || rte_hash_lookup_bulk_data(hash_, key_pointers, n, &hit_mask, data) < 0) {
    hit_mask = 0;
  }
  return copy_out(hit_mask, n, data, values);
}

uint64_t IndexHash::lookup_bulk(const uint32_t* keys, const uint32_t* signatures, unsigned n,
                                uint32_t* values) const {
  const void* key_pointers[kMaxBurst];
  void* data[kMaxBurst];
  n = std::min(n, kMaxBurst);
  for (unsigned i = 0; i < n; ++i) key_pointers[i] = &keys[i];
  uint64_t hit_mask = 0;
  // The API takes a non-const signature array but only reads it.
  if (n == 0 ||
      rte_hash_lookup_with_hash_bulk_data(hash_, key_pointers, const_cast<hash_sig_t*>(signatures),
                                          n, &hit_mask, data) < 0) {
    hit_mask = 0;
  }
  return copy_out(hit_mask, n, data, values);
}

}  // namespace softwire::tables
