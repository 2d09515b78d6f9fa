// Adapts DPDK mbufs to the byte-span codecs. The data plane keeps packets in
// one segment (its mempool's data room holds a 9000-byte jumbo frame), so a
// multi-segment mbuf is reported as empty and ends in a malformed drop rather
// than being parsed partially.
#pragma once

#include <rte_mbuf.h>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

inline MutableBytes mbuf_bytes(rte_mbuf* m) {
  if (!rte_pktmbuf_is_contiguous(m)) return {};
  return {rte_pktmbuf_mtod(m, uint8_t*), rte_pktmbuf_data_len(m)};
}

inline ConstBytes mbuf_bytes(const rte_mbuf* m) {
  if (!rte_pktmbuf_is_contiguous(m)) return {};
  return {rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m)};
}

}  // namespace softwire::proto
