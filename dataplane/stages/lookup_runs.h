// Burst lookups that skip repeated keys. A burst usually carries runs of one
// key (one SA, one session, one subscriber address): each run is looked up
// once and its result copied to every packet of the run. Same results as one
// lookup per packet: within a burst the worker reports no quiescent state, so
// a table change racing the burst may show either the old or the new value,
// and it may do so for a whole run as well as for a single packet.
#pragma once

#include <cstdint>
#include <cstring>

#include "dataplane/proto/bytes.h"
#include "dataplane/worker_context.h"

namespace softwire::dp {

// keys[0..n) -> values[0..n) through table.lookup_bulk(keys, count, values),
// the hash tables' burst lookup (n <= kMaxBurst).
static_assert(kMaxBurst <= 256, "run indices are bytes");

template <class Table>
void lookup_runs(const Table& table, const uint32_t* keys, uint16_t n, uint32_t* values) {
  uint32_t unique[kMaxBurst];
  uint32_t found[kMaxBurst];
  uint8_t run[kMaxBurst];  // packet -> index into unique
  uint16_t count = 0;
  for (uint16_t i = 0; i < n; ++i) {
    if (count == 0 || keys[i] != unique[count - 1]) unique[count++] = keys[i];
    run[i] = static_cast<uint8_t>(count - 1);
  }
  if (count == n) {
    table.lookup_bulk(keys, n, values);
    return;
  }
  table.lookup_bulk(unique, count, found);
  for (uint16_t i = 0; i < n; ++i) values[i] = found[run[i]];
}

using proto::same_16;

}  // namespace softwire::dp
