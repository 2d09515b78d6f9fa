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

#include "config/model.h"
#include "crypto/aead_engine.h"
#include "dataplane/counters.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/drop_reason.h"
#include "dataplane/punt_path.h"
#include "dataplane/punt_policer.h"
#include "shm/spsc_ring.h"

namespace softwire::dp {

inline constexpr uint16_t kMaxBurst = 64;     // packets a stage processes at once
inline constexpr uint16_t kMaxRxBurst = 256;  // largest dataplane.burst the config accepts

class WorkerContext {
 public:
  WorkerContext(unsigned index, DataplaneState& state, WorkerCounters& counters, uint16_t burst);
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  const unsigned index;         // 0..workers-1: queue id on every port, RCU thread id
  DataplaneState& state;        // read-only for this worker, except the SAs it owns
  WorkerCounters& counters;     // written by this worker only
  const uint16_t burst;
  crypto::AeadEngine engine;    // this thread's IMB_MGR

  // This worker's punt ring in the control-channel segment (this worker is
  // its only producer). Invalid (standalone mode): punted packets are counted
  // and freed, and there are no samples or captures.
  shm::RingView punt_ring;
  // Set once before the worker starts, then this worker's only.
  TscClock clock;
  PuntLimits punt_limits;              // ControlConfig's defaults until attach_punt_ring
  PuntPolicer policer;
  BucketParams sample_params;          // kSecuritySamplesPerSecond
  TokenBucket sample_bucket;

  // Before the worker starts: the punt ring and the policer limits.
  void attach_punt_ring(shm::RingView ring, const config::ControlConfig& control);
  static PuntLimits limits_of(const config::ControlConfig& control);
  // Another clock (tests); refills the policer and the sample bucket.
  void set_clock(const TscClock& c);

  // Counts and frees `m`. When a security sample is due or a drop capture is
  // armed, copies it to the punt ring first (one branch otherwise).
  void drop(rte_mbuf* m, DropReason reason) {
    counters.drop(reason);
    if (((kSampledReasons >> static_cast<unsigned>(reason)) & 1u) |
        state.drop_capture.armed.load(std::memory_order_relaxed)) [[unlikely]] {
      drop_to_ring(m, reason);
    }
    rte_pktmbuf_free(m);
  }
  // Counts `m` under `kind`, and hands it to the control plane when there is
  // one (policers, then the ring; punt_path.h says what each kind carries).
  // Frees `m`.
  void punt(rte_mbuf* m, PuntKind kind, const PuntSite& site) {
    counters.punt(kind);
    if (punt_ring.valid()) punt_to_ring(m, kind, site);
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
  // punt_path.cpp. Neither frees `m`.
  void punt_to_ring(rte_mbuf* m, PuntKind kind, const PuntSite& site);
  void drop_to_ring(rte_mbuf* m, DropReason reason);

  struct TxBuffer {
    std::array<rte_mbuf*, kMaxBurst> pkts;
    uint16_t count = 0;
  };
  std::array<TxBuffer, kMaxPorts> tx_{};
};

}  // namespace softwire::dp
