#include "dataplane/upstream.h"

#include <algorithm>

#include "dataplane/handoff.h"
#include "dataplane/stages/access_input.h"
#include "dataplane/stages/core_output.h"
#include "dataplane/stages/esp_decrypt.h"
#include "dataplane/stages/ingress_filter.h"
#include "dataplane/stages/l2tp_input.h"
#include "dataplane/stages/sa_lookup.h"

namespace softwire::dp {

namespace {

void owned_chunk(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  n = esp_decrypt(w, pkts, n);
  if (n == 0) return;
  n = l2tp_input(w, pkts, n);
  if (n == 0) return;
  n = ingress_filter(w, pkts, n);
  if (n == 0) return;
  core_output(w, pkts, n);
}

}  // namespace

void upstream_rx(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n) {
  while (n > 0) {
    uint16_t chunk = std::min<uint16_t>(n, kMaxBurst);
    rte_mbuf** p = pkts;
    pkts += chunk;
    n = static_cast<uint16_t>(n - chunk);
    chunk = access_input(w, port, p, chunk);
    if (chunk == 0) continue;
    chunk = sa_lookup(w, p, chunk);
    if (chunk == 0) continue;
    owned_chunk(w, p, chunk);
  }
}

void upstream_owned(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  n = drop_deleted(w, pkts, n, false);  // the owner looks the session up itself
  while (n > 0) {
    const uint16_t chunk = std::min<uint16_t>(n, kMaxBurst);
    owned_chunk(w, pkts, chunk);
    pkts += chunk;
    n = static_cast<uint16_t>(n - chunk);
  }
}

}  // namespace softwire::dp
