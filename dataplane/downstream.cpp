#include "dataplane/downstream.h"

#include <algorithm>

#include "dataplane/handoff.h"
#include "dataplane/stages/access_output.h"
#include "dataplane/stages/core_input.h"
#include "dataplane/stages/esp_encrypt.h"
#include "dataplane/stages/l2tp_encap.h"

namespace softwire::dp {

namespace {

// Stages keep per-packet scratch for at most kMaxBurst packets.
void owned_chunk(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  n = l2tp_encap(w, pkts, n);
  n = esp_encrypt(w, pkts, n);
  access_output(w, pkts, n);
}

}  // namespace

void downstream_rx(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n) {
  for (uint16_t done = 0; done < n;) {
    const uint16_t chunk = std::min<uint16_t>(kMaxBurst, n - done);
    const uint16_t kept = core_input(w, port, pkts + done, chunk);
    owned_chunk(w, pkts + done, kept);
    done += chunk;
  }
}

void downstream_owned(WorkerContext& w, rte_mbuf** pkts, uint16_t n) {
  n = drop_deleted(w, pkts, n, true);
  for (uint16_t done = 0; done < n;) {
    const uint16_t chunk = std::min<uint16_t>(kMaxBurst, n - done);
    owned_chunk(w, pkts + done, chunk);
    done += chunk;
  }
}

}  // namespace softwire::dp
