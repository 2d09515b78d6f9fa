#include "dataplane/proto/ipv6.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "ipv6_vectors.h"
#include "test_support.h"

namespace softwire::proto {
namespace {

// A packet scapy built and the field values scapy read back from it.
struct ValidCase {
  const char* name;
  ConstBytes packet;
  uint32_t traffic_class;
  uint32_t flow_label;
  uint32_t payload_length;
  uint32_t next_header;
  uint32_t hop_limit;
  ConstBytes src;
  ConstBytes dst;
  ConstBytes payload;
  uint32_t upper_protocol;
  uint32_t upper_offset;
  uint32_t extension_header_count;
  bool has_routing_header;
  uint32_t routing_segments_left;
  bool has_fragment_header;
  bool is_fragment;
  uint32_t fragment_offset;
  bool more_fragments;
  uint32_t fragment_id;
};

#define VALID_CASE(ns)                                                                        \
  ValidCase {                                                                                 \
    .name = #ns, .packet = vectors::ns::packet, .traffic_class = vectors::ns::traffic_class,  \
    .flow_label = vectors::ns::flow_label, .payload_length = vectors::ns::payload_length,     \
    .next_header = vectors::ns::next_header, .hop_limit = vectors::ns::hop_limit,             \
    .src = vectors::ns::src, .dst = vectors::ns::dst, .payload = vectors::ns::payload,        \
    .upper_protocol = vectors::ns::upper_protocol, .upper_offset = vectors::ns::upper_offset, \
    .extension_header_count = vectors::ns::extension_header_count,                            \
    .has_routing_header = vectors::ns::has_routing_header,                                    \
    .routing_segments_left = vectors::ns::routing_segments_left,                              \
    .has_fragment_header = vectors::ns::has_fragment_header,                                  \
    .is_fragment = vectors::ns::is_fragment, .fragment_offset = vectors::ns::fragment_offset, \
    .more_fragments = vectors::ns::more_fragments, .fragment_id = vectors::ns::fragment_id    \
  }

const ValidCase kValidCases[] = {
    VALID_CASE(basic),          VALID_CASE(esp),           VALID_CASE(chain),
    VALID_CASE(later_fragment), VALID_CASE(last_fragment), VALID_CASE(atomic_fragment),
    VALID_CASE(routing),        VALID_CASE(icmpv6),        VALID_CASE(no_next_header),
    VALID_CASE(eight_headers),  VALID_CASE(padded),
};

class Ipv6ValidTest : public testing::TestWithParam<ValidCase> {};

TEST_P(Ipv6ValidTest, ParsesEveryFieldScapySet) {
  const ValidCase& c = GetParam();
  Ipv6Header h;
  ASSERT_EQ(parse_ipv6(c.packet, h), Ipv6Status::kOk);
  EXPECT_EQ(h.traffic_class, c.traffic_class);
  EXPECT_EQ(h.flow_label, c.flow_label);
  EXPECT_EQ(h.payload_length, c.payload_length);
  EXPECT_EQ(h.next_header, c.next_header);
  EXPECT_EQ(h.hop_limit, c.hop_limit);
  EXPECT_EQ(to_vector(h.src), to_vector(c.src));
  EXPECT_EQ(to_vector(h.dst), to_vector(c.dst));
  EXPECT_EQ(to_vector(h.payload), to_vector(c.payload));
  EXPECT_EQ(h.payload.data(), c.packet.data() + kIpv6HeaderLength);
  EXPECT_EQ(h.upper_protocol, c.upper_protocol);
  EXPECT_EQ(h.upper_offset, c.upper_offset);
  EXPECT_EQ(h.extension_header_count, c.extension_header_count);
  EXPECT_EQ(h.has_routing_header, c.has_routing_header);
  EXPECT_EQ(h.routing_segments_left, c.routing_segments_left);
  EXPECT_EQ(h.has_fragment_header, c.has_fragment_header);
  EXPECT_EQ(h.is_fragment, c.is_fragment);
  EXPECT_EQ(h.fragment_offset, c.fragment_offset);
  EXPECT_EQ(h.more_fragments, c.more_fragments);
  EXPECT_EQ(h.fragment_id, c.fragment_id);
  EXPECT_EQ(h.upper_payload.data(), c.packet.data() + c.upper_offset);
  EXPECT_EQ(h.upper_payload.size(), kIpv6HeaderLength + c.payload_length - c.upper_offset);
}

TEST_P(Ipv6ValidTest, BuildsTheBytesScapyBuilt) {
  const ValidCase& c = GetParam();
  Ipv6Fields f;
  f.traffic_class = static_cast<uint8_t>(c.traffic_class);
  f.flow_label = c.flow_label;
  f.payload_length = static_cast<uint16_t>(c.payload_length);
  f.next_header = static_cast<uint8_t>(c.next_header);
  f.hop_limit = static_cast<uint8_t>(c.hop_limit);
  std::copy(c.src.begin(), c.src.end(), f.src.begin());
  std::copy(c.dst.begin(), c.dst.end(), f.dst.begin());
  std::array<uint8_t, kIpv6HeaderLength> out{};
  ASSERT_EQ(build_ipv6(out, f), kIpv6HeaderLength);
  EXPECT_EQ(to_vector(out), to_vector(c.packet.first(kIpv6HeaderLength)));
  EXPECT_EQ(build_ipv6(MutableBytes(out).first(kIpv6HeaderLength - 1), f), 0u);
}

TEST_P(Ipv6ValidTest, EveryTruncationFailsOrParsesTheSame) {
  const ValidCase& c = GetParam();
  const size_t end = kIpv6HeaderLength + c.payload_length;
  for_each_truncation(c.packet, [&](size_t length, ConstBytes cut) {
    Ipv6Header h;
    const Ipv6Status status = parse_ipv6(cut, h);
    if (length < kIpv6HeaderLength) {
      EXPECT_EQ(status, Ipv6Status::kTruncated);
    } else if (length < end) {
      EXPECT_EQ(status, Ipv6Status::kBadPayloadLength);
    } else {
      // Only padding was cut.
      ASSERT_EQ(status, Ipv6Status::kOk);
      EXPECT_EQ(h.upper_offset, c.upper_offset);
      EXPECT_EQ(h.payload.size(), c.payload_length);
    }
  });
}

// Shrinking the payload length instead (as a lying sender would) cuts the
// extension-header chain: the walk must notice.
TEST_P(Ipv6ValidTest, EveryShorterPayloadLengthFailsOrStopsInside) {
  const ValidCase& c = GetParam();
  for (uint32_t payload_length = 0; payload_length < c.payload_length; ++payload_length) {
    SCOPED_TRACE(payload_length);
    std::vector<uint8_t> packet(c.packet.begin(),
                                c.packet.begin() + kIpv6HeaderLength + payload_length);
    store_be16(packet.data() + 4, static_cast<uint16_t>(payload_length));
    Ipv6Header h;
    const Ipv6Status status = parse_ipv6(packet, h);
    if (status == Ipv6Status::kOk) {
      // Legitimate only if the whole chain still fits.
      EXPECT_LE(c.upper_offset, kIpv6HeaderLength + payload_length);
      EXPECT_EQ(h.upper_offset, c.upper_offset);
      EXPECT_EQ(h.upper_protocol, c.upper_protocol);
    } else if (payload_length == 0 && c.next_header == kIpv6HopByHop) {
      EXPECT_EQ(status, Ipv6Status::kJumbogram);
    } else {
      EXPECT_EQ(status, Ipv6Status::kTruncatedExtensionHeader);
      EXPECT_GT(c.upper_offset, kIpv6HeaderLength + payload_length);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scapy, Ipv6ValidTest, testing::ValuesIn(kValidCases), CaseName());

const InvalidCase kInvalidCases[] = {
    INVALID_CASE(bad_version),
    INVALID_CASE(jumbogram),
    INVALID_CASE(payload_length_long),
    INVALID_CASE(extension_header_long),
    INVALID_CASE(extension_header_short),
    INVALID_CASE(fragment_header_short),
    INVALID_CASE(hop_by_hop_second),
    INVALID_CASE(nine_headers),
};

class Ipv6InvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(Ipv6InvalidTest, RejectsWithTheNamedStatus) {
  const InvalidCase& c = GetParam();
  Ipv6Header h;
  EXPECT_EQ(to_string(parse_ipv6(c.packet, h)), c.status);
}

INSTANTIATE_TEST_SUITE_P(Scapy, Ipv6InvalidTest, testing::ValuesIn(kInvalidCases), CaseName());

TEST(Ipv6Test, ShortInputIsTruncated) {
  Ipv6Header h;
  EXPECT_EQ(parse_ipv6({}, h), Ipv6Status::kTruncated);
  EXPECT_EQ(parse_ipv6(ConstBytes(vectors::basic::packet).first(39), h), Ipv6Status::kTruncated);
}

TEST(Ipv6Test, BuilderRejectsWideFlowLabel) {
  std::array<uint8_t, kIpv6HeaderLength> out{};
  Ipv6Fields f;
  f.flow_label = kIpv6MaxFlowLabel + 1;
  EXPECT_EQ(build_ipv6(out, f), 0u);
}

TEST(Ipv6Test, DecrementHopLimit) {
  std::vector<uint8_t> packet = to_vector(vectors::basic::packet);
  ipv6_decrement_hop_limit(packet);
  Ipv6Header h;
  ASSERT_EQ(parse_ipv6(packet, h), Ipv6Status::kOk);
  EXPECT_EQ(h.hop_limit, vectors::basic::hop_limit - 1);
}

TEST(Ipv6Test, StatusNamesAreStable) {
  EXPECT_EQ(to_string(Ipv6Status::kOk), "ok");
  EXPECT_EQ(to_string(Ipv6Status::kTruncated), "truncated");
  EXPECT_EQ(to_string(Ipv6Status::kBadVersion), "bad_version");
  EXPECT_EQ(to_string(Ipv6Status::kJumbogram), "jumbogram");
  EXPECT_EQ(to_string(Ipv6Status::kBadPayloadLength), "bad_payload_length");
  EXPECT_EQ(to_string(Ipv6Status::kTruncatedExtensionHeader), "truncated_extension_header");
  EXPECT_EQ(to_string(Ipv6Status::kHopByHopNotFirst), "hop_by_hop_not_first");
  EXPECT_EQ(to_string(Ipv6Status::kTooManyExtensionHeaders), "too_many_extension_headers");
}

}  // namespace
}  // namespace softwire::proto
