// Downstream stage 4: prepends the SA's prebuilt Ethernet + outer IP
// (+ UDP 4500) template, fills in lengths and checksums and queues the frame
// on the SA's access port.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Needs meta sa_index; the packet data is the ESP packet. Sends (or drops)
// every packet: returns 0.
uint16_t access_output(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
