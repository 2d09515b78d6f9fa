// Inner IP packet helpers shared by the upstream (ingress_filter) and
// downstream (core_input) pipelines: TTL / hop-limit decrement and TCP MSS
// clamping of SYNs. They work on a contiguous, already validated inner IP
// packet (the caller has parsed it with proto::parse_ipv4 / parse_ipv6).
#pragma once

#include <cstddef>
#include <cstdint>

namespace softwire::dp {

// Decrements the IPv4 TTL (patching the header checksum incrementally, RFC
// 1624) or the IPv6 hop limit of the header at `ip`. Returns false, leaving
// the packet untouched, if the TTL / hop limit is <= 1: the caller drops the
// packet as ttl_expired.
bool decrement_ttl(uint8_t* ip, bool v6);

// Clamps the MSS option of a TCP SYN to at most `max_mss` and patches the TCP
// checksum incrementally. `tcp` points at the TCP header, `tcp_len` bytes of
// TCP header and payload are available. Anything that is not a SYN, has no MSS
// option, or has a malformed option list is left alone (clamping is best
// effort; the packet is still forwarded).
void clamp_tcp_mss_l4(uint8_t* tcp, size_t tcp_len, uint16_t max_mss);

// The same, locating TCP in the inner IP packet `ip` of `len` bytes: IPv4 by
// IHL (only first/unfragmented packets, protocol 6), IPv6 only when TCP is the
// fixed header's next header (extension headers are rare on subscriber
// traffic; use clamp_tcp_mss_l4 with the parser's upper_offset for those).
void clamp_tcp_mss(uint8_t* ip, size_t len, bool v6, uint16_t max_mss);

// The MSS bound for a link MTU: mtu - 40 (IPv4) or mtu - 60 (IPv6).
constexpr uint16_t mss_for_mtu(uint16_t mtu, bool v6) {
  const uint16_t overhead = v6 ? 60 : 40;
  return mtu > overhead ? static_cast<uint16_t>(mtu - overhead) : 0;
}

}  // namespace softwire::dp
