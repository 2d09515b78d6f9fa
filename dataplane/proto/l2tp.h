// L2TPv2 header (RFC 2661 §3.1), carried in UDP to port 1701:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length (opt)         |
//   |           Tunnel ID           |           Session ID          |
//   |             Ns (opt)          |             Nr (opt)          |
//   |      Offset Size (opt)        |    Offset pad... (opt)
//
// Reserved (x) bits are ignored on receipt and sent as zero: §3.1 says they
// "MUST be set to 0 on outgoing messages and ignored on incoming messages",
// and a future extension must not make us drop otherwise valid traffic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

inline constexpr uint16_t kL2tpPort = 1701;
inline constexpr uint16_t kL2tpFlagControl = 0x8000;   // T: control message
inline constexpr uint16_t kL2tpFlagLength = 0x4000;    // L: length field present
inline constexpr uint16_t kL2tpFlagSequence = 0x0800;  // S: Ns and Nr present
inline constexpr uint16_t kL2tpFlagOffset = 0x0200;    // O: offset size present
inline constexpr uint16_t kL2tpFlagPriority = 0x0100;  // P: data message priority
inline constexpr uint16_t kL2tpReservedMask = 0x34f0;
inline constexpr uint16_t kL2tpVersionMask = 0x000f;
inline constexpr uint16_t kL2tpVersion = 2;
inline constexpr size_t kL2tpMinHeaderSize = 6;  // flags, tunnel id, session id

enum class L2tpStatus : uint8_t {
  kOk,
  kTruncated,               // shorter than the fields the flags announce
  kBadVersion,              // version nibble is not 2 (1 is L2F, 3 is L2TPv3)
  kLengthMismatch,          // length field differs from the message size
  kBadOffset,               // offset padding runs past the end of the message
  kControlWithoutLength,    // T=1 needs L=1
  kControlWithoutSequence,  // T=1 needs S=1
  kControlWithOffset,       // T=1 needs O=0
  kControlWithPriority,     // T=1 needs P=0
};

std::string_view to_string(L2tpStatus status);

struct L2tpHeader {
  bool is_control = false;
  bool has_length = false;
  bool has_sequence = false;
  bool has_offset = false;
  bool priority = false;
  uint16_t length = 0;  // valid if has_length
  uint16_t tunnel_id = 0;
  uint16_t session_id = 0;
  uint16_t ns = 0;           // valid if has_sequence
  uint16_t nr = 0;           // valid if has_sequence; reserved in data messages
  uint16_t offset_size = 0;  // valid if has_offset
  size_t header_length = 0;  // including the offset padding
  ConstBytes payload;        // PPP frame (data) or AVPs (control)
};

// Parses a whole L2TP message: message is the UDP payload, so the length
// field (if any) must match its size exactly.
inline L2tpStatus parse_l2tp(ConstBytes message, L2tpHeader& out) {
  if (message.size() < kL2tpMinHeaderSize) return L2tpStatus::kTruncated;
  const uint8_t* p = message.data();
  const uint16_t flags = load_be16(p);
  if ((flags & kL2tpVersionMask) != kL2tpVersion) return L2tpStatus::kBadVersion;
  const bool is_control = flags & kL2tpFlagControl;
  const bool has_length = flags & kL2tpFlagLength;
  const bool has_sequence = flags & kL2tpFlagSequence;
  const bool has_offset = flags & kL2tpFlagOffset;
  const bool priority = flags & kL2tpFlagPriority;
  if (is_control) [[unlikely]] {
    if (!has_length) return L2tpStatus::kControlWithoutLength;
    if (!has_sequence) return L2tpStatus::kControlWithoutSequence;
    if (has_offset) return L2tpStatus::kControlWithOffset;
    if (priority) return L2tpStatus::kControlWithPriority;
  }
  const size_t fixed_size =
      kL2tpMinHeaderSize + (has_length ? 2 : 0) + (has_sequence ? 4 : 0) + (has_offset ? 2 : 0);
  if (message.size() < fixed_size) return L2tpStatus::kTruncated;
  size_t pos = 2;
  out.length = 0;
  if (has_length) {
    out.length = load_be16(p + pos);
    if (out.length != message.size()) return L2tpStatus::kLengthMismatch;
    pos += 2;
  }
  out.tunnel_id = load_be16(p + pos);
  out.session_id = load_be16(p + pos + 2);
  pos += 4;
  out.ns = 0;
  out.nr = 0;
  if (has_sequence) {
    out.ns = load_be16(p + pos);
    out.nr = load_be16(p + pos + 2);
    pos += 4;
  }
  out.offset_size = 0;
  if (has_offset) {
    out.offset_size = load_be16(p + pos);
    pos += 2;
    // The payload starts offset_size bytes after the offset size field.
    if (out.offset_size > message.size() - pos) return L2tpStatus::kBadOffset;
    pos += out.offset_size;
  }
  out.is_control = is_control;
  out.has_length = has_length;
  out.has_sequence = has_sequence;
  out.has_offset = has_offset;
  out.priority = priority;
  out.header_length = pos;
  out.payload = message.subspan(pos);
  return L2tpStatus::kOk;
}

struct L2tpFields {
  bool is_control = false;
  bool with_length = false;
  bool with_sequence = false;
  bool with_offset = false;
  bool priority = false;
  uint16_t tunnel_id = 0;
  uint16_t session_id = 0;
  uint16_t ns = 0;
  uint16_t nr = 0;
  uint16_t offset_size = 0;  // offset padding is written as zeros
  size_t payload_size = 0;   // bytes that follow the header; fills the length field
};

inline constexpr size_t l2tp_header_length(const L2tpFields& fields) {
  return kL2tpMinHeaderSize + (fields.with_length ? 2 : 0) + (fields.with_sequence ? 4 : 0) +
         (fields.with_offset ? 2 + size_t{fields.offset_size} : 0);
}

// Writes the L2TP header. Returns its length, or 0 if it does not fit, the
// length field would overflow, or a control message breaks RFC 2661's rules
// (T=1 needs L=1, S=1, O=0, P=0).
inline size_t build_l2tp(MutableBytes out, const L2tpFields& fields) {
  if (fields.is_control &&
      (!fields.with_length || !fields.with_sequence || fields.with_offset || fields.priority)) {
    return 0;
  }
  const size_t header_length = l2tp_header_length(fields);
  if (out.size() < header_length) return 0;
  if (fields.with_length && header_length + fields.payload_size > 0xffff) return 0;
  uint16_t flags = kL2tpVersion;
  if (fields.is_control) flags |= kL2tpFlagControl;
  if (fields.with_length) flags |= kL2tpFlagLength;
  if (fields.with_sequence) flags |= kL2tpFlagSequence;
  if (fields.with_offset) flags |= kL2tpFlagOffset;
  if (fields.priority) flags |= kL2tpFlagPriority;
  uint8_t* p = out.data();
  store_be16(p, flags);
  size_t pos = 2;
  if (fields.with_length) {
    store_be16(p + pos, static_cast<uint16_t>(header_length + fields.payload_size));
    pos += 2;
  }
  store_be16(p + pos, fields.tunnel_id);
  store_be16(p + pos + 2, fields.session_id);
  pos += 4;
  if (fields.with_sequence) {
    store_be16(p + pos, fields.ns);
    store_be16(p + pos + 2, fields.nr);
    pos += 4;
  }
  if (fields.with_offset) {
    store_be16(p + pos, fields.offset_size);
    pos += 2;
    for (size_t i = 0; i < fields.offset_size; ++i) p[pos + i] = 0;
    pos += fields.offset_size;
  }
  return pos;
}

}  // namespace softwire::proto
