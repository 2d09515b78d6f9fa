#include "dataplane/proto/l2tp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "l2tp_vectors.h"

namespace softwire::proto {
namespace {

using l2tp_vectors::kInvalidVectors;
using l2tp_vectors::kValidVectors;

ConstBytes bytes_of(const l2tp_vectors::ValidVector& v) {
  return {v.message, v.message_size};
}
ConstBytes bytes_of(const l2tp_vectors::InvalidVector& v) {
  return {v.message, v.message_size};
}

L2tpFields fields_of(const l2tp_vectors::ValidVector& v) {
  return {.is_control = v.is_control,
          .with_length = v.has_length,
          .with_sequence = v.has_sequence,
          .with_offset = v.has_offset,
          .priority = v.priority,
          .tunnel_id = v.tunnel_id,
          .session_id = v.session_id,
          .ns = v.ns,
          .nr = v.nr,
          .offset_size = v.offset_size,
          .payload_size = v.message_size - v.header_length};
}

TEST(L2tpParse, ScapyMessagesGiveScapyFields) {
  for (const auto& v : kValidVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes message = bytes_of(v);
    L2tpHeader h;
    ASSERT_EQ(parse_l2tp(message, h), L2tpStatus::kOk);
    EXPECT_EQ(h.is_control, v.is_control);
    EXPECT_EQ(h.has_length, v.has_length);
    EXPECT_EQ(h.has_sequence, v.has_sequence);
    EXPECT_EQ(h.has_offset, v.has_offset);
    EXPECT_EQ(h.priority, v.priority);
    EXPECT_EQ(h.length, v.length);
    EXPECT_EQ(h.tunnel_id, v.tunnel_id);
    EXPECT_EQ(h.session_id, v.session_id);
    EXPECT_EQ(h.ns, v.ns);
    EXPECT_EQ(h.nr, v.nr);
    EXPECT_EQ(h.offset_size, v.offset_size);
    EXPECT_EQ(h.header_length, v.header_length);
    EXPECT_EQ(h.payload.data(), message.data() + v.header_length);
    EXPECT_EQ(h.payload.size(), message.size() - v.header_length);
  }
}

TEST(L2tpParse, ReservedBitsAreIgnored) {
  const auto it = std::find_if(std::begin(kValidVectors), std::end(kValidVectors), [](auto& v) {
    return std::string_view(v.name) == "data_reserved_bits_ignored";
  });
  ASSERT_NE(it, std::end(kValidVectors));
  EXPECT_NE(load_be16(it->message) & kL2tpReservedMask, 0);
  L2tpHeader h;
  EXPECT_EQ(parse_l2tp(bytes_of(*it), h), L2tpStatus::kOk);
}

TEST(L2tpBuild, HeadersMatchScapy) {
  for (const auto& v : kValidVectors) {
    if (!v.buildable) continue;
    SCOPED_TRACE(v.name);
    const L2tpFields fields = fields_of(v);
    EXPECT_EQ(l2tp_header_length(fields), v.header_length);
    std::vector<uint8_t> out(v.header_length + 4, 0xee);
    ASSERT_EQ(build_l2tp(out, fields), v.header_length);
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + v.header_length, v.message));
    EXPECT_EQ(out[v.header_length], 0xee);
  }
}

TEST(L2tpBuild, DataPlaneHeader) {
  // What the data plane prepends: no L, no S, no O.
  uint8_t out[kL2tpMinHeaderSize];
  ASSERT_EQ(build_l2tp(out, {.tunnel_id = 0x1234, .session_id = 0xabcd}), kL2tpMinHeaderSize);
  const uint8_t expected[] = {0x00, 0x02, 0x12, 0x34, 0xab, 0xcd};
  EXPECT_TRUE(std::equal(std::begin(expected), std::end(expected), out));
}

TEST(L2tpBuild, Rejects) {
  uint8_t out[64];
  EXPECT_EQ(build_l2tp(MutableBytes(out, 5), {}), 0u);
  EXPECT_EQ(build_l2tp(MutableBytes(out, 7), {.with_length = true}), 0u);
  EXPECT_EQ(build_l2tp(MutableBytes(out, 9), {.with_offset = true, .offset_size = 2}), 0u);
  EXPECT_EQ(build_l2tp(MutableBytes(out, 10), {.with_offset = true, .offset_size = 2}), 10u);
  EXPECT_EQ(build_l2tp(out, {.with_length = true, .payload_size = 0xffff - 8 + 1}), 0u);
  EXPECT_EQ(build_l2tp(out, {.with_length = true, .payload_size = 0xffff - 8}), 8u);
  const L2tpFields control{.is_control = true, .with_length = true, .with_sequence = true};
  EXPECT_EQ(build_l2tp(out, control), 12u);
  L2tpFields bad = control;
  bad.with_length = false;
  EXPECT_EQ(build_l2tp(out, bad), 0u);
  bad = control;
  bad.with_sequence = false;
  EXPECT_EQ(build_l2tp(out, bad), 0u);
  bad = control;
  bad.with_offset = true;
  EXPECT_EQ(build_l2tp(out, bad), 0u);
  bad = control;
  bad.priority = true;
  EXPECT_EQ(build_l2tp(out, bad), 0u);
}

TEST(L2tpBuild, RoundTripEveryFlagCombination) {
  for (unsigned combo = 0; combo < 32; ++combo) {
    L2tpFields f{.is_control = (combo & 1) != 0,
                 .with_length = (combo & 2) != 0,
                 .with_sequence = (combo & 4) != 0,
                 .with_offset = (combo & 8) != 0,
                 .priority = (combo & 16) != 0,
                 .tunnel_id = 100,
                 .session_id = 200,
                 .ns = 3,
                 .nr = 4,
                 .offset_size = 3,
                 .payload_size = 5};
    SCOPED_TRACE(combo);
    std::vector<uint8_t> message(l2tp_header_length(f) + f.payload_size, 0x77);
    const size_t written = build_l2tp(message, f);
    const bool control_ok =
        !f.is_control || (f.with_length && f.with_sequence && !f.with_offset && !f.priority);
    if (!control_ok) {
      EXPECT_EQ(written, 0u);
      continue;
    }
    ASSERT_EQ(written, l2tp_header_length(f));
    L2tpHeader h;
    ASSERT_EQ(parse_l2tp(message, h), L2tpStatus::kOk);
    EXPECT_EQ(h.is_control, f.is_control);
    EXPECT_EQ(h.has_length, f.with_length);
    EXPECT_EQ(h.has_sequence, f.with_sequence);
    EXPECT_EQ(h.has_offset, f.with_offset);
    EXPECT_EQ(h.priority, f.priority);
    EXPECT_EQ(h.tunnel_id, f.tunnel_id);
    EXPECT_EQ(h.session_id, f.session_id);
    EXPECT_EQ(h.header_length, written);
    EXPECT_EQ(h.payload.size(), f.payload_size);
  }
}

TEST(L2tpReject, ScapyInvalidMessages) {
  for (const auto& v : kInvalidVectors) {
    SCOPED_TRACE(v.name);
    L2tpHeader h;
    EXPECT_EQ(parse_l2tp(bytes_of(v), h), v.status) << to_string(parse_l2tp(bytes_of(v), h));
  }
}

TEST(L2tpReject, EveryStatusHasAScapyVector) {
  for (auto status : {L2tpStatus::kTruncated, L2tpStatus::kBadVersion, L2tpStatus::kLengthMismatch,
                      L2tpStatus::kBadOffset, L2tpStatus::kControlWithoutLength,
                      L2tpStatus::kControlWithoutSequence, L2tpStatus::kControlWithOffset,
                      L2tpStatus::kControlWithPriority}) {
    EXPECT_TRUE(std::any_of(std::begin(kInvalidVectors), std::end(kInvalidVectors),
                            [&](const auto& v) { return v.status == status; }))
        << to_string(status);
  }
}

TEST(L2tpReject, Truncated) {
  L2tpHeader h;
  const uint8_t all_fields[] = {0x4a, 0x02, 0x00, 0x0e, 0, 1, 0, 2, 0, 3, 0, 4, 0, 0};
  EXPECT_EQ(parse_l2tp(all_fields, h), L2tpStatus::kOk);
  for (size_t size = 0; size < sizeof(all_fields); ++size) {
    const L2tpStatus status = parse_l2tp(ConstBytes(all_fields).first(size), h);
    // Cut after the length field, the mismatch is what shows first.
    EXPECT_TRUE(status == L2tpStatus::kTruncated || status == L2tpStatus::kLengthMismatch)
        << size << " " << to_string(status);
  }
  const uint8_t data_with_sequence[] = {0x08, 0x02, 0, 1, 0, 2, 0, 3, 0};
  EXPECT_EQ(parse_l2tp(data_with_sequence, h), L2tpStatus::kTruncated);
}

TEST(L2tpReject, EveryTruncationOfScapyMessages) {
  for (const auto& v : kValidVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes message = bytes_of(v);
    for (size_t size = 0; size < message.size(); ++size) {
      L2tpHeader h;
      const L2tpStatus status = parse_l2tp(message.first(size), h);
      if (v.has_length || size < v.header_length) {
        EXPECT_NE(status, L2tpStatus::kOk) << size;
      } else {
        // Without a length field a shorter payload is still a valid message.
        ASSERT_EQ(status, L2tpStatus::kOk) << size;
        EXPECT_EQ(h.header_length, v.header_length);
        EXPECT_EQ(h.payload.size(), size - v.header_length);
      }
    }
  }
}

TEST(L2tpNames, AreStable) {
  EXPECT_EQ(to_string(L2tpStatus::kOk), "ok");
  EXPECT_EQ(to_string(L2tpStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(L2tpStatus::kBadVersion), "bad_version");
  EXPECT_EQ(to_string(L2tpStatus::kLengthMismatch), "length_mismatch");
  EXPECT_EQ(to_string(L2tpStatus::kBadOffset), "bad_offset");
  EXPECT_EQ(to_string(L2tpStatus::kControlWithoutLength), "control_without_length");
  EXPECT_EQ(to_string(L2tpStatus::kControlWithoutSequence), "control_without_sequence");
  EXPECT_EQ(to_string(L2tpStatus::kControlWithOffset), "control_with_offset");
  EXPECT_EQ(to_string(L2tpStatus::kControlWithPriority), "control_with_priority");
}

}  // namespace
}  // namespace softwire::proto
