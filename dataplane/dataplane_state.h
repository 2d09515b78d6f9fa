// Everything the workers share: SA and session runtime arrays, the lookup
// tables, ports and hand-off rings. The main lcore is the only writer of the
// tables and of the configuration part of each SA/session; workers read them
// lock-free (RCU QSBR). Per-packet runtime state of an SA (replay window,
// sequence number, counters) has exactly one writer: the SA's owner worker.
#pragma once

#include <rte_ether.h>
#include <rte_ring.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "crypto/aead_engine.h"
#include "crypto/replay_window.h"
#include "dataplane/counters.h"
#include "dataplane/drop_capture.h"
#include "dataplane/ports.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/tables/prefix_table.h"
#include "dataplane/tables/rcu.h"
#include "dataplane/tables/session_table.h"
#include "dataplane/tables/slot_allocator.h"
#include "dataplane/tables/spi_table.h"

namespace softwire::dp {

inline constexpr unsigned kMaxWorkers = 32;

// Hot state of one SA, on its own cache lines.
struct alignas(64) SaState {
  // ---- Written by the main lcore before the SA is published in a table;
  // ---- read-only for workers afterwards.
  std::optional<crypto::SaKey> key;
  uint32_t spi = 0;
  uint16_t owner = 0;  // worker index that owns the window / sequence number
  bool inbound = true;
  bool esn = false;
  bool nat_t = false;
  bool tunnel = false;
  bool gmac = false;  // ESP-NULL with GMAC (RFC 4543): authenticate, do not encrypt
  bool outer_v6 = false;
  bool ts_v6 = false;  // tunnel mode: family of the inner (selector) header
  uint16_t local_port = 4500;
  uint16_t remote_port = 4500;
  std::array<uint8_t, 16> local{};  // outer addresses, network order (IPv4 in [0..3])
  std::array<uint8_t, 16> remote{};
  config::IpPrefix local_ts, remote_ts;
  // Tunnel mode, downstream: source of the inner header. The SA's `local`
  // address, or local_ts's when the selectors are of the other family.
  std::array<uint8_t, 16> tunnel_src{};
  uint64_t life_bytes = 0, life_packets = 0, soft_life_bytes = 0, soft_life_packets = 0;
  // Downstream: Ethernet + outer IP (+ UDP 4500) prebuilt once; the encrypt
  // stage copies it and fills in the lengths and checksums.
  std::array<uint8_t, 64> outer_template{};
  uint8_t outer_template_len = 0;
  uint16_t access_port = 0;  // index into DataplaneState::ports to send on

  // ---- Written only by the owner worker; read by the main lcore for stats.
  alignas(64) std::optional<crypto::ReplayWindow> window;  // inbound SAs
  uint64_t next_seq = 1;                                   // outbound SAs
  Counter packets, bytes, auth_failed, replayed;
  Counter soft_expired, hard_expired;  // 0 or 1: set once by the owner
};

// Hot state of one L2TP session.
struct alignas(64) SessionState {
  // ---- Written by the main lcore before publication; read-only for workers.
  uint32_t sa_in = kNoSa;
  uint32_t sa_out = kNoSa;
  uint16_t tunnel_id = 0, session_id = 0;
  uint16_t peer_tunnel_id = 0, peer_session_id = 0;
  uint16_t peer_port = 1701;
  uint16_t mtu = 1500;

  // ---- Upstream counters: written by the owner of sa_in.
  Counter up_packets, up_bytes, spoofed;
  // ---- Downstream counters: written by the owner of sa_out.
  alignas(64) Counter down_packets, down_bytes;

  static constexpr uint32_t kNoSa = UINT32_MAX;
};

struct PortState {
  std::string name;
  uint16_t port_id = 0;
  uint16_t queues = 0;
  config::PortRole role = config::PortRole::kAccess;
  rte_ether_addr mac{};
  rte_ether_addr gateway_mac{};
  std::vector<uint32_t> ipv4_addresses;  // the SC's own, network order
  std::vector<tables::Ipv6Address> ipv6_addresses;

  // Per packet: inline, IPv6 compared as two words.
  bool owns_ipv4(uint32_t address_be) const {
    for (const uint32_t a : ipv4_addresses)
      if (a == address_be) return true;
    return false;
  }
  bool owns_ipv6(const uint8_t* address) const {
    for (const tables::Ipv6Address& a : ipv6_addresses)
      if (proto::same_16(a.data(), address)) return true;
    return false;
  }
};

struct Neighbor {
  uint16_t port = 0;  // index into DataplaneState::ports
  config::IpAddress address;
  rte_ether_addr mac{};
};

struct Capacities {
  uint32_t sas = 0;
  uint32_t sessions = 0;
  uint32_t ipv4_prefixes = 0;
  uint32_t ipv6_prefixes = 0;
};

class DataplaneState {
 public:
  // Builds ports, tables and rings; then apply() loads SAs and sessions.
  // `ports` gives the DPDK port ids in configuration order (tests may pass
  // fake ones). Throws std::runtime_error on any failure.
  DataplaneState(const config::Config& cfg, const std::vector<PortHandle>& ports, unsigned workers,
                 int socket_id)
      : DataplaneState(cfg, ports, workers, socket_id, capacities_for(cfg)) {}
  ~DataplaneState();
  DataplaneState(const DataplaneState&) = delete;
  DataplaneState& operator=(const DataplaneState&) = delete;

  // Adds every SA and session of the configuration (standalone mode).
  void apply(const config::Config& cfg);

  static Capacities capacities_for(const config::Config& cfg);

  // Frees every packet waiting in a hand-off ring (shutdown, after the
  // workers stopped).
  void drain_handoff_rings();

  unsigned workers() const { return workers_; }
  uint16_t access_port() const { return access_port_; }  // first port with role access
  uint16_t core_port() const { return core_port_; }      // first port with role core

  // Tables: written by the main lcore, read lock-free by workers.
  tables::Rcu rcu;
  tables::SpiTable spi_table;
  tables::SessionTable session_table;
  tables::PrefixTable prefix_table;
  tables::SlotAllocator sa_slots;
  tables::SlotAllocator session_slots;

  std::unique_ptr<SaState[]> sas;
  std::unique_ptr<SessionState[]> sessions;
  uint32_t sa_capacity = 0;
  uint32_t session_capacity = 0;

  // Cold, main lcore only.
  std::vector<std::string> session_identity;  // by session index
  std::vector<uint32_t> sa_indices_in_config_order;
  std::vector<uint32_t> session_indices_in_config_order;

  std::vector<PortState> ports;
  std::vector<Neighbor> neighbors;
  // Hand-off rings: multi-producer (any worker), single consumer (the owner).
  std::array<rte_ring*, kMaxWorkers> handoff_up{};    // after SA lookup
  std::array<rte_ring*, kMaxWorkers> handoff_down{};  // after session lookup
  DropCapture drop_capture;  // armed by the main lcore, read by workers (drop_capture.h)

  // Ethernet next hop for `address` out of port `port`: a neighbor override,
  // else the port's gateway.
  const rte_ether_addr& next_hop_mac(uint16_t port, const config::IpAddress& address) const;

 private:
  DataplaneState(const config::Config& cfg, const std::vector<PortHandle>& ports, unsigned workers,
                 int socket_id, const Capacities& caps);
  uint32_t add_sa(const config::SaConfig& sa, const crypto::AeadEngine& key_engine);
  uint32_t add_session(const config::SessionConfig& s, uint32_t sa_in, uint32_t sa_out);
  void build_outer_template(SaState& sa);

  unsigned workers_;
  uint16_t access_port_ = 0;
  uint16_t core_port_ = 0;
};

}  // namespace softwire::dp
