// Downstream stage 3: ESP (RFC 4303) with AES-GCM (RFC 4106) or AES-GMAC
// (RFC 4543) on the worker that owns the outbound SA. Checks the hard
// lifetime and the sequence space, assigns the next sequence number (the IV
// is the full 64-bit sequence number: unique under one key), adds header,
// trailer and ICV room, and encrypts the whole burst with one engine call.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Needs meta session_index and sa_index; the packet data is the ESP payload.
// On return the data is the ESP packet (SPI .. ICV) and meta seq holds the
// assigned sequence number. Counts SA packets/bytes (payload bytes), sets the
// soft/hard lifetime flags, and counts the session's down_packets/down_bytes
// (inner IP bytes): nothing after this stage drops a packet. n <= kMaxBurst.
uint16_t esp_encrypt(WorkerContext& w, rte_mbuf** pkts, uint16_t n);

}  // namespace softwire::dp
