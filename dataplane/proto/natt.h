// UDP encapsulation of ESP for NAT traversal (RFC 3948). A UDP/4500 payload
// is one of
//   - a NAT-keepalive: the single byte 0xFF (§2.3),
//   - IKE behind a non-ESP marker: four zero bytes, then the IKE header
//     (§2.2; the marker takes the place of a zero SPI),
//   - ESP: starting with its (non-zero) SPI (§2.1).
// parse_natt() only classifies; the ESP codec validates the ESP packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

inline constexpr uint16_t kNattPort = 4500;
inline constexpr size_t kNattKeepaliveSize = 1;
inline constexpr uint8_t kNattKeepaliveByte = 0xff;
inline constexpr size_t kNattNonEspMarkerSize = 4;
inline constexpr size_t kNattIkeHeaderSize = 28;  // IKEv1 and IKEv2 fixed header
inline constexpr size_t kNattMinEspSize = 8;      // SPI + sequence number

enum class NattStatus : uint8_t {
  kOk,
  kTruncated,     // empty, or shorter than an ESP SPI + sequence number
  kBadKeepalive,  // a single byte other than 0xFF
  kTruncatedIke,  // non-ESP marker not followed by a whole IKE header
};

enum class NattKind : uint8_t {
  kEsp,
  kIke,
  kKeepalive,
};

std::string_view to_string(NattStatus status);
std::string_view to_string(NattKind kind);

struct NattPayload {
  NattKind kind = NattKind::kEsp;
  // ESP: the whole UDP payload (starts at the SPI). IKE: the bytes after the
  // non-ESP marker. Keepalive: empty (at the end of the input).
  ConstBytes payload;
};

inline NattStatus parse_natt(ConstBytes udp_payload, NattPayload& out) {
  const size_t size = udp_payload.size();
  if (size >= kNattMinEspSize) [[likely]] {
    if (load_be32(udp_payload.data()) != 0) {
      out.kind = NattKind::kEsp;
      out.payload = udp_payload;
      return NattStatus::kOk;
    }
    if (size < kNattNonEspMarkerSize + kNattIkeHeaderSize) return NattStatus::kTruncatedIke;
    out.kind = NattKind::kIke;
    out.payload = udp_payload.subspan(kNattNonEspMarkerSize);
    return NattStatus::kOk;
  }
  if (size == kNattKeepaliveSize) {
    if (udp_payload[0] != kNattKeepaliveByte) return NattStatus::kBadKeepalive;
    out.kind = NattKind::kKeepalive;
    out.payload = udp_payload.subspan(kNattKeepaliveSize);
    return NattStatus::kOk;
  }
  // A marker with a few bytes after it is still an IKE packet cut short.
  if (size >= kNattNonEspMarkerSize && load_be32(udp_payload.data()) == 0) {
    return NattStatus::kTruncatedIke;
  }
  return NattStatus::kTruncated;
}

// Writes the single keepalive byte. Returns 1, or 0 if out is empty.
inline size_t build_natt_keepalive(MutableBytes out) {
  if (out.size() < kNattKeepaliveSize) return 0;
  out[0] = kNattKeepaliveByte;
  return kNattKeepaliveSize;
}

// Writes the four-byte non-ESP marker that precedes IKE on port 4500.
// Returns 4, or 0 if it does not fit.
inline size_t build_natt_non_esp_marker(MutableBytes out) {
  if (out.size() < kNattNonEspMarkerSize) return 0;
  store_be32(out.data(), 0);
  return kNattNonEspMarkerSize;
}

}  // namespace softwire::proto
