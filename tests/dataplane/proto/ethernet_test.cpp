#include "dataplane/proto/ethernet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "ethernet_vectors.h"
#include "test_support.h"

namespace softwire::proto {
namespace {

MacAddress to_mac(ConstBytes bytes) {
  MacAddress mac{};
  std::copy_n(bytes.begin(), mac.size(), mac.begin());
  return mac;
}

// A frame scapy built and the field values scapy read back from it.
struct FrameCase {
  const char* name;
  ConstBytes packet;
  ConstBytes dst;
  ConstBytes src;
  uint32_t ether_type;
  uint32_t tag_count;
  std::array<VlanTag, kMaxVlanTags> tags;
  uint32_t header_length;
  ConstBytes payload;
};

#define TAG(ns, i)                                                                            \
  VlanTag {                                                                                   \
    .tpid = static_cast<uint16_t>(vectors::ns::tag##i##_tpid),                                \
    .pcp = static_cast<uint8_t>(vectors::ns::tag##i##_pcp), .dei = vectors::ns::tag##i##_dei, \
    .vid = static_cast<uint16_t>(vectors::ns::tag##i##_vid)                                   \
  }

#define FRAME_CASE(ns)                                                                            \
  FrameCase {                                                                                     \
    .name = #ns, .packet = vectors::ns::packet, .dst = vectors::ns::dst, .src = vectors::ns::src, \
    .ether_type = vectors::ns::ether_type, .tag_count = vectors::ns::tag_count,                   \
    .tags = {TAG(ns, 0), TAG(ns, 1)}, .header_length = vectors::ns::header_length,                \
    .payload = vectors::ns::payload                                                               \
  }

const FrameCase kFrameCases[] = {
    FRAME_CASE(untagged),     FRAME_CASE(dot1q),  FRAME_CASE(qinq),
    FRAME_CASE(double_dot1q), FRAME_CASE(padded), FRAME_CASE(header_only),
};

class EthernetValidTest : public testing::TestWithParam<FrameCase> {};

TEST_P(EthernetValidTest, ParsesEveryFieldScapySet) {
  const FrameCase& c = GetParam();
  EthernetHeader h;
  ASSERT_EQ(parse_ethernet(c.packet, h), EthernetStatus::kOk);
  EXPECT_EQ(h.dst, to_mac(c.dst));
  EXPECT_EQ(h.src, to_mac(c.src));
  EXPECT_EQ(h.ether_type, c.ether_type);
  ASSERT_EQ(h.tag_count, c.tag_count);
  for (size_t i = 0; i < h.tag_count; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(h.tags[i].tpid, c.tags[i].tpid);
    EXPECT_EQ(h.tags[i].pcp, c.tags[i].pcp);
    EXPECT_EQ(h.tags[i].dei, c.tags[i].dei);
    EXPECT_EQ(h.tags[i].vid, c.tags[i].vid);
  }
  EXPECT_EQ(h.header_length, c.header_length);
  EXPECT_EQ(to_vector(h.payload), to_vector(c.payload));
  EXPECT_EQ(h.payload.data(), c.packet.data() + c.header_length);
}

TEST_P(EthernetValidTest, BuildsTheBytesScapyBuilt) {
  const FrameCase& c = GetParam();
  EthernetFields f;
  f.dst = to_mac(c.dst);
  f.src = to_mac(c.src);
  f.ether_type = static_cast<uint16_t>(c.ether_type);
  f.tag_count = static_cast<uint8_t>(c.tag_count);
  f.tags = c.tags;
  ASSERT_EQ(ethernet_header_length(f), c.header_length);
  std::array<uint8_t, 32> out{};
  ASSERT_EQ(build_ethernet(out, f), c.header_length);
  EXPECT_EQ(to_vector(ConstBytes(out).first(c.header_length)),
            to_vector(c.packet.first(c.header_length)));
  EXPECT_EQ(build_ethernet(MutableBytes(out).first(c.header_length - 1), f), 0u);
}

TEST_P(EthernetValidTest, EveryTruncationFailsOrParsesTheSameHeader) {
  const FrameCase& c = GetParam();
  for_each_truncation(c.packet, [&](size_t length, ConstBytes cut) {
    EthernetHeader h;
    const EthernetStatus status = parse_ethernet(cut, h);
    if (length < c.header_length) {
      EXPECT_EQ(status, EthernetStatus::kTruncated);
    } else {
      // Ethernet has no length of its own: a shorter payload is still a frame.
      ASSERT_EQ(status, EthernetStatus::kOk);
      EXPECT_EQ(h.header_length, c.header_length);
      EXPECT_EQ(h.ether_type, c.ether_type);
      EXPECT_EQ(h.payload.size(), length - c.header_length);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Scapy, EthernetValidTest, testing::ValuesIn(kFrameCases), CaseName());

const InvalidCase kInvalidFrames[] = {
    INVALID_CASE(multicast_source), INVALID_CASE(three_tags),
    INVALID_CASE(s_tag_inside),     INVALID_CASE(llc),
    INVALID_CASE(llc_in_tag),
};

class EthernetInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(EthernetInvalidTest, RejectsWithTheNamedStatus) {
  EthernetHeader h;
  EXPECT_EQ(to_string(parse_ethernet(GetParam().packet, h)), GetParam().status);
}

INSTANTIATE_TEST_SUITE_P(Scapy, EthernetInvalidTest, testing::ValuesIn(kInvalidFrames), CaseName());

TEST(EthernetTest, ShortInputIsTruncated) {
  EthernetHeader h;
  EXPECT_EQ(parse_ethernet({}, h), EthernetStatus::kTruncated);
  EXPECT_EQ(parse_ethernet(ConstBytes(vectors::untagged::packet).first(13), h),
            EthernetStatus::kTruncated);
  // Cut inside the second tag.
  EXPECT_EQ(parse_ethernet(ConstBytes(vectors::qinq::packet).first(20), h),
            EthernetStatus::kTruncated);
}

TEST(EthernetTest, BuilderRejectsOutOfRangeTags) {
  std::array<uint8_t, 32> out{};
  EthernetFields f;
  f.ether_type = kEtherTypeIpv4;
  f.tag_count = 3;
  EXPECT_EQ(build_ethernet(out, f), 0u);
  f.tag_count = 1;
  f.tags[0] = VlanTag{.tpid = kEtherTypeVlan, .pcp = 8, .dei = false, .vid = 1};
  EXPECT_EQ(build_ethernet(out, f), 0u);
  f.tags[0] = VlanTag{.tpid = kEtherTypeVlan, .pcp = 7, .dei = false, .vid = 4096};
  EXPECT_EQ(build_ethernet(out, f), 0u);
  f.tags[0] = VlanTag{.tpid = kEtherTypeIpv4, .pcp = 7, .dei = false, .vid = 1};
  EXPECT_EQ(build_ethernet(out, f), 0u);
  f.tags[0] = VlanTag{.tpid = kEtherTypeQinQ, .pcp = 7, .dei = true, .vid = 4095};
  EXPECT_EQ(build_ethernet(out, f), 18u);
}

TEST(EthernetTest, StatusNamesAreStable) {
  EXPECT_EQ(to_string(EthernetStatus::kOk), "ok");
  EXPECT_EQ(to_string(EthernetStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(EthernetStatus::kMulticastSource), "multicast_source");
  EXPECT_EQ(to_string(EthernetStatus::kTooManyTags), "too_many_tags");
  EXPECT_EQ(to_string(EthernetStatus::kBadTagOrder), "bad_tag_order");
  EXPECT_EQ(to_string(EthernetStatus::kLlcFrame), "llc_frame");
}

// ---- ARP ----

struct ArpCase {
  const char* name;
  ConstBytes packet;
  uint32_t operation;
  ConstBytes sender_mac;
  uint32_t sender_ip;
  ConstBytes target_mac;
  uint32_t target_ip;
};

#define ARP_CASE(ns)                                                                 \
  ArpCase {                                                                          \
    .name = #ns, .packet = vectors::ns::packet, .operation = vectors::ns::operation, \
    .sender_mac = vectors::ns::sender_mac, .sender_ip = vectors::ns::sender_ip,      \
    .target_mac = vectors::ns::target_mac, .target_ip = vectors::ns::target_ip       \
  }

const ArpCase kArpCases[] = {ARP_CASE(arp_request), ARP_CASE(arp_reply)};

class ArpValidTest : public testing::TestWithParam<ArpCase> {};

TEST_P(ArpValidTest, ParsesAndBuildsWhatScapyBuilt) {
  const ArpCase& c = GetParam();
  ArpPacket arp;
  ASSERT_EQ(parse_arp(c.packet, arp), ArpStatus::kOk);
  EXPECT_EQ(arp.operation, c.operation);
  EXPECT_EQ(arp.sender_mac, to_mac(c.sender_mac));
  EXPECT_EQ(arp.sender_ip, c.sender_ip);
  EXPECT_EQ(arp.target_mac, to_mac(c.target_mac));
  EXPECT_EQ(arp.target_ip, c.target_ip);
  std::array<uint8_t, kArpLength> out{};
  ASSERT_EQ(build_arp(out, arp), kArpLength);
  EXPECT_EQ(to_vector(out), to_vector(c.packet));
  EXPECT_EQ(build_arp(MutableBytes(out).first(kArpLength - 1), arp), 0u);
}

TEST_P(ArpValidTest, EveryTruncationFails) {
  const ArpCase& c = GetParam();
  for (size_t length = 0; length < kArpLength; ++length) {
    ArpPacket arp;
    EXPECT_EQ(parse_arp(c.packet.first(length), arp), ArpStatus::kTruncated) << length;
  }
}

INSTANTIATE_TEST_SUITE_P(Scapy, ArpValidTest, testing::ValuesIn(kArpCases), CaseName());

TEST(ArpTest, ReplyFrameMatchesScapy) {
  ArpPacket request;
  ASSERT_EQ(parse_arp(vectors::arp_request::packet, request), ArpStatus::kOk);
  const MacAddress own_mac = to_mac(vectors::arp_reply_frame::own_mac);
  const ArpPacket reply = make_arp_reply(request, own_mac);

  std::array<uint8_t, kEthernetHeaderLength + kArpLength> frame{};
  EthernetFields ethernet;
  ethernet.dst = request.sender_mac;
  ethernet.src = own_mac;
  ethernet.ether_type = kEtherTypeArp;
  const size_t header_length = build_ethernet(frame, ethernet);
  ASSERT_EQ(header_length, kEthernetHeaderLength);
  ASSERT_EQ(build_arp(MutableBytes(frame).subspan(header_length), reply), kArpLength);
  EXPECT_EQ(to_vector(frame), to_vector(vectors::arp_reply_frame::packet));
}

const InvalidCase kInvalidArp[] = {
    INVALID_CASE(arp_bad_hardware),        INVALID_CASE(arp_bad_protocol),
    INVALID_CASE(arp_bad_hardware_length), INVALID_CASE(arp_bad_protocol_length),
    INVALID_CASE(arp_bad_operation),
};

class ArpInvalidTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(ArpInvalidTest, RejectsWithTheNamedStatus) {
  ArpPacket arp;
  EXPECT_EQ(to_string(parse_arp(GetParam().packet, arp)), GetParam().status);
}

INSTANTIATE_TEST_SUITE_P(Scapy, ArpInvalidTest, testing::ValuesIn(kInvalidArp), CaseName());

TEST(ArpTest, StatusNamesAreStable) {
  EXPECT_EQ(to_string(ArpStatus::kOk), "ok");
  EXPECT_EQ(to_string(ArpStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(ArpStatus::kBadHardwareType), "bad_hardware_type");
  EXPECT_EQ(to_string(ArpStatus::kBadProtocolType), "bad_protocol_type");
  EXPECT_EQ(to_string(ArpStatus::kBadAddressLength), "bad_address_length");
  EXPECT_EQ(to_string(ArpStatus::kBadOperation), "bad_operation");
}

}  // namespace
}  // namespace softwire::proto
