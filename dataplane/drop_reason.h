// Every way a packet can leave the pipeline without being forwarded: drop
// reasons and punt kinds, each with a stable name (operators' dashboards and
// the --stats-json contract depend on the names) and a help text.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace softwire::dp {

// X(name, help). The first twenty names are fixed by the data-plane issue.
#define SOFTWIRE_DROP_REASONS(X)                                                              \
  X(unknown_spi, "ESP SPI matches no inbound SA")                                             \
  X(auth_failed, "ESP ICV did not verify")                                                    \
  X(replay, "ESP sequence number already seen or left of the anti-replay window")             \
  X(bad_padding, "ESP padding bytes are not 1, 2, 3, ...")                                    \
  X(bad_next_header, "ESP next header is not UDP (transport mode) or IP (tunnel mode)")       \
  X(malformed_ip, "outer IPv4/IPv6 header invalid")                                           \
  X(malformed_esp, "ESP header or length invalid")                                            \
  X(malformed_udp, "UDP header invalid")                                                      \
  X(malformed_l2tp, "L2TPv2 header invalid")                                                  \
  X(malformed_ppp, "PPP header invalid")                                                      \
  X(malformed_inner, "inner IP packet invalid or not matching the PPP protocol")              \
  X(not_for_us, "destination is not one of the SC's addresses")                              \
  X(unknown_session, "L2TP tunnel/session id matches no session")                             \
  X(session_sa_mismatch, "session is not bound to the SA that authenticated the packet")     \
  X(spoofed_source, "inner source address is not assigned to the session")                   \
  X(ttl_expired, "TTL or hop limit would reach zero")                                         \
  X(no_route, "inner destination matches no session prefix")                                  \
  X(sa_expired, "SA reached its hard byte or packet lifetime")                                \
  X(nat_keepalive, "NAT-T keepalive (RFC 3948), counted and dropped")                         \
  X(selector_mismatch, "decrypted packet outside the SA's traffic selectors")                 \
  X(malformed_l2, "Ethernet frame too short or with unsupported VLAN tags")                   \
  X(fragment, "outer IP fragment; reassembly is not supported")                               \
  X(unexpected_protocol, "outer protocol is neither ESP, NAT-T, IKE nor ICMP")                \
  X(encap_mismatch, "ESP arrived with or without UDP encapsulation, unlike its SA")          \
  X(dummy_packet, "ESP dummy packet (next header 59)")                                        \
  X(mtu_exceeded, "inner packet larger than the session MTU")                                 \
  X(seq_exhausted, "outbound sequence numbers exhausted (32-bit, no ESN)")                    \
  X(no_buffer_space, "not enough mbuf headroom or tailroom for encapsulation")                \
  X(handoff_full, "ring to the worker that owns the SA is full")                              \
  X(tx_full, "transmit queue full")                                                           \
  X(crypto_error, "crypto engine rejected the operation (key built for another code path)")  \
  X(sa_deleted, "SA or session deleted while the packet waited in a hand-off ring")

// X(name, help)
#define SOFTWIRE_PUNT_KINDS(X)                                      \
  X(l2tp_control, "L2TP control message")                           \
  X(ppp_control, "PPP frame that is not IPv4/IPv6 (LCP, NCP, auth)") \
  X(ike, "IKE on UDP 500, or on UDP 4500 after the non-ESP marker") \
  X(icmp, "ICMP/ICMPv6 addressed to the SC")

enum class DropReason : uint8_t {
#define SOFTWIRE_ENUM_ENTRY(name, help) name,
  SOFTWIRE_DROP_REASONS(SOFTWIRE_ENUM_ENTRY)
};
enum class PuntKind : uint8_t { SOFTWIRE_PUNT_KINDS(SOFTWIRE_ENUM_ENTRY) };
#undef SOFTWIRE_ENUM_ENTRY

struct NameAndHelp {
  std::string_view name;
  std::string_view help;
};

#define SOFTWIRE_TABLE_ENTRY(name, help) NameAndHelp{#name, help},
inline constexpr std::array kDropReasons = {SOFTWIRE_DROP_REASONS(SOFTWIRE_TABLE_ENTRY)};
inline constexpr std::array kPuntKinds = {SOFTWIRE_PUNT_KINDS(SOFTWIRE_TABLE_ENTRY)};
#undef SOFTWIRE_TABLE_ENTRY

inline constexpr size_t kDropReasonCount = kDropReasons.size();
inline constexpr size_t kPuntKindCount = kPuntKinds.size();

inline std::string_view to_string(DropReason r) { return kDropReasons[static_cast<size_t>(r)].name; }
inline std::string_view to_string(PuntKind k) { return kPuntKinds[static_cast<size_t>(k)].name; }

}  // namespace softwire::dp
