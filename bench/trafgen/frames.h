// Frame construction, written from the RFCs and docs/architecture.md
// ("Data-plane behaviour"), independent of dataplane/proto and crypto/.
//
// up:   Ethernet / outer IPv4|IPv6 / ESP (RFC 4303, transport, AES-GCM per
//       RFC 4106) { UDP 1701 / L2TPv2 data (RFC 2661) / PPP ff03+proto /
//       inner IP / UDP } ESP trailer / ICV
// down: Ethernet / inner IP / UDP, towards a session's prefix
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "plan.h"

namespace softwire::trafgen {

// One's complement sum of `data` (RFC 1071), not folded, not inverted.
uint64_t checksum_add(uint64_t sum, std::span<const uint8_t> data);
uint16_t checksum_fold(uint64_t sum);

class FrameBuilder {
 public:
  explicit FrameBuilder(const Options& options);  // throws std::runtime_error
  ~FrameBuilder();
  FrameBuilder(const FrameBuilder&) = delete;
  FrameBuilder& operator=(const FrameBuilder&) = delete;

  // Frame of packet `index` (session index % sessions), in a buffer reused by
  // the next call. Packets must be built in increasing index order: each
  // up frame takes the next sequence number of its SA.
  std::span<const uint8_t> build(uint64_t index);

 private:
  struct Crypto;

  size_t write_inner(uint8_t* at, uint32_t session) const;
  std::span<const uint8_t> build_up(uint32_t session);
  std::span<const uint8_t> build_down(uint32_t session);

  const Options& options_;
  std::unique_ptr<Crypto> crypto_;
  std::vector<uint32_t> next_seq_;  // per SA pair, outbound from the SI
  std::vector<uint8_t> payload_;    // the inner UDP payload, same for every packet
  uint64_t payload_sum_ = 0;
  std::vector<uint8_t> frame_;
};

}  // namespace softwire::trafgen
