#include "control/punt_handler.h"

#include <cstring>
#include <utility>

namespace softwire::cp {
namespace {

constexpr uint8_t kPppAddress = 0xff;
constexpr uint8_t kPppControl = 0x03;

void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void store_be32(uint8_t* p, uint32_t v) {
  store_be16(p, static_cast<uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<uint16_t>(v));
}

// The PPP header of an L2TP data frame: optional ff 03, then the protocol in
// one byte (odd: PFC) or two (RFC 1661 §2: low bit of the high byte 0, of
// the low byte 1). Returns the offset of the information field, or nothing
// when the header is malformed or does not fit in `length`.
std::optional<size_t> parse_ppp_header(const uint8_t* frame, size_t length, uint16_t& protocol) {
  size_t at = 0;
  if (length >= 1 && frame[0] == kPppAddress) {
    if (length < 2 || frame[1] != kPppControl) return std::nullopt;
    at = 2;
  }
  if (at >= length) return std::nullopt;
  if (frame[at] & 1) {
    protocol = frame[at];
    return at + 1;
  }
  if (at + 2 > length) return std::nullopt;
  protocol = load_be16(frame + at);
  if ((protocol & 0x0101) != 0x0001) return std::nullopt;
  return at + 2;
}

}  // namespace

PuntHandler::PuntHandler(CpMetrics& metrics, uint32_t lcp_magic_number)
    : metrics_(metrics), lcp_magic_number_(lcp_magic_number) {}

void PuntHandler::set_punt_kind_names(std::vector<std::string> names) {
  ppp_control_kind_ = shm::kNone;
  for (size_t i = 0; i < names.size() && i < shm::kMaxPuntKinds; ++i) {
    if (names[i] == "ppp_control") ppp_control_kind_ = static_cast<uint32_t>(i);
  }
}

std::optional<shm::PacketRecord> PuntHandler::handle(const shm::PacketRecord& punted) {
  switch (punted.kind) {
    case shm::PacketKind::kPunt:
      if (punted.punt_kind >= shm::kMaxPuntKinds || punted.length > shm::kPacketBytes) {
        bump(metrics_.punts_malformed);
        return std::nullopt;
      }
      bump(metrics_.punts_received[punted.punt_kind]);
      if (punted.punt_kind == ppp_control_kind_ && punted.layer == shm::Layer::kPpp) {
        return handle_ppp_control(punted);
      }
      return std::nullopt;
    case shm::PacketKind::kSecuritySample:
      bump(metrics_.security_samples);
      return std::nullopt;
    case shm::PacketKind::kDropCapture:
      bump(metrics_.drop_captures);
      return std::nullopt;
    default:
      bump(metrics_.punts_malformed);
      return std::nullopt;
  }
}

std::optional<shm::PacketRecord> PuntHandler::handle_ppp_control(const shm::PacketRecord& punted) {
  const uint8_t* frame = punted.data;
  const size_t length = punted.length;
  uint16_t protocol = 0;
  const std::optional<size_t> information = parse_ppp_header(frame, length, protocol);
  if (!information) {
    bump(metrics_.punts_malformed);
    return std::nullopt;
  }
  if (protocol != kPppProtocolLcp) return std::nullopt;  // NCPs, PAP, CHAP: counted only

  const uint8_t* lcp = frame + *information;
  const size_t available = length - *information;
  if (available < kLcpHeaderSize) {
    bump(metrics_.punts_malformed);
    return std::nullopt;
  }
  const uint8_t code = lcp[0];
  const size_t lcp_length = load_be16(lcp + 2);
  const size_t minimum = code == kLcpEchoRequest ? kLcpEchoHeaderSize : kLcpHeaderSize;
  if (lcp_length < minimum || lcp_length > available) {
    bump(metrics_.punts_malformed);
    return std::nullopt;
  }
  if (code != kLcpEchoRequest) return std::nullopt;  // other LCP codes: counted only

  // Echo-Reply: same identifier, length and data; our magic number.
  shm::PacketRecord reply{};
  reply.kind = shm::PacketKind::kInjectPpp;
  reply.layer = shm::Layer::kPpp;
  reply.port = punted.port;
  reply.worker = punted.worker;
  reply.sa_index = punted.sa_index;
  reply.spi = punted.spi;
  reply.session_index = punted.session_index;
  reply.session = punted.session;
  uint8_t* out = reply.data;
  store_be16(out, kPppProtocolLcp);
  out[2] = kLcpEchoReply;
  out[3] = lcp[1];
  store_be16(out + 4, static_cast<uint16_t>(lcp_length));
  store_be32(out + 6, lcp_magic_number_);
  std::memcpy(out + 2 + kLcpEchoHeaderSize, lcp + kLcpEchoHeaderSize,
              lcp_length - kLcpEchoHeaderSize);
  reply.length = static_cast<uint16_t>(2 + lcp_length);
  reply.original_length = reply.length;
  bump(metrics_.lcp_echo_replies);
  return reply;
}

}  // namespace softwire::cp
