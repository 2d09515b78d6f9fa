#include "dataplane/proto/ppp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ppp_vectors.h"

namespace softwire::proto {
namespace {

using ppp_vectors::kInvalidVectors;
using ppp_vectors::kValidVectors;

ConstBytes bytes_of(const ppp_vectors::ValidVector& v) {
  return {v.frame, v.frame_size};
}
ConstBytes bytes_of(const ppp_vectors::InvalidVector& v) {
  return {v.frame, v.frame_size};
}

TEST(PppParse, ScapyFramesGiveScapyFields) {
  for (const auto& v : kValidVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes frame = bytes_of(v);
    PppHeader h;
    ASSERT_EQ(parse_ppp(frame, h), PppStatus::kOk);
    EXPECT_EQ(h.protocol, v.protocol);
    EXPECT_EQ(h.has_address_control, v.has_address_control);
    EXPECT_EQ(h.protocol_compressed, v.protocol_compressed);
    EXPECT_EQ(h.header_length, v.header_length);
    EXPECT_EQ(h.payload.data(), frame.data() + v.header_length);
    EXPECT_EQ(h.payload.size(), frame.size() - v.header_length);
  }
}

TEST(PppBuild, HeadersMatchScapy) {
  for (const auto& v : kValidVectors) {
    if (!v.buildable) continue;
    SCOPED_TRACE(v.name);
    uint8_t out[kPppMaxHeaderSize + 1];
    std::fill(std::begin(out), std::end(out), 0xee);
    const PppFields fields{.protocol = v.protocol,
                           .address_control = v.has_address_control,
                           .compress_protocol = v.protocol_compressed};
    ASSERT_EQ(build_ppp(out, fields), v.header_length);
    EXPECT_TRUE(std::equal(out, out + v.header_length, v.frame));
    EXPECT_EQ(out[v.header_length], 0xee);
  }
}

TEST(PppBuild, NeverCompressesLcpAndOnlyCompressesSmallNumbers) {
  uint8_t out[kPppMaxHeaderSize];
  ASSERT_EQ(
      build_ppp(out,
                {.protocol = kPppProtocolLcp, .address_control = false, .compress_protocol = true}),
      4u);
  const uint8_t lcp[] = {0xff, 0x03, 0xc0, 0x21};
  EXPECT_TRUE(std::equal(std::begin(lcp), std::end(lcp), out));
  ASSERT_EQ(
      build_ppp(
          out, {.protocol = kPppProtocolIpcp, .address_control = false, .compress_protocol = true}),
      2u);
  EXPECT_EQ(load_be16(out), kPppProtocolIpcp);
}

TEST(PppBuild, Rejects) {
  uint8_t out[kPppMaxHeaderSize];
  EXPECT_EQ(build_ppp(MutableBytes(out, 3), {.protocol = kPppProtocolIpv4}), 0u);
  EXPECT_EQ(build_ppp(MutableBytes(out, 0),
                      {.protocol = 0x21, .address_control = false, .compress_protocol = true}),
            0u);
  EXPECT_EQ(build_ppp(out, {.protocol = 0x0020}), 0u);  // low byte even
  EXPECT_EQ(build_ppp(out, {.protocol = 0x0121}), 0u);  // high byte odd
  EXPECT_EQ(build_ppp(out, {.protocol = 0x0000}), 0u);
}

TEST(PppBuild, RoundTrip) {
  for (uint32_t protocol = 0; protocol <= 0xffff; ++protocol) {
    if (!is_valid_ppp_protocol(static_cast<uint16_t>(protocol))) continue;
    for (int mode = 0; mode < 4; ++mode) {
      const PppFields f{.protocol = static_cast<uint16_t>(protocol),
                        .address_control = (mode & 1) != 0,
                        .compress_protocol = (mode & 2) != 0};
      uint8_t frame[kPppMaxHeaderSize + 1] = {};
      const size_t written = build_ppp(frame, f);
      ASSERT_NE(written, 0u);
      PppHeader h;
      ASSERT_EQ(parse_ppp(ConstBytes(frame, written + 1), h), PppStatus::kOk) << protocol;
      ASSERT_EQ(h.protocol, protocol);
      ASSERT_EQ(h.header_length, written);
      ASSERT_EQ(h.payload.size(), 1u);
    }
  }
}

TEST(PppReject, ScapyInvalidFrames) {
  for (const auto& v : kInvalidVectors) {
    SCOPED_TRACE(v.name);
    PppHeader h;
    EXPECT_EQ(parse_ppp(bytes_of(v), h), v.status);
  }
}

TEST(PppReject, EveryStatusHasAScapyVector) {
  for (auto status :
       {PppStatus::kTruncated, PppStatus::kBadAddressControl, PppStatus::kBadProtocol}) {
    EXPECT_TRUE(std::any_of(std::begin(kInvalidVectors), std::end(kInvalidVectors),
                            [&](const auto& v) { return v.status == status; }))
        << to_string(status);
  }
}

TEST(PppReject, EveryTruncationOfScapyFrames) {
  for (const auto& v : kValidVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes frame = bytes_of(v);
    for (size_t size = 0; size < frame.size(); ++size) {
      PppHeader h;
      const PppStatus status = parse_ppp(frame.first(size), h);
      if (size >= v.header_length) {
        // The payload is not PPP's to check: shorter frames still parse.
        ASSERT_EQ(status, PppStatus::kOk) << size;
        EXPECT_EQ(h.protocol, v.protocol);
        EXPECT_EQ(h.payload.size(), size - v.header_length);
      } else {
        EXPECT_EQ(status, PppStatus::kTruncated) << size;
      }
    }
  }
}

TEST(PppProtocols, NumberingRuleAndClasses) {
  for (uint16_t p : {kPppProtocolIpv4, kPppProtocolIpv6, kPppProtocolIpcp, kPppProtocolIpv6cp,
                     kPppProtocolLcp, kPppProtocolPap, kPppProtocolChap}) {
    EXPECT_TRUE(is_valid_ppp_protocol(p)) << p;
  }
  EXPECT_FALSE(is_valid_ppp_protocol(0x0020));
  EXPECT_FALSE(is_valid_ppp_protocol(0x0121));
  EXPECT_TRUE(is_network_data(kPppProtocolIpv4));
  EXPECT_TRUE(is_network_data(kPppProtocolIpv6));
  EXPECT_TRUE(is_ip_data(kPppProtocolIpv4));
  EXPECT_TRUE(is_ip_data(kPppProtocolIpv6));
  EXPECT_FALSE(is_ip_data(0x002b));  // IPX
  EXPECT_TRUE(is_network_data(0x002b));
  for (uint16_t p :
       {kPppProtocolIpcp, kPppProtocolIpv6cp, kPppProtocolLcp, kPppProtocolPap, kPppProtocolChap}) {
    EXPECT_FALSE(is_network_data(p)) << p;
    EXPECT_TRUE(is_control_protocol(p)) << p;
    EXPECT_FALSE(is_ip_data(p)) << p;
  }
  EXPECT_EQ(ppp_protocol_class(kPppProtocolIpv6), PppProtocolClass::kNetworkLayer);
  EXPECT_EQ(ppp_protocol_class(0x4021), PppProtocolClass::kLowVolume);
  EXPECT_EQ(ppp_protocol_class(kPppProtocolIpv6cp), PppProtocolClass::kNetworkControl);
  EXPECT_EQ(ppp_protocol_class(kPppProtocolChap), PppProtocolClass::kLinkControl);
}

TEST(PppNames, AreStable) {
  EXPECT_EQ(to_string(PppStatus::kOk), "ok");
  EXPECT_EQ(to_string(PppStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(PppStatus::kBadAddressControl), "bad_address_control");
  EXPECT_EQ(to_string(PppStatus::kBadProtocol), "bad_protocol");
}

}  // namespace
}  // namespace softwire::proto
