// ESP (RFC 4303) as used with AES-GCM (RFC 4106) and AES-GMAC (RFC 4543):
// an 8-byte explicit IV after SPI and sequence number, a 16-byte ICV at the
// end. 64-bit extended sequence numbers are not carried on the wire, so the
// header is always SPI | seq | IV.
//
//   +--------+--------+------------------------------------+--------+
//   | SPI 4  | seq 4  | IV 8 | payload | pad | padlen | nh  | ICV 16 |
//   +--------+--------+------+-----------------------------+--------+
//                             \__ ciphertext (multiple of 4) _/
//
// parse_esp() runs before decryption and only splits the packet;
// parse_esp_trailer() runs on the decrypted ciphertext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

inline constexpr size_t kEspSpiSeqSize = 8;  // SPI + seq: the AES-GCM AAD without ESN
inline constexpr size_t kEspIvSize = 8;
inline constexpr size_t kEspHeaderSize = kEspSpiSeqSize + kEspIvSize;
inline constexpr size_t kEspIcvSize = 16;
inline constexpr size_t kEspTrailerFixedSize = 2;  // pad length + next header
inline constexpr size_t kEspAlignment = 4;         // RFC 4303 §2.4: ciphertext ends on 32 bits
inline constexpr size_t kEspMaxPadLength = 255;
// Smallest packet: header, one aligned word holding at least the trailer, ICV.
inline constexpr size_t kEspMinPacketSize = kEspHeaderSize + kEspAlignment + kEspIcvSize;
// SPI 0 is reserved for local use and 1..255 by IANA (RFC 4303 §2.1).
inline constexpr uint32_t kEspFirstValidSpi = 256;

// Next Header values the data plane may see after decryption.
inline constexpr uint8_t kEspNextHeaderIpv4 = 4;    // tunnel mode
inline constexpr uint8_t kEspNextHeaderUdp = 17;    // transport mode
inline constexpr uint8_t kEspNextHeaderIpv6 = 41;   // tunnel mode
inline constexpr uint8_t kEspNextHeaderDummy = 59;  // "no next header": dummy packet (§2.6)

enum class EspStatus : uint8_t {
  kOk,
  kTruncated,     // too short for header + one aligned word + ICV (or trailer)
  kZeroSpi,       // SPI 0: local use only, never on the wire
  kReservedSpi,   // SPI 1..255: reserved by IANA
  kBadAlignment,  // ciphertext length not a multiple of 4
  kBadPadLength,  // pad length larger than the plaintext can hold
  kBadPadding,    // padding bytes are not 1, 2, 3, ...
};

std::string_view to_string(EspStatus status);

// The packet split into its parts; all spans point into the parsed input.
struct EspPacket {
  uint32_t spi = 0;
  uint32_t seq = 0;
  uint64_t iv = 0;        // the 8 IV bytes as a big-endian number
  ConstBytes header;      // SPI | seq | IV (kEspHeaderSize bytes); AAD is its first 8
  ConstBytes ciphertext;  // starts at kEspHeaderSize
  ConstBytes icv;         // the last kEspIcvSize bytes
};

// Splits an ESP packet (starting at the SPI) before decryption.
inline EspStatus parse_esp(ConstBytes packet, EspPacket& out) {
  if (packet.size() < kEspMinPacketSize) return EspStatus::kTruncated;
  const uint8_t* p = packet.data();
  const uint32_t spi = load_be32(p);
  if (spi < kEspFirstValidSpi) [[unlikely]] {
    return spi == 0 ? EspStatus::kZeroSpi : EspStatus::kReservedSpi;
  }
  const size_t ciphertext_size = packet.size() - kEspHeaderSize - kEspIcvSize;
  if (ciphertext_size % kEspAlignment != 0) return EspStatus::kBadAlignment;
  out.spi = spi;
  out.seq = load_be32(p + 4);
  out.iv = load_be64(p + kEspSpiSeqSize);
  out.header = packet.first(kEspHeaderSize);
  out.ciphertext = packet.subspan(kEspHeaderSize, ciphertext_size);
  out.icv = packet.last(kEspIcvSize);
  return EspStatus::kOk;
}

struct EspTrailer {
  ConstBytes payload;  // plaintext before the padding
  uint8_t pad_length = 0;
  uint8_t next_header = 0;
  // Next header 59: a dummy (traffic flow confidentiality) packet that the
  // receiver drops silently rather than counting as an error.
  bool is_dummy = false;
};

// Checks the trailer at the end of a decrypted ciphertext. The next header is
// returned unchecked: which values are acceptable depends on the SA's mode.
inline EspStatus parse_esp_trailer(ConstBytes plaintext, EspTrailer& out) {
  if (plaintext.size() < kEspTrailerFixedSize) return EspStatus::kTruncated;
  const size_t trailer_start = plaintext.size() - kEspTrailerFixedSize;
  const uint8_t pad_length = plaintext[trailer_start];
  if (pad_length > trailer_start) return EspStatus::kBadPadLength;
  const size_t payload_size = trailer_start - pad_length;
  // Default padding is 1, 2, 3, ... (RFC 4303 §2.4); OR the differences so the
  // loop has no early exit to mispredict.
  const uint8_t* padding = plaintext.data() + payload_size;
  unsigned mismatch = 0;
  for (size_t i = 0; i < pad_length; ++i) mismatch |= padding[i] ^ static_cast<uint8_t>(i + 1);
  if (mismatch != 0) return EspStatus::kBadPadding;
  out.payload = plaintext.first(payload_size);
  out.pad_length = pad_length;
  out.next_header = plaintext[trailer_start + 1];
  out.is_dummy = out.next_header == kEspNextHeaderDummy;
  return EspStatus::kOk;
}

struct EspHeaderFields {
  uint32_t spi = 0;
  uint32_t seq = 0;
  uint64_t iv = 0;
};

// Writes SPI | seq | IV. Returns kEspHeaderSize, or 0 if it does not fit or
// the SPI is reserved (0..255).
inline size_t build_esp_header(MutableBytes out, const EspHeaderFields& fields) {
  if (out.size() < kEspHeaderSize || fields.spi < kEspFirstValidSpi) return 0;
  uint8_t* p = out.data();
  store_be32(p, fields.spi);
  store_be32(p + 4, fields.seq);
  store_be64(p + kEspSpiSeqSize, fields.iv);
  return kEspHeaderSize;
}

// Payload + padding + pad length + next header, rounded up to 4 bytes: the
// ciphertext length for a payload of payload_size bytes.
constexpr size_t esp_padded_length(size_t payload_size) {
  return (payload_size + kEspTrailerFixedSize + kEspAlignment - 1) & ~(kEspAlignment - 1);
}
// Bytes the trailer adds after the payload (padding, pad length, next header).
constexpr size_t esp_trailer_length(size_t payload_size) {
  return esp_padded_length(payload_size) - payload_size;
}
// Whole ESP packet: header, ciphertext, ICV.
constexpr size_t esp_packet_length(size_t payload_size) {
  return kEspHeaderSize + esp_padded_length(payload_size) + kEspIcvSize;
}

struct EspTrailerFields {
  size_t payload_size = 0;  // decides the padding
  uint8_t next_header = 0;
};

// Writes padding (1, 2, 3, ...), pad length and next header into out, which
// starts right after the payload. The ICV that follows is left to the crypto
// engine: the caller reserves kEspIcvSize more bytes. Returns
// esp_trailer_length(payload_size), or 0 if it does not fit.
inline size_t build_esp_trailer(MutableBytes out, const EspTrailerFields& fields) {
  const size_t trailer_size = esp_trailer_length(fields.payload_size);
  if (out.size() < trailer_size) return 0;
  const size_t pad_length = trailer_size - kEspTrailerFixedSize;
  uint8_t* p = out.data();
  for (size_t i = 0; i < pad_length; ++i) p[i] = static_cast<uint8_t>(i + 1);
  p[pad_length] = static_cast<uint8_t>(pad_length);
  p[pad_length + 1] = fields.next_header;
  return trailer_size;
}

}  // namespace softwire::proto
