// Upstream stage 1: Ethernet and outer IPv4/IPv6 input on an access port, and
// the demultiplexing of what is addressed to the SC (ARP/ND, ICMP, IKE, NAT-T,
// ESP). Packets that continue carry ESP (directly or in UDP 4500); their
// MbufMeta holds l3_offset, esp_offset, outer_is_v6, via_nat_t, ingress_port.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Stage convention (worker_context.h). `port` is the index of the access port
// in DataplaneState::ports.
uint16_t access_input(WorkerContext& w, uint16_t port, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
