// Token buckets that keep punted control traffic from flooding the control
// plane (RFC 5619 §3.3 and the MPLS-TP framework's DoS mitigation): one
// bucket per peer, hashed, and one global bucket, per worker.
//
// Each worker owns its policer: no atomics, no sharing. The configured rates
// and bursts (ControlConfig::punt_*) therefore apply per worker: with W
// workers a peer may punt up to W times its rate if RSS spreads its packets
// over several workers (it usually does not: one peer is one flow).
//
// Time is the TSC, read through an injectable clock so that tests are
// deterministic.
#pragma once

#include <cstdint>
#include <memory>

#include "shm/protocol.h"

namespace softwire::dp {

// A cycle counter and its frequency. `read(context)` returns the current
// count; the default reads rte_rdtsc().
struct TscClock {
  uint64_t (*read)(const void* context) = nullptr;
  const void* context = nullptr;
  uint64_t hz = 0;

  uint64_t now() const { return read(context); }
  static TscClock tsc();  // rte_rdtsc at rte_get_tsc_hz()
};

// Rate (tokens per second) and burst (bucket size) of a family of buckets,
// in the units the buckets count: one token = `hz` units, so that refilling
// is one multiplication per take.
class BucketParams {
 public:
  BucketParams() = default;
  BucketParams(uint32_t rate, uint32_t burst, uint64_t hz);
  uint64_t capacity() const { return capacity_; }

 private:
  friend class TokenBucket;
  uint64_t rate_ = 0;         // tokens per second
  uint64_t cost_ = 0;         // one token: hz units
  uint64_t capacity_ = 0;     // burst * hz
  uint64_t fill_cycles_ = 0;  // cycles from empty to full (caps the refill product)
};

// 16 bytes: the per-peer table is an array of these.
class TokenBucket {
 public:
  // Starts full.
  explicit TokenBucket(const BucketParams& params) : tokens_(params.capacity_) {}
  TokenBucket() = default;
  // Refills for the cycles since the last call, then takes one token if
  // there is one.
  bool take(const BucketParams& params, uint64_t now);

 private:
  uint64_t tokens_ = 0;  // scaled by hz
  uint64_t last_ = 0;    // TSC of the last take
};

struct PuntLimits {
  uint32_t rate_per_peer = 200, burst_per_peer = 50;
  uint32_t rate_global = 20000, burst_global = 2000;
};

class PuntPolicer {
 public:
  static constexpr unsigned kPeerBuckets = 4096;  // power of two

  enum class Verdict : uint8_t { kPass, kPeerDenied, kGlobalDenied };

  // `seed` keys the peer hash (random per worker, so that nobody can compute
  // which addresses share a victim's bucket).
  PuntPolicer(const PuntLimits& limits, uint64_t hz, uint64_t seed);
  // New rates and bursts; refills every bucket.
  void configure(const PuntLimits& limits, uint64_t hz);

  // Peer bucket first, so that a flooding peer is stopped by its own bucket
  // without draining the global one that the other peers share.
  Verdict admit(const shm::Address& peer, uint64_t now);

  // Peers are hashed into kPeerBuckets buckets: two peers may share one
  // (then they share its rate; accepted: the global bucket still bounds the
  // total and a collision only makes a peer stricter). IPv6 peers are keyed
  // by their /64, so that one subscriber cannot multiply its rate by rotating
  // interface identifiers.
  unsigned bucket_of(const shm::Address& peer) const;

 private:
  BucketParams peer_params_, global_params_;
  std::unique_ptr<TokenBucket[]> peers_;
  TokenBucket global_;
  uint64_t multiplier_;  // odd; multiply-shift hash key
};

}  // namespace softwire::dp
