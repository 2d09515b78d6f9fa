#include "dataplane/proto/checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "checksum_vectors.h"
#include "test_support.h"

namespace softwire::proto {
namespace {

// Same generator as pattern() in checksum_vectors.py.
std::vector<uint8_t> pattern(size_t length) {
  std::vector<uint8_t> data(length);
  for (size_t i = 0; i < length; ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  return data;
}

TEST(ChecksumTest, PrefixesMatchScapy) {
  const ConstBytes data = vectors::prefixes::data;
  const ConstBytes lengths = vectors::prefixes::lengths;
  const ConstBytes checksums = vectors::prefixes::checksums;
  ASSERT_EQ(lengths.size() / 4, checksums.size() / 2);
  for (size_t i = 0; i < checksums.size() / 2; ++i) {
    const size_t length = load_be32(lengths.data() + 4 * i);
    SCOPED_TRACE(length);
    // Exact-size copy so that ASan sees any read past the end.
    const std::vector<uint8_t> prefix(data.begin(), data.begin() + length);
    EXPECT_EQ(internet_checksum(prefix), load_be16(checksums.data() + 2 * i));
  }
}

TEST(ChecksumTest, InputsBeyondA32BitAccumulatorMatchScapy) {
  EXPECT_EQ(internet_checksum(pattern(vectors::pattern_70001::length)),
            vectors::pattern_70001::checksum);
  EXPECT_EQ(internet_checksum(pattern(vectors::pattern_200000::length)),
            vectors::pattern_200000::checksum);
  const std::vector<uint8_t> ones(vectors::ones_200000::length, 0xff);
  EXPECT_EQ(internet_checksum(ones), vectors::ones_200000::checksum);
}

TEST(ChecksumTest, SumsChainOverEvenSplits) {
  const ConstBytes data = vectors::prefixes::data;
  const uint16_t whole = checksum_sum(data);
  for (size_t split = 0; split < data.size(); split += 2) {
    EXPECT_EQ(checksum_sum(data.subspan(split), checksum_sum(data.first(split))), whole) << split;
  }
}

TEST(ChecksumTest, Ipv4HeaderMatchesScapy) {
  std::vector<uint8_t> header = to_vector(vectors::ipv4_header::header);
  EXPECT_TRUE(checksum_ok(header));
  store_be16(header.data() + 10, 0);
  EXPECT_FALSE(checksum_ok(header));
  EXPECT_EQ(internet_checksum(header), vectors::ipv4_header::checksum);
}

TEST(ChecksumTest, AllZeroDataDoesNotVerify) {
  const std::array<uint8_t, 20> zeros{};
  EXPECT_FALSE(checksum_ok(zeros));
  EXPECT_FALSE(checksum_ok({}));
}

// A UDP or TCP segment and the checksum scapy computed with its pseudo-header.
struct L4Case {
  const char* name;
  ConstBytes segment;
  uint32_t checksum_offset;
  uint32_t checksum;
  uint32_t protocol;
  uint16_t (*pseudo_header_sum)(size_t length);
};

#define L4_CASE_V4(ns)                                                                             \
  L4Case {                                                                                         \
    .name = #ns, .segment = vectors::ns::segment, .checksum_offset = vectors::ns::checksum_offset, \
    .checksum = vectors::ns::checksum, .protocol = vectors::ns::protocol,                          \
    .pseudo_header_sum = [](size_t length) {                                                       \
      return ipv4_pseudo_header_sum(vectors::ns::src_ipv4, vectors::ns::dst_ipv4,                  \
                                    static_cast<uint8_t>(vectors::ns::protocol),                   \
                                    static_cast<uint16_t>(length));                                \
    }                                                                                              \
  }

#define L4_CASE_V6(ns)                                                                             \
  L4Case {                                                                                         \
    .name = #ns, .segment = vectors::ns::segment, .checksum_offset = vectors::ns::checksum_offset, \
    .checksum = vectors::ns::checksum, .protocol = vectors::ns::protocol,                          \
    .pseudo_header_sum = [](size_t length) {                                                       \
      return ipv6_pseudo_header_sum(vectors::ns::src_ipv6, vectors::ns::dst_ipv6,                  \
                                    static_cast<uint8_t>(vectors::ns::protocol),                   \
                                    static_cast<uint32_t>(length));                                \
    }                                                                                              \
  }

const L4Case kL4Cases[] = {
    L4_CASE_V4(udp_ipv4), L4_CASE_V4(udp_ipv4_odd), L4_CASE_V4(tcp_ipv4),
    L4_CASE_V6(udp_ipv6), L4_CASE_V6(tcp_ipv6),
};

class PseudoHeaderTest : public testing::TestWithParam<L4Case> {};

TEST_P(PseudoHeaderTest, ChecksumMatchesScapy) {
  const L4Case& c = GetParam();
  const uint16_t pseudo = c.pseudo_header_sum(c.segment.size());
  EXPECT_TRUE(checksum_ok(c.segment, pseudo));
  std::vector<uint8_t> segment = to_vector(c.segment);
  store_be16(segment.data() + c.checksum_offset, 0);
  EXPECT_EQ(internet_checksum(segment, pseudo), c.checksum);
  // A pseudo-header for another length does not verify.
  EXPECT_FALSE(checksum_ok(c.segment, c.pseudo_header_sum(c.segment.size() + 1)));
}

INSTANTIATE_TEST_SUITE_P(Scapy, PseudoHeaderTest, testing::ValuesIn(kL4Cases), CaseName());

struct MssCase {
  const char* name;
  ConstBytes before;
  ConstBytes after;
  uint32_t old_mss;
  uint32_t new_mss;
};

#define MSS_CASE(ns)                                                         \
  MssCase {                                                                  \
    .name = #ns, .before = vectors::ns::before, .after = vectors::ns::after, \
    .old_mss = vectors::ns::old_mss, .new_mss = vectors::ns::new_mss         \
  }

const MssCase kMssCases[] = {MSS_CASE(mss_clamp_ipv4), MSS_CASE(mss_clamp_ipv6),
                             MSS_CASE(mss_clamp_small)};

class IncrementalUpdateTest : public testing::TestWithParam<MssCase> {};

// What the data plane's MSS clamp does: rewrite the option value, patch the
// TCP checksum without reading the rest of the segment.
TEST_P(IncrementalUpdateTest, MssClampMatchesScapysRecomputation) {
  constexpr size_t kMssValueOffset = 22;
  constexpr size_t kTcpChecksumOffset = 16;
  const MssCase& c = GetParam();
  std::vector<uint8_t> segment = to_vector(c.before);
  ASSERT_EQ(load_be16(segment.data() + kMssValueOffset), c.old_mss);
  store_be16(segment.data() + kMssValueOffset, static_cast<uint16_t>(c.new_mss));
  const uint16_t checksum = load_be16(segment.data() + kTcpChecksumOffset);
  store_be16(segment.data() + kTcpChecksumOffset,
             checksum_update16(checksum, static_cast<uint16_t>(c.old_mss),
                               static_cast<uint16_t>(c.new_mss)));
  EXPECT_EQ(segment, to_vector(c.after));
}

INSTANTIATE_TEST_SUITE_P(Scapy, IncrementalUpdateTest, testing::ValuesIn(kMssCases), CaseName());

TEST(IncrementalUpdateTest, AddressRewriteMatchesScapy) {
  std::vector<uint8_t> header = to_vector(vectors::address_rewrite::before);
  const ConstBytes after = vectors::address_rewrite::after;
  const uint32_t old_src = load_be32(header.data() + 12);
  const uint32_t new_src = load_be32(after.data() + 12);
  store_be32(header.data() + 12, new_src);
  store_be16(header.data() + 10,
             checksum_update32(load_be16(header.data() + 10), old_src, new_src));
  EXPECT_EQ(header, to_vector(after));
}

// Every single-word change of a checksummed block keeps it verifying.
TEST(IncrementalUpdateTest, AgreesWithRecomputationOnEveryWord) {
  std::vector<uint8_t> block = to_vector(vectors::ipv4_header::header);
  for (size_t offset = 0; offset < block.size(); offset += 2) {
    if (offset == 10) continue;  // the checksum itself
    for (const uint16_t value : {0x0000, 0x0001, 0x00ff, 0x8000, 0xfffe, 0xffff}) {
      const uint16_t old_word = load_be16(block.data() + offset);
      store_be16(block.data() + offset, value);
      store_be16(block.data() + 10,
                 checksum_update16(load_be16(block.data() + 10), old_word, value));
      ASSERT_TRUE(checksum_ok(block)) << offset << " " << value;
    }
  }
}

TEST(ChecksumTest, OnesComplementHelpers) {
  EXPECT_EQ(checksum_fold(0x0001ffff), 0x0001);
  EXPECT_EQ(checksum_fold(0xffffffff), 0xffff);
  EXPECT_EQ(checksum_add(0x8000, 0x8000), 0x0001);
  EXPECT_EQ(ipv4_pseudo_header_sum(0xffffffff, 0xffffffff, 0xff, 0xffff),
            checksum_fold(0xffff * 5 + 0xff));
}

}  // namespace
}  // namespace softwire::proto
