// Sessions: (local tunnel id, local session id) -> session index. The session
// runtime lives in an array owned by the pipeline; this table maps keys to
// indices into it. Same concurrency scheme as SpiTable (see IndexHash).
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/tables/index_hash.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/status.h"

namespace softwire::tables {

// L2TPv2 ids as carried in the data header (host byte order here).
struct SessionKey {
  uint16_t tunnel_id;
  uint16_t session_id;

  // The packed form the table hashes; workers may build it directly.
  constexpr uint32_t packed() const { return (uint32_t{tunnel_id} << 16) | session_id; }
  friend constexpr bool operator==(SessionKey, SessionKey) = default;
};

class SessionTable {
 public:
  static constexpr uint32_t kNotFound = IndexHash::kNotFound;
  static constexpr unsigned kMaxBurst = IndexHash::kMaxBurst;
  static constexpr size_t kMaxNamePrefix = 8;

  // name_prefix: 1..8 characters, unique per instance. Throws on failure.
  SessionTable(std::string_view name_prefix, uint32_t max_sessions, Rcu& rcu, int socket_id);

  // --- writer (main lcore) ---------------------------------------------------
  TableStatus add(SessionKey key, uint32_t session_index) {
    return hash_.add(key.packed(), session_index);
  }
  TableStatus replace(SessionKey key, uint32_t session_index) {
    return hash_.replace(key.packed(), session_index);
  }
  TableStatus remove(SessionKey key) { return hash_.remove(key.packed()); }
  uint32_t size() const { return hash_.size(); }
  uint32_t capacity() const { return hash_.capacity(); }

  // --- readers (workers) -----------------------------------------------------
  uint32_t lookup(SessionKey key) const { return hash_.lookup(key.packed()); }
  // packed_keys[i] = SessionKey::packed(); n <= kMaxBurst; returns the hit mask.
  uint64_t lookup_bulk(const uint32_t* packed_keys, unsigned n, uint32_t* session_indices) const {
    return hash_.lookup_bulk(packed_keys, n, session_indices);
  }
  static uint32_t signature(uint32_t packed_key) { return IndexHash::signature(packed_key); }
  uint64_t lookup_bulk(const uint32_t* packed_keys, const uint32_t* signatures, unsigned n,
                       uint32_t* session_indices) const {
    return hash_.lookup_bulk(packed_keys, signatures, n, session_indices);
  }

 private:
  IndexHash hash_;
};

}  // namespace softwire::tables
