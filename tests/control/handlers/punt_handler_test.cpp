#include "control/punt_handler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "punt_vectors.h"

namespace softwire::cp {
namespace {

// The data plane's punt kind names, in its order (dataplane/drop_reason.h).
const std::vector<std::string> kPuntKindNames = {"l2tp_control", "ppp_control", "ike", "icmp"};
constexpr uint8_t kPppControl = 1;
constexpr uint8_t kL2tpControl = 0;

uint64_t get(const std::atomic<uint64_t>& counter) {
  return counter.load();
}

// A punted ppp_control record holding `frame`; the bytes after `length` are
// `filler`, so that a handler reading past `length` gives another answer
// for another filler.
std::unique_ptr<shm::PacketRecord> punt_of(const uint8_t* frame, size_t length,
                                           uint8_t filler = 0xa5) {
  auto record = std::make_unique<shm::PacketRecord>();
  std::memset(record.get(), 0, sizeof *record);
  record->kind = shm::PacketKind::kPunt;
  record->punt_kind = kPppControl;
  record->layer = shm::Layer::kPpp;
  record->port = 1;
  record->worker = 3;
  record->sa_index = 17;
  record->spi = 0x1001;
  record->session_index = 42;
  record->session = {.tunnel_id = 0x1234, .session_id = 0xbeef};
  record->timestamp_ns = 1;
  std::memset(record->data, filler, sizeof record->data);
  if (length) std::memcpy(record->data, frame, length);
  record->length = static_cast<uint16_t>(length);
  record->original_length = static_cast<uint16_t>(length + 40);
  return record;
}

struct Fixture : ::testing::Test {
  Fixture() { handler.set_punt_kind_names(kPuntKindNames); }
  CpMetrics metrics;
  PuntHandler handler{metrics, punt_vectors::kOurMagic};
};

using PuntHandlerEcho = Fixture;

TEST_F(PuntHandlerEcho, RepliesWithScapysEchoReplyBytes) {
  uint64_t replies = 0;
  for (const auto& c : punt_vectors::kEchoCases) {
    SCOPED_TRACE(c.name);
    for (const uint8_t filler : {0x00, 0xff}) {
      const auto punted = punt_of(c.request, c.request_size, filler);
      const auto reply = handler.handle(*punted);
      ASSERT_TRUE(reply.has_value());
      ++replies;
      EXPECT_EQ(reply->kind, shm::PacketKind::kInjectPpp);
      EXPECT_EQ(reply->layer, shm::Layer::kPpp);
      EXPECT_EQ(reply->session.tunnel_id, 0x1234);
      EXPECT_EQ(reply->session.session_id, 0xbeef);
      EXPECT_EQ(reply->session_index, 42u);
      EXPECT_EQ(reply->sa_index, 17u);
      EXPECT_EQ(reply->port, 1);
      EXPECT_EQ(reply->worker, 3);
      ASSERT_EQ(reply->length, c.reply_size);
      EXPECT_EQ(std::vector<uint8_t>(reply->data, reply->data + reply->length),
                std::vector<uint8_t>(c.reply, c.reply + c.reply_size));
    }
  }
  EXPECT_EQ(get(metrics.lcp_echo_replies), replies);
  EXPECT_EQ(get(metrics.punts_received[kPppControl]), replies);
  EXPECT_EQ(get(metrics.punts_malformed), 0u);
}

TEST_F(PuntHandlerEcho, MagicNumberIsTheOneGiven) {
  CpMetrics zero_metrics;
  PuntHandler unnegotiated(zero_metrics, 0);  // RFC 1661 §5.8: zero until negotiated
  unnegotiated.set_punt_kind_names(kPuntKindNames);
  const auto& c = punt_vectors::kEchoCases[0];
  const auto reply = unnegotiated.handle(*punt_of(c.request, c.request_size));
  ASSERT_TRUE(reply.has_value());
  ASSERT_EQ(reply->length, c.reply_size);
  // c0 21 | code id length | magic: bytes 6..9 of the reply.
  for (size_t i = 0; i < reply->length; ++i) {
    EXPECT_EQ(reply->data[i], i >= 6 && i < 10 ? 0 : c.reply[i]) << i;
  }
}

TEST_F(PuntHandlerEcho, EveryTruncationIsMalformed) {
  uint64_t cuts = 0;
  for (const auto& c : punt_vectors::kEchoCases) {
    SCOPED_TRACE(c.name);
    // The LCP length covers the whole request except padding.
    const size_t header = c.request[0] == 0xff ? 4 : 2;
    const size_t lcp_end = header + (size_t(c.request[header + 2]) << 8 | c.request[header + 3]);
    for (size_t length = 0; length < lcp_end; ++length) {
      SCOPED_TRACE(length);
      for (const uint8_t filler : {0x00, 0xff}) {
        // The bytes past the cut are the rest of the request, then filler.
        auto punted = punt_of(c.request, c.request_size, filler);
        punted->length = static_cast<uint16_t>(length);
        ASSERT_FALSE(handler.handle(*punted).has_value());
        ++cuts;
      }
    }
    // Padding may be cut: the LCP packet is still whole.
    for (size_t length = lcp_end; length <= c.request_size; ++length) {
      auto punted = punt_of(c.request, c.request_size);
      punted->length = static_cast<uint16_t>(length);
      EXPECT_TRUE(handler.handle(*punted).has_value()) << length;
    }
  }
  EXPECT_EQ(get(metrics.punts_malformed), cuts);
}

TEST_F(PuntHandlerEcho, MalformedFramesAreCountedAndUnanswered) {
  for (const auto& f : punt_vectors::kMalformedFrames) {
    SCOPED_TRACE(f.name);
    const uint64_t before = get(metrics.punts_malformed);
    EXPECT_FALSE(handler.handle(*punt_of(f.bytes, f.size)).has_value());
    EXPECT_EQ(get(metrics.punts_malformed), before + 1);
  }
  EXPECT_EQ(get(metrics.punts_received[kPppControl]), std::size(punt_vectors::kMalformedFrames));
  EXPECT_EQ(get(metrics.lcp_echo_replies), 0u);
}

TEST_F(PuntHandlerEcho, OtherLcpCodesAndProtocolsAreOnlyCounted) {
  for (const auto& f : punt_vectors::kIgnoredFrames) {
    SCOPED_TRACE(f.name);
    EXPECT_FALSE(handler.handle(*punt_of(f.bytes, f.size)).has_value());
  }
  EXPECT_EQ(get(metrics.punts_received[kPppControl]), std::size(punt_vectors::kIgnoredFrames));
  EXPECT_EQ(get(metrics.punts_malformed), 0u);
  EXPECT_EQ(get(metrics.lcp_echo_replies), 0u);
}

TEST_F(PuntHandlerEcho, EchoRequestUnderAnotherKindOrLayerIsNotAnswered) {
  const auto& c = punt_vectors::kEchoCases[0];
  auto l2tp = punt_of(c.request, c.request_size);
  l2tp->punt_kind = kL2tpControl;
  EXPECT_FALSE(handler.handle(*l2tp).has_value());
  auto layer = punt_of(c.request, c.request_size);
  layer->layer = shm::Layer::kL2tp;
  EXPECT_FALSE(handler.handle(*layer).has_value());
  EXPECT_EQ(get(metrics.punts_received[kL2tpControl]), 1u);
  EXPECT_EQ(get(metrics.punts_received[kPppControl]), 1u);
  EXPECT_EQ(get(metrics.punts_malformed), 0u);
}

TEST_F(PuntHandlerEcho, PuntKindIsTakenFromTheNames) {
  CpMetrics other_metrics;
  PuntHandler reordered(other_metrics, punt_vectors::kOurMagic);
  const auto& c = punt_vectors::kEchoCases[0];
  // No names yet: nothing is ppp_control.
  EXPECT_FALSE(reordered.handle(*punt_of(c.request, c.request_size)).has_value());
  reordered.set_punt_kind_names({"ike", "icmp", "l2tp_control", "ppp_control"});
  EXPECT_FALSE(reordered.handle(*punt_of(c.request, c.request_size)).has_value());
  auto punted = punt_of(c.request, c.request_size);
  punted->punt_kind = 3;
  EXPECT_TRUE(reordered.handle(*punted).has_value());
  EXPECT_EQ(get(other_metrics.punts_received[kPppControl]), 2u);
  EXPECT_EQ(get(other_metrics.punts_received[3]), 1u);
  EXPECT_EQ(get(other_metrics.lcp_echo_replies), 1u);
}

TEST_F(PuntHandlerEcho, CountsEveryRecordByKind) {
  const auto& c = punt_vectors::kEchoCases[0];
  auto sample = punt_of(c.request, c.request_size);
  sample->kind = shm::PacketKind::kSecuritySample;
  auto capture = punt_of(c.request, c.request_size);
  capture->kind = shm::PacketKind::kDropCapture;
  auto inject = punt_of(c.request, c.request_size);
  inject->kind = shm::PacketKind::kInjectPpp;
  auto bad_kind = punt_of(c.request, c.request_size);
  bad_kind->punt_kind = shm::kMaxPuntKinds;
  auto too_long = punt_of(c.request, c.request_size);
  too_long->length = shm::kPacketBytes + 1;
  auto icmp = punt_of(c.request, c.request_size);
  icmp->punt_kind = 3;
  icmp->layer = shm::Layer::kIp;

  EXPECT_FALSE(handler.handle(*sample).has_value());
  EXPECT_FALSE(handler.handle(*sample).has_value());
  EXPECT_FALSE(handler.handle(*capture).has_value());
  EXPECT_FALSE(handler.handle(*inject).has_value());
  EXPECT_FALSE(handler.handle(*bad_kind).has_value());
  EXPECT_FALSE(handler.handle(*too_long).has_value());
  EXPECT_FALSE(handler.handle(*icmp).has_value());
  EXPECT_EQ(get(metrics.security_samples), 2u);
  EXPECT_EQ(get(metrics.drop_captures), 1u);
  EXPECT_EQ(get(metrics.punts_malformed), 3u);
  EXPECT_EQ(get(metrics.punts_received[3]), 1u);
  EXPECT_EQ(get(metrics.punts_received[kPppControl]), 0u);
}

}  // namespace
}  // namespace softwire::cp
