#include "dataplane/worker.h"

#include <rte_ethdev.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "dataplane/downstream.h"
#include "dataplane/upstream.h"

namespace softwire::dp {

WorkerContext::WorkerContext(unsigned index, DataplaneState& state, WorkerCounters& counters,
                             uint16_t burst)
    : index(index),
      state(state),
      counters(counters),
      burst(burst),
      clock(TscClock::tsc()),
      punt_limits(limits_of(config::ControlConfig{})),
      policer(punt_limits, clock.hz, rte_rand()),
      sample_params(kSecuritySamplesPerSecond, kSecuritySamplesPerSecond, clock.hz),
      sample_bucket(sample_params) {}

void WorkerContext::flush(uint16_t port) {
  TxBuffer& tx = tx_[port];
  if (tx.count == 0) return;
  const uint16_t sent =
      rte_eth_tx_burst(state.ports[port].port_id, static_cast<uint16_t>(index), tx.pkts.data(), tx.count);
  PortCounters& pc = counters.ports[port];
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < sent; ++i) bytes += rte_pktmbuf_pkt_len(tx.pkts[i]);
  pc.tx_packets.add(sent);
  pc.tx_bytes.add(bytes);
  for (uint16_t i = sent; i < tx.count; ++i) drop(tx.pkts[i], DropReason::tx_full);
  tx.count = 0;
}

void WorkerContext::flush_all() {
  for (uint16_t p = 0; p < state.ports.size(); ++p) flush(p);
}

unsigned poll_once(WorkerContext& w) {
  // dataplane.burst may be up to 256; the pipelines process it 64 at a time.
  rte_mbuf* pkts[kMaxRxBurst];
  unsigned received = 0;
  const auto queue = static_cast<uint16_t>(w.index);
  for (uint16_t p = 0; p < w.state.ports.size(); ++p) {
    const PortState& port = w.state.ports[p];
    const uint16_t n = rte_eth_rx_burst(port.port_id, queue, pkts, w.burst);
    if (n == 0) continue;
    received += n;
    w.counters.burst(n);
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
    w.counters.ports[p].rx_packets.add(n);
    w.counters.ports[p].rx_bytes.add(bytes);
    if (port.role == config::PortRole::kAccess)
      upstream_rx(w, p, pkts, n);
    else
      downstream_rx(w, p, pkts, n);
  }
  // Packets other workers handed over because this worker owns their SA.
  unsigned n = rte_ring_sc_dequeue_burst(w.state.handoff_up[w.index], reinterpret_cast<void**>(pkts),
                                         w.burst, nullptr);
  if (n > 0) upstream_owned(w, pkts, static_cast<uint16_t>(n));
  received += n;
  n = rte_ring_sc_dequeue_burst(w.state.handoff_down[w.index], reinterpret_cast<void**>(pkts),
                                w.burst, nullptr);
  if (n > 0) downstream_owned(w, pkts, static_cast<uint16_t>(n));
  received += n;
  w.flush_all();
  return received;
}

void run_worker(WorkerContext& w, const std::atomic<bool>& stop) {
  tables::Rcu& rcu = w.state.rcu;
  rcu.register_reader(w.index);
  rcu.online(w.index);
  while (!stop.load(std::memory_order_relaxed)) {
    const unsigned received = poll_once(w);
    w.counters.polls.add();
    if (received > 0) w.counters.busy_polls.add();
    rcu.quiescent(w.index);
  }
  w.flush_all();
  rcu.offline(w.index);
  rcu.unregister_reader(w.index);
}

}  // namespace softwire::dp
