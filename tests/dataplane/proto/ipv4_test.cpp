#include "dataplane/proto/ipv4.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "ipv4_vectors.h"
#include "test_support.h"

namespace softwire::proto {
namespace {

// A packet scapy built and the field values scapy read back from it.
struct ValidCase {
  const char* name;
  ConstBytes packet;
  uint32_t tos;
  uint32_t total_length;
  uint32_t identification;
  bool dont_fragment;
  bool more_fragments;
  uint32_t fragment_offset;
  uint32_t ttl;
  uint32_t protocol;
  uint32_t src;
  uint32_t dst;
  uint32_t checksum;
  uint32_t header_length;
  ConstBytes options;
  ConstBytes payload;
  bool is_fragment;
};

#define VALID_CASE(ns)                                                                          \
  ValidCase {                                                                                   \
    .name = #ns, .packet = vectors::ns::packet, .tos = vectors::ns::tos,                        \
    .total_length = vectors::ns::total_length, .identification = vectors::ns::identification,   \
    .dont_fragment = vectors::ns::dont_fragment, .more_fragments = vectors::ns::more_fragments, \
    .fragment_offset = vectors::ns::fragment_offset, .ttl = vectors::ns::ttl,                   \
    .protocol = vectors::ns::protocol, .src = vectors::ns::src, .dst = vectors::ns::dst,        \
    .checksum = vectors::ns::checksum, .header_length = vectors::ns::header_length,             \
    .options = vectors::ns::options, .payload = vectors::ns::payload,                           \
    .is_fragment = vectors::ns::is_fragment                                                     \
  }

const ValidCase kValidCases[] = {
    VALID_CASE(basic),          VALID_CASE(options),         VALID_CASE(esp),
    VALID_CASE(fragment_first), VALID_CASE(fragment_middle), VALID_CASE(fragment_last),
    VALID_CASE(padded),         VALID_CASE(empty),
};

class Ipv4ValidTest : public testing::TestWithParam<ValidCase> {};

TEST_P(Ipv4ValidTest, ParsesEveryFieldScapySet) {
  const ValidCase& c = GetParam();
  Ipv4Header h;
  ASSERT_EQ(parse_ipv4(c.packet, h), Ipv4Status::kOk);
  EXPECT_EQ(h.tos, c.tos);
  EXPECT_EQ(h.total_length, c.total_length);
  EXPECT_EQ(h.payload_length, c.total_length - c.header_length);
  EXPECT_EQ(h.identification, c.identification);
  EXPECT_EQ(h.dont_fragment, c.dont_fragment);
  EXPECT_EQ(h.more_fragments, c.more_fragments);
  EXPECT_EQ(h.fragment_offset, c.fragment_offset);
  EXPECT_EQ(h.ttl, c.ttl);
  EXPECT_EQ(h.protocol, c.protocol);
  EXPECT_EQ(h.src, c.src);
  EXPECT_EQ(h.dst, c.dst);
  EXPECT_EQ(h.checksum, c.checksum);
  EXPECT_EQ(h.header_length, c.header_length);
  EXPECT_EQ(h.is_fragment, c.is_fragment);
  EXPECT_EQ(to_vector(h.options), to_vector(c.options));
  EXPECT_EQ(to_vector(h.payload), to_vector(c.payload));
  // Spans point into the input, not into a copy.
  EXPECT_EQ(h.payload.data(), c.packet.data() + c.header_length);
}

TEST_P(Ipv4ValidTest, BuildsTheBytesScapyBuilt) {
  const ValidCase& c = GetParam();
  Ipv4Fields f;
  f.tos = static_cast<uint8_t>(c.tos);
  f.payload_length = static_cast<uint16_t>(c.total_length - c.header_length);
  f.identification = static_cast<uint16_t>(c.identification);
  f.dont_fragment = c.dont_fragment;
  f.more_fragments = c.more_fragments;
  f.fragment_offset = static_cast<uint16_t>(c.fragment_offset);
  f.ttl = static_cast<uint8_t>(c.ttl);
  f.protocol = static_cast<uint8_t>(c.protocol);
  f.src = c.src;
  f.dst = c.dst;
  f.options = c.options;
  ASSERT_EQ(ipv4_header_length(f), c.header_length);

  std::array<uint8_t, 64> out{};
  ASSERT_EQ(build_ipv4(out, f), c.header_length);
  EXPECT_EQ(to_vector(ConstBytes(out).first(c.header_length)),
            to_vector(c.packet.first(c.header_length)));
  // One byte short of the header: nothing written.
  EXPECT_EQ(build_ipv4(MutableBytes(out).first(c.header_length - 1), f), 0u);
}

TEST_P(Ipv4ValidTest, EveryTruncationFailsOrParsesTheSame) {
  const ValidCase& c = GetParam();
  Ipv4Header full;
  ASSERT_EQ(parse_ipv4(c.packet, full), Ipv4Status::kOk);
  for_each_truncation(c.packet, [&](size_t length, ConstBytes cut) {
    Ipv4Header h;
    const Ipv4Status status = parse_ipv4(cut, h);
    if (length < c.total_length) {
      EXPECT_NE(status, Ipv4Status::kOk);
      EXPECT_EQ(status,
                length < c.header_length ? Ipv4Status::kTruncated : Ipv4Status::kBadTotalLength);
    } else {
      // Only Ethernet padding was cut.
      ASSERT_EQ(status, Ipv4Status::kOk);
      EXPECT_EQ(h.total_length, full.total_length);
      EXPECT_EQ(to_vector(h.payload), to_vector(full.payload));
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Scapy, Ipv4ValidTest, testing::ValuesIn(kValidCases), CaseName());

const InvalidCase kInvalidCases[] = {
    INVALID_CASE(bad_version),
    INVALID_CASE(bad_header_length),
    INVALID_CASE(header_length_truncated),
    INVALID_CASE(bad_checksum),
    INVALID_CASE(total_length_short),
    INVALID_CASE(total_length_long),
    INVALID_CASE(reserved_flag),
    INVALID_CASE(option_length_short),
    INVALID_CASE(option_length_long),
    INVALID_CASE(option_missing_length),
};

class Ipv4InvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(Ipv4InvalidTest, RejectsWithTheNamedStatus) {
  const InvalidCase& c = GetParam();
  Ipv4Header h;
  EXPECT_EQ(to_string(parse_ipv4(c.packet, h)), c.status);
}

INSTANTIATE_TEST_SUITE_P(Scapy, Ipv4InvalidTest, testing::ValuesIn(kInvalidCases), CaseName());

TEST(Ipv4Test, ShortInputIsTruncated) {
  Ipv4Header h;
  EXPECT_EQ(parse_ipv4({}, h), Ipv4Status::kTruncated);
  EXPECT_EQ(parse_ipv4(ConstBytes(vectors::basic::packet).first(19), h), Ipv4Status::kTruncated);
  // IHL 8: the options are cut.
  EXPECT_EQ(parse_ipv4(ConstBytes(vectors::options::packet).first(24), h), Ipv4Status::kTruncated);
}

TEST(Ipv4Test, CorruptedByteFailsTheChecksum) {
  std::vector<uint8_t> packet = to_vector(vectors::basic::packet);
  packet[8] ^= 0x01;  // TTL
  Ipv4Header h;
  EXPECT_EQ(parse_ipv4(packet, h), Ipv4Status::kBadChecksum);
}

TEST(Ipv4Test, OptionWalk) {
  const auto valid = [](std::initializer_list<uint8_t> bytes) {
    return ipv4_options_valid(ConstBytes(bytes.begin(), bytes.size()));
  };
  EXPECT_TRUE(valid({0x01, 0x01, 0x01, 0x01}));  // NOPs
  EXPECT_TRUE(valid({0x00, 0xff, 0xff, 0xff}));  // after EOL: padding
  EXPECT_TRUE(valid({0x94, 0x04, 0x00, 0x00}));  // router alert
  EXPECT_TRUE(valid({0x01, 0x07, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(valid({0x07, 0x00, 0x00, 0x00}));  // length 0
  EXPECT_FALSE(valid({0x07, 0x05, 0x04, 0x00}));  // past the end
  EXPECT_FALSE(valid({0x01, 0x01, 0x01, 0x07}));  // no length byte
}

TEST(Ipv4Test, DecrementTtlMatchesScapysRecomputedChecksum) {
  constexpr size_t kHeader = kIpv4MinHeaderLength;
  const ConstBytes before = vectors::ttl_decrement::before;
  const ConstBytes after = vectors::ttl_decrement::after;
  ASSERT_EQ(before.size(), after.size());
  for (size_t offset = 0; offset < before.size(); offset += kHeader) {
    SCOPED_TRACE(offset);
    std::vector<uint8_t> header = to_vector(before.subspan(offset, kHeader));
    ipv4_decrement_ttl(header);
    EXPECT_EQ(header, to_vector(after.subspan(offset, kHeader)));
    Ipv4Header h;
    EXPECT_EQ(parse_ipv4(header, h), Ipv4Status::kOk);
  }
}

TEST(Ipv4Test, BuilderRejectsOutOfRangeFields) {
  std::array<uint8_t, 64> out{};
  const std::array<uint8_t, 44> long_options{};
  Ipv4Fields f;
  f.options = ConstBytes(long_options).first(3);
  EXPECT_EQ(build_ipv4(out, f), 0u);
  f.options = long_options;
  EXPECT_EQ(build_ipv4(out, f), 0u);
  f.options = ConstBytes(long_options).first(40);
  EXPECT_EQ(build_ipv4(out, f), 60u);
  f.options = {};
  f.payload_length = 0xffff - 20;
  EXPECT_EQ(build_ipv4(out, f), 20u);
  f.payload_length = 0xffff - 19;
  EXPECT_EQ(build_ipv4(out, f), 0u);
  f.payload_length = 0;
  f.fragment_offset = kIpv4MaxFragmentOffset + 1;
  EXPECT_EQ(build_ipv4(out, f), 0u);
}

TEST(Ipv4Test, BuiltHeaderParsesBack) {
  std::array<uint8_t, 60 + 8> packet{};
  const std::array<uint8_t, 8> options{0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};
  Ipv4Fields f;
  f.tos = 0x2e;
  f.payload_length = 8;
  f.identification = 0xbeef;
  f.more_fragments = true;
  f.fragment_offset = 0x1abc;
  f.ttl = 3;
  f.protocol = kIpProtocolEsp;
  f.src = 0x0a000001;
  f.dst = 0xc0a80101;
  f.options = options;
  const size_t written = build_ipv4(packet, f);
  ASSERT_EQ(written, 28u);
  Ipv4Header h;
  ASSERT_EQ(parse_ipv4(ConstBytes(packet).first(written + 8), h), Ipv4Status::kOk);
  EXPECT_EQ(h.tos, f.tos);
  EXPECT_EQ(h.identification, f.identification);
  EXPECT_TRUE(h.more_fragments);
  EXPECT_FALSE(h.dont_fragment);
  EXPECT_EQ(h.fragment_offset, f.fragment_offset);
  EXPECT_TRUE(h.is_fragment);
  EXPECT_EQ(h.ttl, f.ttl);
  EXPECT_EQ(h.protocol, f.protocol);
  EXPECT_EQ(h.src, f.src);
  EXPECT_EQ(h.dst, f.dst);
  EXPECT_EQ(to_vector(h.options), to_vector(options));
  EXPECT_EQ(h.payload.size(), 8u);
}

TEST(Ipv4Test, StatusNamesAreStable) {
  EXPECT_EQ(to_string(Ipv4Status::kOk), "ok");
  EXPECT_EQ(to_string(Ipv4Status::kTruncated), "truncated");
  EXPECT_EQ(to_string(Ipv4Status::kBadVersion), "bad_version");
  EXPECT_EQ(to_string(Ipv4Status::kBadHeaderLength), "bad_header_length");
  EXPECT_EQ(to_string(Ipv4Status::kBadTotalLength), "bad_total_length");
  EXPECT_EQ(to_string(Ipv4Status::kBadChecksum), "bad_checksum");
  EXPECT_EQ(to_string(Ipv4Status::kReservedFlag), "reserved_flag");
  EXPECT_EQ(to_string(Ipv4Status::kBadOptions), "bad_options");
}

}  // namespace
}  // namespace softwire::proto
