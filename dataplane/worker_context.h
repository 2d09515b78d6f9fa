// What every pipeline stage gets: the worker's own engine, counters and
// transmit buffers, and the shared state it only reads. Stages take it
// explicitly; there is no global mutable state.
//
// Stage convention: a stage processes pkts[0..n), drops, punts or sends what
// it must, compacts the packets that continue to the front of the array (in
// order) and returns how many continue.
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <vector>

#include "crypto/aead_engine.h"
#include "dataplane/counters.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/drop_reason.h"

namespace softwire::dp {

inline constexpr uint16_t kMaxBurst = 64;     // packets a stage processes at once
inline constexpr uint16_t kMaxRxBurst = 256;  // largest dataplane.burst the config accepts

class WorkerContext {
 public:
  WorkerContext(unsigned index, DataplaneState& state, WorkerCounters& counters, uint16_t burst)
      : index(index), state(state), counters(counters), burst(burst) {}
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  const unsigned index;         // 0..workers-1: queue id on every port, RCU thread id
  DataplaneState& state;        // read-only for this worker, except the SAs it owns
  WorkerCounters& counters;     // written by this worker only
  const uint16_t burst;
  crypto::AeadEngine engine;    // this thread's IMB_MGR

  void drop(rte_mbuf* m, DropReason reason) {
    counters.drop(reason);
    rte_pktmbuf_free(m);
  }
  // No control plane yet: punted packets are counted under their kind and freed.
  void punt(rte_mbuf* m, PuntKind kind) {
    counters.punt(kind);
    rte_pktmbuf_free(m);
  }

  // Queues `m` for transmission on port index `port`; flushed when full and
  // at the end of every loop iteration.
  void send(uint16_t port, rte_mbuf* m) {
    TxBuffer& tx = tx_[port];
    tx.pkts[tx.count++] = m;
    if (tx.count == tx.pkts.size()) flush(port);
  }
  void flush(uint16_t port);
  void flush_all();

  // Takes the packets queued for `port` without sending them (tests, and the
  // shutdown path); the caller owns them.
  std::vector<rte_mbuf*> take_tx(uint16_t port) {
    TxBuffer& tx = tx_[port];
    std::vector<rte_mbuf*> out(tx.pkts.begin(), tx.pkts.begin() + tx.count);
    tx.count = 0;
    return out;
  }

 private:
  struct TxBuffer {
    std::array<rte_mbuf*, kMaxBurst> pkts;
    uint16_t count = 0;
  };
  std::array<TxBuffer, kMaxPorts> tx_{};
};

}  // namespace softwire::dp
