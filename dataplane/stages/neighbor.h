// ARP and IPv6 neighbour discovery for the SC's own addresses, on any port.
// Replies reuse the request's mbuf and are queued on the same port.
#pragma once

#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// `m` holds an Ethernet frame whose ethertype is ARP; `l2_len` is the Ethernet
// header length. Answers a request for one of the port's IPv4 addresses
// (counted in arp_replies); anything else is dropped as not_for_us. Consumes m.
void neighbor_arp(WorkerContext& w, uint16_t port, rte_mbuf* m, size_t l2_len);

// `m` holds an IPv6 packet carrying ICMPv6 at `l4_offset` (frame offset).
// Answers a neighbour solicitation for one of the port's IPv6 addresses with
// a solicited neighbour advertisement (counted in nd_replies) and returns
// true. Other ND messages addressed to us are dropped as not_for_us, also
// returning true. Returns false, leaving m untouched, for ICMPv6 that is not
// neighbour discovery, so the caller can punt it.
bool neighbor_nd(WorkerContext& w, uint16_t port, rte_mbuf* m, size_t l3_offset, size_t l4_offset);

}  // namespace softwire::dp
