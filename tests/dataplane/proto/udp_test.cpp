#include "dataplane/proto/udp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "test_support.h"
#include "udp_vectors.h"

namespace softwire::proto {
namespace {

// A datagram scapy built (the whole IP payload), the addresses of its IP
// header and what parse and verify must say about it.
struct Case {
  const char* name;
  ConstBytes datagram;
  uint32_t version;
  uint32_t src_ipv4;
  uint32_t dst_ipv4;
  ConstBytes src_ipv6;
  ConstBytes dst_ipv6;
  uint32_t src_port;
  uint32_t dst_port;
  uint32_t length;
  uint32_t checksum;
  ConstBytes payload;
  const char* parse_status;
  const char* verify_status;

  IpVersion ip_version() const { return version == 4 ? IpVersion::kIpv4 : IpVersion::kIpv6; }
  std::span<const uint8_t, 16> src6() const { return src_ipv6.first<16>(); }
  std::span<const uint8_t, 16> dst6() const { return dst_ipv6.first<16>(); }
  UdpStatus verify(ConstBytes datagram_bytes) const {
    return version == 4 ? verify_udp_checksum_ipv4(datagram_bytes, src_ipv4, dst_ipv4)
                        : verify_udp_checksum_ipv6(datagram_bytes, src6(), dst6());
  }
};

#define CASE(ns)                                                                     \
  Case {                                                                             \
    .name = #ns, .datagram = vectors::ns::datagram, .version = vectors::ns::version, \
    .src_ipv4 = vectors::ns::src_ipv4, .dst_ipv4 = vectors::ns::dst_ipv4,            \
    .src_ipv6 = vectors::ns::src_ipv6, .dst_ipv6 = vectors::ns::dst_ipv6,            \
    .src_port = vectors::ns::src_port, .dst_port = vectors::ns::dst_port,            \
    .length = vectors::ns::length, .checksum = vectors::ns::checksum,                \
    .payload = vectors::ns::payload, .parse_status = vectors::ns::parse_status,      \
    .verify_status = vectors::ns::verify_status                                      \
  }

const Case kValidCases[] = {
    CASE(ipv4),          CASE(ipv4_odd), CASE(ipv4_empty),           CASE(ipv4_no_checksum),
    CASE(ipv4_all_ones), CASE(ipv6),     CASE(ipv6_after_extension), CASE(ipv6_all_ones),
};

const Case kInvalidCases[] = {
    CASE(ipv4_bad_checksum),   CASE(ipv6_bad_checksum),    CASE(ipv6_zero_checksum),
    CASE(length_below_header), CASE(length_above_payload), CASE(length_below_payload),
};

class UdpValidTest : public testing::TestWithParam<Case> {};

TEST_P(UdpValidTest, ParsesAndVerifiesWhatScapyBuilt) {
  const Case& c = GetParam();
  UdpHeader h;
  ASSERT_EQ(parse_udp(c.datagram, c.ip_version(), h), UdpStatus::kOk);
  EXPECT_EQ(h.src_port, c.src_port);
  EXPECT_EQ(h.dst_port, c.dst_port);
  EXPECT_EQ(h.length, c.length);
  EXPECT_EQ(h.checksum, c.checksum);
  EXPECT_EQ(to_vector(h.payload), to_vector(c.payload));
  EXPECT_EQ(h.payload.data(), c.datagram.data() + kUdpHeaderLength);
  EXPECT_EQ(c.verify(c.datagram), UdpStatus::kOk);
}

TEST_P(UdpValidTest, BuildsTheBytesScapyBuilt) {
  const Case& c = GetParam();
  // The payload is in place behind 8 bytes of header room, as in an mbuf.
  std::vector<uint8_t> datagram(kUdpHeaderLength + c.payload.size(), 0xee);
  std::ranges::copy(c.payload, datagram.begin() + kUdpHeaderLength);
  const UdpFields f{.src_port = static_cast<uint16_t>(c.src_port),
                    .dst_port = static_cast<uint16_t>(c.dst_port)};
  size_t written = 0;
  if (c.version == 4) {
    const UdpChecksum mode = c.checksum == 0 ? UdpChecksum::kNone : UdpChecksum::kCompute;
    written = build_udp_ipv4(datagram, f, c.src_ipv4, c.dst_ipv4, mode);
  } else {
    written = build_udp_ipv6(datagram, f, c.src6(), c.dst6());
  }
  ASSERT_EQ(written, kUdpHeaderLength);
  EXPECT_EQ(datagram, to_vector(c.datagram));
}

TEST_P(UdpValidTest, EveryTruncationFails) {
  const Case& c = GetParam();
  for_each_truncation(c.datagram, [&](size_t length, ConstBytes cut) {
    UdpHeader h;
    EXPECT_EQ(parse_udp(cut, c.ip_version(), h),
              length < kUdpHeaderLength ? UdpStatus::kTruncated : UdpStatus::kBadLength);
    if (length < kUdpHeaderLength) {
      EXPECT_EQ(c.verify(cut), UdpStatus::kTruncated);
    }
  });
}

TEST_P(UdpValidTest, EveryFlippedBitFailsTheChecksum) {
  const Case& c = GetParam();
  if (c.checksum == 0) GTEST_SKIP() << "no checksum";
  for (size_t bit = 0; bit < c.datagram.size() * 8; ++bit) {
    std::vector<uint8_t> datagram = to_vector(c.datagram);
    datagram[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const UdpStatus status = c.verify(datagram);
    // Clearing the checksum field to zero is the only flip that is not a
    // mismatch: "none" over IPv4, refused over IPv6.
    if (load_be16(datagram.data() + 6) == 0) {
      EXPECT_EQ(status, c.version == 4 ? UdpStatus::kOk : UdpStatus::kZeroChecksum);
    } else {
      EXPECT_EQ(status, UdpStatus::kBadChecksum) << "bit " << bit;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scapy, UdpValidTest, testing::ValuesIn(kValidCases), CaseName());

class UdpInvalidTest : public testing::TestWithParam<Case> {};

TEST_P(UdpInvalidTest, RejectsWithTheNamedStatus) {
  const Case& c = GetParam();
  UdpHeader h;
  const UdpStatus parsed = parse_udp(c.datagram, c.ip_version(), h);
  EXPECT_EQ(to_string(parsed), c.parse_status);
  if (parsed == UdpStatus::kOk || parsed == UdpStatus::kZeroChecksum) {
    EXPECT_EQ(to_string(c.verify(c.datagram)), c.verify_status);
  }
}

INSTANTIATE_TEST_SUITE_P(Scapy, UdpInvalidTest, testing::ValuesIn(kInvalidCases), CaseName());

TEST(UdpTest, ShortInputIsTruncated) {
  UdpHeader h;
  EXPECT_EQ(parse_udp({}, IpVersion::kIpv4, h), UdpStatus::kTruncated);
  EXPECT_EQ(parse_udp(ConstBytes(vectors::ipv4::datagram).first(7), IpVersion::kIpv4, h),
            UdpStatus::kTruncated);
}

TEST(UdpTest, ZeroChecksumIsNoneOverIpv4Only) {
  const ConstBytes datagram = vectors::ipv4_no_checksum::datagram;
  UdpHeader h;
  EXPECT_EQ(parse_udp(datagram, IpVersion::kIpv4, h), UdpStatus::kOk);
  EXPECT_EQ(parse_udp(datagram, IpVersion::kIpv6, h), UdpStatus::kZeroChecksum);
  const std::array<uint8_t, 16> any{};
  EXPECT_EQ(verify_udp_checksum_ipv6(datagram, any, any), UdpStatus::kZeroChecksum);
}

TEST(UdpTest, BuilderRejectsBadLengths) {
  std::vector<uint8_t> datagram(0x10000);
  const UdpFields f{.src_port = 1, .dst_port = 2};
  const std::array<uint8_t, 16> any{};
  EXPECT_EQ(build_udp_ipv4(datagram, f, 1, 2), 0u);
  EXPECT_EQ(build_udp_ipv6(datagram, f, any, any), 0u);
  EXPECT_EQ(build_udp_ipv4(MutableBytes(datagram).first(7), f, 1, 2), 0u);
  EXPECT_EQ(build_udp_ipv6(MutableBytes(datagram).first(7), f, any, any), 0u);
  // The largest datagram still fits and verifies.
  const MutableBytes largest = MutableBytes(datagram).first(0xffff);
  ASSERT_EQ(build_udp_ipv4(largest, f, 0x0a000001, 0x0a000002), kUdpHeaderLength);
  EXPECT_EQ(verify_udp_checksum_ipv4(largest, 0x0a000001, 0x0a000002), UdpStatus::kOk);
  ASSERT_EQ(build_udp_ipv6(largest, f, any, any), kUdpHeaderLength);
  EXPECT_EQ(verify_udp_checksum_ipv6(largest, any, any), UdpStatus::kOk);
}

TEST(UdpTest, StatusNamesAreStable) {
  EXPECT_EQ(to_string(UdpStatus::kOk), "ok");
  EXPECT_EQ(to_string(UdpStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(UdpStatus::kBadLength), "bad_length");
  EXPECT_EQ(to_string(UdpStatus::kZeroChecksum), "zero_checksum");
  EXPECT_EQ(to_string(UdpStatus::kBadChecksum), "bad_checksum");
}

}  // namespace
}  // namespace softwire::proto
