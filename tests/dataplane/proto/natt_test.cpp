#include "dataplane/proto/natt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "natt_vectors.h"

namespace softwire::proto {
namespace {

using natt_vectors::kVectors;

ConstBytes bytes_of(const natt_vectors::Vector& v) {
  return {v.udp_payload, v.udp_payload_size};
}

TEST(NattParse, ClassifiesScapyPayloadsLikeScapy) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes input = bytes_of(v);
    NattPayload out;
    ASSERT_EQ(parse_natt(input, out), NattStatus::kOk);
    EXPECT_EQ(out.kind, v.kind);
    EXPECT_EQ(out.payload.data(), input.data() + v.payload_offset);
    EXPECT_EQ(out.payload.size(), input.size() - v.payload_offset);
    switch (out.kind) {
      case NattKind::kEsp:
        EXPECT_EQ(load_be32(out.payload.data()), v.spi);
        break;
      case NattKind::kIke:
        EXPECT_EQ(load_be64(out.payload.data()), v.spi);
        EXPECT_GE(out.payload.size(), kNattIkeHeaderSize);
        break;
      case NattKind::kKeepalive:
        EXPECT_TRUE(out.payload.empty());
        break;
    }
  }
}

TEST(NattBuild, MatchesScapy) {
  uint8_t out[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  ASSERT_EQ(build_natt_keepalive(out), sizeof(natt_vectors::kKeepalive));
  EXPECT_TRUE(
      std::equal(std::begin(natt_vectors::kKeepalive), std::end(natt_vectors::kKeepalive), out));
  EXPECT_EQ(out[1], 0xee);
  ASSERT_EQ(build_natt_non_esp_marker(out), sizeof(natt_vectors::kNonEspMarker));
  EXPECT_TRUE(std::equal(std::begin(natt_vectors::kNonEspMarker),
                         std::end(natt_vectors::kNonEspMarker), out));
  EXPECT_EQ(out[4], 0xee);
}

TEST(NattBuild, RejectsSmallBuffers) {
  uint8_t out[4];
  EXPECT_EQ(build_natt_keepalive(MutableBytes(out, 0)), 0u);
  EXPECT_EQ(build_natt_non_esp_marker(MutableBytes(out, 3)), 0u);
}

TEST(NattBuild, RoundTrip) {
  uint8_t keepalive[1];
  NattPayload out;
  ASSERT_EQ(build_natt_keepalive(keepalive), 1u);
  ASSERT_EQ(parse_natt(keepalive, out), NattStatus::kOk);
  EXPECT_EQ(out.kind, NattKind::kKeepalive);

  std::vector<uint8_t> ike(kNattNonEspMarkerSize + kNattIkeHeaderSize, 0x5a);
  ASSERT_EQ(build_natt_non_esp_marker(ike), kNattNonEspMarkerSize);
  ASSERT_EQ(parse_natt(ike, out), NattStatus::kOk);
  EXPECT_EQ(out.kind, NattKind::kIke);
  EXPECT_EQ(out.payload.data(), ike.data() + kNattNonEspMarkerSize);
}

TEST(NattReject, Truncated) {
  NattPayload out;
  EXPECT_EQ(parse_natt({}, out), NattStatus::kTruncated);
  const uint8_t esp[] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01};
  for (size_t size = 2; size < sizeof(esp); ++size) {
    EXPECT_EQ(parse_natt(ConstBytes(esp).first(size), out), NattStatus::kTruncated) << size;
  }
  EXPECT_EQ(parse_natt(esp, out), NattStatus::kOk);
  const uint8_t two_ff[] = {0xff, 0xff};
  EXPECT_EQ(parse_natt(two_ff, out), NattStatus::kTruncated);
}

TEST(NattReject, BadKeepalive) {
  NattPayload out;
  for (unsigned b = 0; b < 0xff; ++b) {
    const uint8_t one[] = {static_cast<uint8_t>(b)};
    EXPECT_EQ(parse_natt(one, out), NattStatus::kBadKeepalive) << b;
  }
}

TEST(NattReject, TruncatedIke) {
  NattPayload out;
  std::vector<uint8_t> ike(kNattNonEspMarkerSize + kNattIkeHeaderSize, 0);
  for (size_t size = kNattNonEspMarkerSize; size < ike.size(); ++size) {
    EXPECT_EQ(parse_natt(ConstBytes(ike).first(size), out), NattStatus::kTruncatedIke) << size;
  }
}

TEST(NattReject, EveryTruncationOfScapyPayloads) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes input = bytes_of(v);
    for (size_t size = 0; size < input.size(); ++size) {
      NattPayload out;
      const NattStatus status = parse_natt(input.first(size), out);
      if (status != NattStatus::kOk) continue;
      // A shortened ESP packet is still ESP to this classifier (the ESP codec
      // judges its length), and a shortened IKE message may still hold a
      // header. Only an SPI starting with FF cut to one byte reads as a
      // keepalive, which it then is.
      if (size == 1 && input[0] == kNattKeepaliveByte) {
        EXPECT_EQ(out.kind, NattKind::kKeepalive);
      } else {
        EXPECT_EQ(out.kind, v.kind) << size;
      }
      EXPECT_LE(out.payload.data() + out.payload.size(), input.data() + size);
    }
  }
}

TEST(NattNames, AreStable) {
  EXPECT_EQ(to_string(NattStatus::kOk), "ok");
  EXPECT_EQ(to_string(NattStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(NattStatus::kBadKeepalive), "bad_keepalive");
  EXPECT_EQ(to_string(NattStatus::kTruncatedIke), "truncated_ike");
  EXPECT_EQ(to_string(NattKind::kEsp), "esp");
  EXPECT_EQ(to_string(NattKind::kIke), "ike");
  EXPECT_EQ(to_string(NattKind::kKeepalive), "keepalive");
}

}  // namespace
}  // namespace softwire::proto
