// The punt path: control traffic, security samples and drop captures from a
// worker to the control plane over the worker's punt ring in shared memory
// (shm::PacketRecord, one ring per worker, the worker is the only producer).
//
// What each punt kind carries (PacketRecord::layer says what data[0] is):
//   ike           kUdp: the outer UDP header, then the IKE message; on UDP
//                 4500 the 4-byte non-ESP marker is still in front of IKE.
//                 outer_src/dst_port are the same UDP ports.
//   icmp          kIp: the IP header of the ICMP/ICMPv6 packet (access or
//                 core port).
//   l2tp_control  kUdp: the decrypted UDP datagram carrying the L2TP control
//                 message (the L2TP header is at data[8]). The datagram's UDP
//                 header is kept because its source port is the SI's L2TP
//                 port, which replies must go to (any port, not only 1701).
//                 sa_index/spi: the SA that authenticated it; session: the
//                 (tunnel id, session id) of the L2TP header, session_index
//                 kNone (control messages are not looked up).
//   ppp_control   kPpp: the PPP frame from its address/control field (ff 03)
//                 or, with ACFC, from its protocol field; session_index and
//                 session: the session the SA owns; sa_index/spi.
// Every record: kind, port (receiving port; 0xffff for injected packets),
// worker, outer_src/dst (the outer IP header as received; for core packets
// the packet's own IP header), outer_src/dst_port (outer UDP: 500, 4500 NAT-T,
// else 0), original_length = bytes from data[0] to the end of the packet,
// length = min(original_length, kPacketBytes), timestamp CLOCK_REALTIME.
//
// Punts pass the worker's policer (punt_policer.h) first; security samples
// (unknown_spi, auth_failed, replay, spoofed_source: first 256 bytes, at most
// 10 per second per worker) and drop captures (drop_capture.h: whole packet)
// do not. A full ring loses the record (punt_ring_full).
//
// Samples and captures copy from the data pointer; `layer` says what is
// there (layer_at_drop). esp_decrypt decrypts in place, so a packet dropped
// after it with the data pointer still at the frame (bad_padding, a replay
// found within the burst, selector checks) carries its plaintext where the
// ciphertext was; for auth_failed (and crypto_error) only the headers up to
// and including the IV are copied, since the rest is keystream XOR the
// sender's bytes. original_length still gives the whole packet.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <optional>

#include "dataplane/drop_reason.h"
#include "dataplane/mbuf_meta.h"
#include "shm/protocol.h"

namespace softwire::dp {

class DataplaneState;

// What a stage knows about a packet it punts, beyond MbufMeta (port, SA,
// outer addresses come from there).
struct PuntSite {
  shm::Layer layer;
  uint16_t offset = 0;  // from the mbuf's data pointer to data[0]
  uint32_t session_index = kNoIndex;
  shm::SessionKey session{0, 0};  // (tunnel id, session id) when known
};

inline constexpr unsigned kSecuritySampleBytes = 256;
inline constexpr uint32_t kSecuritySamplesPerSecond = 10;
inline constexpr uint16_t kNoPort = 0xffff;  // PacketRecord::port of injected packets

// Drop reasons that produce security samples (a bit per DropReason).
inline constexpr uint64_t kSampledReasons =
    (uint64_t{1} << static_cast<unsigned>(DropReason::unknown_spi)) |
    (uint64_t{1} << static_cast<unsigned>(DropReason::auth_failed)) |
    (uint64_t{1} << static_cast<unsigned>(DropReason::replay)) |
    (uint64_t{1} << static_cast<unsigned>(DropReason::spoofed_source));
static_assert(kDropReasonCount <= 64);

// What the data pointer of a packet dropped for `reason` starts with,
// inferred from its metadata (the stages move the data pointer; see
// punt_path.cpp). nullopt when no shm::Layer names it: a downstream packet
// dropped after ESP encapsulation (crypto_error, no_buffer_space in
// access_output) starts with ESP.
std::optional<shm::Layer> layer_at_drop(const DataplaneState& state, const rte_mbuf* m,
                                        DropReason reason);

// The outer addresses and UDP ports, from the metadata's buffer positions
// (family kNone and ports 0 where unknown).
struct OuterAddresses {
  shm::Address src{}, dst{};
  uint16_t src_port = 0, dst_port = 0;
};
OuterAddresses outer_addresses(const rte_mbuf* m);

}  // namespace softwire::dp
