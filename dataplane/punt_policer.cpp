#include "dataplane/punt_policer.h"

#include <rte_cycles.h>

#include <bit>
#include <cstring>

namespace softwire::dp {

namespace {

uint64_t read_tsc(const void*) {
  return rte_rdtsc();
}

}  // namespace

TscClock TscClock::tsc() {
  return TscClock{&read_tsc, nullptr, rte_get_tsc_hz()};
}

BucketParams::BucketParams(uint32_t rate, uint32_t burst, uint64_t hz)
    : rate_(rate), cost_(hz), capacity_(uint64_t{burst} * hz) {
  // Beyond this many cycles the bucket is full anyway; capping the elapsed
  // time keeps elapsed * rate from overflowing after a long idle period.
  fill_cycles_ = rate == 0 ? 0 : capacity_ / rate_ + 1;
}

bool TokenBucket::take(const BucketParams& p, uint64_t now) {
  if (now > last_) {
    const uint64_t elapsed = now - last_;
    if (p.rate_ != 0) {
      if (elapsed >= p.fill_cycles_) {
        tokens_ = p.capacity_;
      } else {
        tokens_ += elapsed * p.rate_;
        if (tokens_ > p.capacity_) tokens_ = p.capacity_;
      }
    }
    last_ = now;
  }
  if (tokens_ < p.cost_ || p.cost_ == 0) return false;
  tokens_ -= p.cost_;
  return true;
}

PuntPolicer::PuntPolicer(const PuntLimits& limits, uint64_t hz, uint64_t seed)
    : peers_(std::make_unique<TokenBucket[]>(kPeerBuckets)), multiplier_(seed | 1u) {
  configure(limits, hz);
}

void PuntPolicer::configure(const PuntLimits& limits, uint64_t hz) {
  peer_params_ = BucketParams(limits.rate_per_peer, limits.burst_per_peer, hz);
  global_params_ = BucketParams(limits.rate_global, limits.burst_global, hz);
  for (unsigned i = 0; i < kPeerBuckets; ++i) peers_[i] = TokenBucket(peer_params_);
  global_ = TokenBucket(global_params_);
}

unsigned PuntPolicer::bucket_of(const shm::Address& peer) const {
  uint64_t key = 0;
  if (peer.family == shm::Family::kIpv6) {
    std::memcpy(&key, peer.bytes, 8);  // the /64
    key ^= 6;
  } else {
    uint32_t v4 = 0;
    std::memcpy(&v4, peer.bytes, 4);
    key = (uint64_t{v4} << 8) | static_cast<uint8_t>(peer.family);
  }
  // Multiply-shift (Dietzfelbinger): the top bits of key * odd multiplier.
  static_assert((kPeerBuckets & (kPeerBuckets - 1)) == 0);
  constexpr unsigned kBits = std::bit_width(kPeerBuckets) - 1;
  key ^= key >> 29;
  return static_cast<unsigned>((key * multiplier_) >> (64 - kBits));
}

PuntPolicer::Verdict PuntPolicer::admit(const shm::Address& peer, uint64_t now) {
  if (!peers_[bucket_of(peer)].take(peer_params_, now)) return Verdict::kPeerDenied;
  if (!global_.take(global_params_, now)) return Verdict::kGlobalDenied;
  return Verdict::kPass;
}

}  // namespace softwire::dp
