// Fuzzes cp::PuntHandler::handle on a ppp_control punt whose data are the
// input bytes: when it answers, the answer is an LCP Echo-Reply to the
// request (RFC 1661 §5.8) that fits in a record and carries its own length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "control/cp_metrics.h"
#include "control/punt_handler.h"
#include "fuzz_support.h"
#include "shm/protocol.h"

using namespace softwire;
using softwire::fuzz::check;

namespace {

// The LCP identifier of the request: after the PPP header (ff 03 optional,
// protocol c0 21, which is the only one answered), the code then it.
std::optional<uint8_t> request_identifier(const uint8_t* frame, size_t length) {
  size_t at = length >= 2 && frame[0] == 0xff && frame[1] == 0x03 ? 2 : 0;
  if (at + 4 > length || frame[at] != 0xc0 || frame[at + 1] != 0x21) return std::nullopt;
  return frame[at + 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cp::CpMetrics metrics;
  cp::PuntHandler handler(metrics, 0x01020304);
  handler.set_punt_kind_names({"l2tp_control", "ppp_control", "ike", "icmp"});

  shm::PacketRecord punted{};
  punted.kind = shm::PacketKind::kPunt;
  punted.punt_kind = 1;  // ppp_control
  punted.layer = shm::Layer::kPpp;
  punted.length = static_cast<uint16_t>(std::min<size_t>(size, shm::kPacketBytes));
  std::memcpy(punted.data, data, punted.length);

  const std::optional<shm::PacketRecord> reply = handler.handle(punted);
  check(metrics.punts_received[1].load() == 1);
  if (!reply) {
    check(metrics.lcp_echo_replies.load() == 0);
    return 0;
  }
  check(metrics.lcp_echo_replies.load() == 1 && metrics.punts_malformed.load() == 0);
  check(reply->kind == shm::PacketKind::kInjectPpp && reply->layer == shm::Layer::kPpp);
  check(reply->length >= 2 + cp::kLcpEchoHeaderSize && reply->length <= shm::kPacketBytes);
  check(reply->original_length == reply->length);
  const uint8_t* out = reply->data;
  check(out[0] == 0xc0 && out[1] == 0x21 && out[2] == cp::kLcpEchoReply);
  const std::optional<uint8_t> identifier = request_identifier(punted.data, punted.length);
  check(identifier.has_value() && out[3] == *identifier);
  check(size_t(out[4] << 8 | out[5]) == size_t(reply->length) - 2);
  check(out[6] == 1 && out[7] == 2 && out[8] == 3 && out[9] == 4);
  return 0;
}
