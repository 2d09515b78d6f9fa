// Inbound SAD: SPI -> SA index. The SA runtime itself lives in an array owned
// by the pipeline; this table only maps keys to indices into it.
//
// Readers (workers) look up lock-free; the main lcore alone adds, replaces and
// removes. After remove(), the SA index may still be in use by a reader until
// the next grace period: release it with SlotAllocator::release_after_grace().
// See IndexHash for the concurrency scheme.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/tables/index_hash.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/status.h"

namespace softwire::tables {

class SpiTable {
 public:
  static constexpr uint32_t kNotFound = IndexHash::kNotFound;
  static constexpr unsigned kMaxBurst = IndexHash::kMaxBurst;
  static constexpr size_t kMaxNamePrefix = 8;

  // name_prefix: 1..8 characters, unique per instance. Throws on failure.
  SpiTable(std::string_view name_prefix, uint32_t max_sas, Rcu& rcu, int socket_id);

  // --- writer (main lcore) ---------------------------------------------------
  // kExists if the SPI is present, kFull at max_sas, kInvalid if sa_index is
  // kNotFound.
  TableStatus add(uint32_t spi, uint32_t sa_index) { return hash_.add(spi, sa_index); }
  // Atomically points an existing SPI at another SA (readers see old or new).
  TableStatus replace(uint32_t spi, uint32_t sa_index) { return hash_.replace(spi, sa_index); }
  TableStatus remove(uint32_t spi) { return hash_.remove(spi); }
  uint32_t size() const { return hash_.size(); }
  uint32_t capacity() const { return hash_.capacity(); }

  // --- readers (workers); SPIs in host byte order -----------------------------
  uint32_t lookup(uint32_t spi) const { return hash_.lookup(spi); }
  // n <= kMaxBurst; sa_indices[i] = index or kNotFound; returns the hit mask.
  uint64_t lookup_bulk(const uint32_t* spis, unsigned n, uint32_t* sa_indices) const {
    return hash_.lookup_bulk(spis, n, sa_indices);
  }
  static uint32_t signature(uint32_t spi) { return IndexHash::signature(spi); }
  uint64_t lookup_bulk(const uint32_t* spis, const uint32_t* signatures, unsigned n,
                       uint32_t* sa_indices) const {
    return hash_.lookup_bulk(spis, signatures, n, sa_indices);
  }

 private:
  IndexHash hash_;
};

}  // namespace softwire::tables
