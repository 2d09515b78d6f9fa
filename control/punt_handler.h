// Answers control traffic that the data plane punts to softwire-cp.
//
// For now the only answer is the LCP Echo-Reply (RFC 1661 §5.8), which keeps
// an SI's PPP keepalives alive; everything else (other LCP codes, NCPs, PAP/
// CHAP, L2TP control, IKE, ICMP) is counted by punt kind and left alone until
// the full PPP/L2TP negotiation exists.
//
// Used by softwire-cp's main loop thread only (not thread-safe); it writes
// the CpMetrics counters named below, which the metrics thread reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/cp_metrics.h"
#include "shm/protocol.h"

namespace softwire::cp {

inline constexpr uint16_t kPppProtocolLcp = 0xc021;
inline constexpr uint8_t kLcpEchoRequest = 9;
inline constexpr uint8_t kLcpEchoReply = 10;
inline constexpr size_t kLcpHeaderSize = 4;      // code, identifier, length (RFC 1661 §5)
inline constexpr size_t kLcpEchoHeaderSize = 8;  // + magic number (RFC 1661 §5.8)

class PuntHandler {
 public:
  // lcp_magic_number: what our Echo-Replies carry in their Magic-Number
  // field. RFC 1661 §5.8: zero until the Magic-Number option has been
  // negotiated; the caller decides.
  PuntHandler(CpMetrics& metrics, uint32_t lcp_magic_number);

  // The data plane's punt kind names (shm::StatsHeader::punt_kind_names, in
  // index order). Until they are set no punt is recognised as ppp_control,
  // so no echo is answered (punts are still counted).
  void set_punt_kind_names(std::vector<std::string> names);

  // One record from a punt ring. Returns the record to push onto the inject
  // ring, if any. Counts:
  // - kPunt: punts_received[punt_kind]; for ppp_control with layer kPpp, a
  //   frame that is not well-formed PPP (ff03 optional, protocol 1 or 2 bytes
  //   per RFC 1661 PFC) or, for LCP, whose LCP header/length does not fit in
  //   `length` (or an Echo-Request shorter than 8 bytes) counts
  //   punts_malformed; an answered Echo-Request counts lcp_echo_replies.
  //   Octets after the LCP length are padding (RFC 1661 §5) and ignored.
  // - kSecuritySample / kDropCapture: security_samples / drop_captures; the
  //   caller routes them to the SecurityLog / the capture writer.
  // - anything else (an inject kind, an unknown kind, a punt_kind or length
  //   out of range): punts_malformed.
  // The reply: kind kInjectPpp, layer kPpp, session/session_index/sa_index/
  // port/worker copied from the request, data = c0 21 + LCP Echo-Reply (same
  // identifier, length and data as the request, our magic number).
  std::optional<shm::PacketRecord> handle(const shm::PacketRecord& punted);

 private:
  std::optional<shm::PacketRecord> handle_ppp_control(const shm::PacketRecord& punted);

  CpMetrics& metrics_;
  uint32_t lcp_magic_number_;
  uint32_t ppp_control_kind_ = shm::kNone;  // index of "ppp_control"; kNone until names are set
};

}  // namespace softwire::cp
