#include "dataplane/proto/esp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "esp_vectors.h"
#include "test_support.h"

namespace softwire::proto {
namespace {

using esp_vectors::kGcmVectors;
using esp_vectors::kTrailerVectors;

ConstBytes packet_of(const esp_vectors::GcmVector& v) {
  return {v.packet, v.packet_size};
}
ConstBytes plaintext_of(const esp_vectors::GcmVector& v) {
  return {v.plaintext, v.plaintext_size};
}
ConstBytes plaintext_of(const esp_vectors::TrailerVector& v) {
  return {v.plaintext, v.plaintext_size};
}

// A valid packet: header, n aligned words of ciphertext, ICV.
std::vector<uint8_t> make_packet(uint32_t spi, size_t ciphertext_size) {
  std::vector<uint8_t> packet(kEspHeaderSize + ciphertext_size + kEspIcvSize, 0xab);
  store_be32(packet.data(), spi);
  return packet;
}

TEST(EspParse, ScapyGcmPacketsSplitIntoHeaderCiphertextIcv) {
  for (const auto& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes packet = packet_of(v);
    EspPacket esp;
    ASSERT_EQ(parse_esp(packet, esp), EspStatus::kOk);
    EXPECT_EQ(esp.spi, v.spi);
    EXPECT_EQ(esp.seq, v.seq);
    EXPECT_EQ(esp.iv, v.iv);
    EXPECT_EQ(esp.header.data(), packet.data());
    EXPECT_EQ(esp.header.size(), kEspHeaderSize);
    EXPECT_EQ(esp.ciphertext.data(), packet.data() + kEspHeaderSize);
    EXPECT_EQ(esp.ciphertext.size(), v.plaintext_size);
    EXPECT_EQ(esp.icv.data(), packet.data() + packet.size() - kEspIcvSize);
    EXPECT_EQ(esp.icv.size(), kEspIcvSize);
    EXPECT_EQ(esp.ciphertext.size(), esp_padded_length(v.payload_size));
    EXPECT_EQ(packet.size(), esp_packet_length(v.payload_size));
  }
}

TEST(EspParse, ScapyGcmPlaintextTrailer) {
  for (const auto& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes plaintext = plaintext_of(v);
    EspTrailer trailer;
    ASSERT_EQ(parse_esp_trailer(plaintext, trailer), EspStatus::kOk);
    EXPECT_EQ(trailer.payload.data(), plaintext.data());
    EXPECT_EQ(trailer.payload.size(), v.payload_size);
    EXPECT_EQ(trailer.pad_length, v.pad_length);
    EXPECT_EQ(trailer.next_header, v.next_header);
    EXPECT_FALSE(trailer.is_dummy);
  }
}

TEST(EspParse, ScapyTrailersWithEveryPadLength) {
  for (const auto& v : kTrailerVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes plaintext = plaintext_of(v);
    EspTrailer trailer;
    ASSERT_EQ(parse_esp_trailer(plaintext, trailer), EspStatus::kOk);
    EXPECT_EQ(trailer.payload.data(), plaintext.data());
    EXPECT_EQ(trailer.payload.size(), v.payload_size);
    EXPECT_EQ(trailer.pad_length, v.pad_length);
    EXPECT_EQ(trailer.next_header, v.next_header);
    EXPECT_EQ(trailer.is_dummy, v.next_header == kEspNextHeaderDummy);
  }
}

TEST(EspParse, DummyPacketIsFlagged) {
  const auto it = std::find_if(std::begin(kTrailerVectors), std::end(kTrailerVectors),
                               [](const auto& v) { return v.next_header == 59; });
  ASSERT_NE(it, std::end(kTrailerVectors));
  EspTrailer trailer;
  ASSERT_EQ(parse_esp_trailer(plaintext_of(*it), trailer), EspStatus::kOk);
  EXPECT_TRUE(trailer.is_dummy);
}

TEST(EspBuild, HeaderMatchesScapy) {
  for (const auto& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    uint8_t out[kEspHeaderSize + 4] = {};
    ASSERT_EQ(build_esp_header(out, {.spi = v.spi, .seq = v.seq, .iv = v.iv}), kEspHeaderSize);
    EXPECT_TRUE(std::equal(out, out + kEspHeaderSize, v.packet));
  }
}

TEST(EspBuild, TrailerMatchesScapy) {
  // Both AES-GCM and NULL align to 4 bytes, as our builder does; the AES-CBC
  // vectors pad to 16 and are only parsed.
  auto check = [](ConstBytes plaintext, size_t payload_size, uint8_t next_header) {
    std::vector<uint8_t> out(plaintext.size() - payload_size + 8, 0xee);
    const size_t written =
        build_esp_trailer(out, {.payload_size = payload_size, .next_header = next_header});
    ASSERT_EQ(written, plaintext.size() - payload_size);
    EXPECT_EQ(written, esp_trailer_length(payload_size));
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + written, plaintext.begin() + payload_size));
    EXPECT_EQ(out[written], 0xee);  // nothing written past the trailer (ICV space)
  };
  for (const auto& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    check(plaintext_of(v), v.payload_size, v.next_header);
  }
  for (const auto& v : kTrailerVectors) {
    if (std::string_view(v.name).starts_with("cbc")) continue;
    SCOPED_TRACE(v.name);
    check(plaintext_of(v), v.payload_size, v.next_header);
  }
}

TEST(EspBuild, PaddedLength) {
  EXPECT_EQ(esp_padded_length(0), 4u);
  EXPECT_EQ(esp_padded_length(1), 4u);
  EXPECT_EQ(esp_padded_length(2), 4u);
  EXPECT_EQ(esp_padded_length(3), 8u);
  EXPECT_EQ(esp_padded_length(6), 8u);
  EXPECT_EQ(esp_padded_length(7), 12u);
  EXPECT_EQ(esp_trailer_length(2), 2u);
  EXPECT_EQ(esp_trailer_length(3), 5u);
  EXPECT_EQ(esp_packet_length(2), kEspHeaderSize + 4 + kEspIcvSize);
}

TEST(EspBuild, RejectsSmallBuffersAndReservedSpi) {
  uint8_t out[kEspHeaderSize] = {};
  EXPECT_EQ(build_esp_header(MutableBytes(out, kEspHeaderSize - 1), {.spi = 0x1000}), 0u);
  EXPECT_EQ(build_esp_header(out, {.spi = 0}), 0u);
  EXPECT_EQ(build_esp_header(out, {.spi = 255}), 0u);
  EXPECT_EQ(build_esp_header(out, {.spi = 256}), kEspHeaderSize);
  EXPECT_EQ(build_esp_trailer(MutableBytes(out, 4), {.payload_size = 3}), 0u);
  EXPECT_EQ(build_esp_trailer(MutableBytes(out, 5), {.payload_size = 3}), 5u);
}

TEST(EspBuild, RoundTrip) {
  for (size_t payload_size = 0; payload_size < 40; ++payload_size) {
    SCOPED_TRACE(payload_size);
    std::vector<uint8_t> packet(esp_packet_length(payload_size), 0);
    const EspHeaderFields fields{.spi = 0xdeadbeef, .seq = 77, .iv = 0x0102030405060708};
    ASSERT_EQ(build_esp_header(packet, fields), kEspHeaderSize);
    for (size_t i = 0; i < payload_size; ++i) packet[kEspHeaderSize + i] = 0xff;
    const MutableBytes tail = MutableBytes(packet).subspan(kEspHeaderSize + payload_size);
    ASSERT_EQ(build_esp_trailer(tail, {.payload_size = payload_size, .next_header = 17}),
              esp_trailer_length(payload_size));
    EspPacket esp;
    ASSERT_EQ(parse_esp(packet, esp), EspStatus::kOk);
    EXPECT_EQ(esp.spi, fields.spi);
    EXPECT_EQ(esp.seq, fields.seq);
    EXPECT_EQ(esp.iv, fields.iv);
    EspTrailer trailer;
    ASSERT_EQ(parse_esp_trailer(esp.ciphertext, trailer), EspStatus::kOk);
    EXPECT_EQ(trailer.payload.size(), payload_size);
    EXPECT_EQ(trailer.next_header, 17);
  }
}

TEST(EspReject, Truncated) {
  EspPacket esp;
  for (size_t size = 0; size < kEspMinPacketSize; ++size) {
    const auto packet = make_packet(0x1000, 4);
    EXPECT_EQ(parse_esp(ConstBytes(packet).first(size), esp), EspStatus::kTruncated) << size;
  }
  EXPECT_EQ(parse_esp(make_packet(0x1000, 4), esp), EspStatus::kOk);
}

TEST(EspReject, ZeroSpi) {
  EspPacket esp;
  EXPECT_EQ(parse_esp(make_packet(0, 8), esp), EspStatus::kZeroSpi);
}

TEST(EspReject, ReservedSpi) {
  EspPacket esp;
  EXPECT_EQ(parse_esp(make_packet(1, 8), esp), EspStatus::kReservedSpi);
  EXPECT_EQ(parse_esp(make_packet(255, 8), esp), EspStatus::kReservedSpi);
  EXPECT_EQ(parse_esp(make_packet(256, 8), esp), EspStatus::kOk);
}

TEST(EspReject, BadAlignment) {
  EspPacket esp;
  for (size_t extra = 1; extra < 4; ++extra) {
    EXPECT_EQ(parse_esp(make_packet(0x1000, 4 + extra), esp), EspStatus::kBadAlignment) << extra;
  }
  auto packet = to_vector(packet_of(kGcmVectors[0]));
  packet.push_back(0);
  EXPECT_EQ(parse_esp(packet, esp), EspStatus::kBadAlignment);
}

TEST(EspReject, TrailerTruncated) {
  const uint8_t plaintext[] = {0, 17};
  EspTrailer trailer;
  EXPECT_EQ(parse_esp_trailer(ConstBytes(plaintext).first(0), trailer), EspStatus::kTruncated);
  EXPECT_EQ(parse_esp_trailer(ConstBytes(plaintext).first(1), trailer), EspStatus::kTruncated);
  EXPECT_EQ(parse_esp_trailer(plaintext, trailer), EspStatus::kOk);
}

TEST(EspReject, BadPadLength) {
  EspTrailer trailer;
  const uint8_t only_trailer[] = {1, 17};
  EXPECT_EQ(parse_esp_trailer(only_trailer, trailer), EspStatus::kBadPadLength);
  const uint8_t exactly_fits[] = {1, 2, 2, 17};
  EXPECT_EQ(parse_esp_trailer(exactly_fits, trailer), EspStatus::kOk);
  EXPECT_EQ(trailer.payload.size(), 0u);
  const uint8_t one_too_many[] = {1, 2, 3, 17};
  EXPECT_EQ(parse_esp_trailer(one_too_many, trailer), EspStatus::kBadPadLength);
  // A scapy plaintext whose pad length claims everything and more.
  auto plaintext = to_vector(plaintext_of(kTrailerVectors[0]));
  plaintext[plaintext.size() - 2] = static_cast<uint8_t>(plaintext.size() - 1);
  EXPECT_EQ(parse_esp_trailer(plaintext, trailer), EspStatus::kBadPadLength);
}

TEST(EspReject, BadPadding) {
  EspTrailer trailer;
  for (const auto& v : kTrailerVectors) {
    for (size_t i = 0; i < v.pad_length; ++i) {
      SCOPED_TRACE(std::string(v.name) + " byte " + std::to_string(i));
      auto plaintext = to_vector(plaintext_of(v));
      plaintext[v.payload_size + i] ^= 0x80;
      EXPECT_EQ(parse_esp_trailer(plaintext, trailer), EspStatus::kBadPadding);
    }
  }
  const uint8_t zero_padding[] = {0xaa, 0, 0, 2, 17};
  EXPECT_EQ(parse_esp_trailer(zero_padding, trailer), EspStatus::kBadPadding);
}

TEST(EspReject, EveryTruncationOfScapyPackets) {
  for (const auto& v : kGcmVectors) {
    SCOPED_TRACE(v.name);
    const ConstBytes packet = packet_of(v);
    for (size_t size = 0; size < packet.size(); ++size) {
      EspPacket esp;
      const EspStatus status = parse_esp(packet.first(size), esp);
      if (status != EspStatus::kOk) continue;
      // Dropping whole words leaves a shorter but well-formed packet.
      EXPECT_EQ((packet.size() - size) % kEspAlignment, 0u) << size;
      EXPECT_EQ(esp.header.size() + esp.ciphertext.size() + esp.icv.size(), size);
    }
    const ConstBytes plaintext = plaintext_of(v);
    for (size_t size = 0; size < plaintext.size(); ++size) {
      EspTrailer trailer;
      if (parse_esp_trailer(plaintext.first(size), trailer) == EspStatus::kOk) {
        EXPECT_LE(trailer.payload.size() + trailer.pad_length + 2, size);
      }
    }
  }
}

TEST(EspStatusNames, AreStable) {
  EXPECT_EQ(to_string(EspStatus::kOk), "ok");
  EXPECT_EQ(to_string(EspStatus::kTruncated), "truncated");
  EXPECT_EQ(to_string(EspStatus::kZeroSpi), "zero_spi");
  EXPECT_EQ(to_string(EspStatus::kReservedSpi), "reserved_spi");
  EXPECT_EQ(to_string(EspStatus::kBadAlignment), "bad_alignment");
  EXPECT_EQ(to_string(EspStatus::kBadPadLength), "bad_pad_length");
  EXPECT_EQ(to_string(EspStatus::kBadPadding), "bad_padding");
}

}  // namespace
}  // namespace softwire::proto
