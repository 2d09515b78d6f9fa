// Everything the workers share: SA and session runtime arrays, the lookup
// tables, ports and hand-off rings. The main lcore is the only writer of the
// tables and of the configuration part of each SA/session; workers read them
// lock-free (RCU QSBR). Per-packet runtime state of an SA (replay window,
// sequence number, counters) has exactly one writer: the SA's owner worker.
#pragma once

#include <rte_ether.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
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
#include "shm/protocol.h"

namespace softwire::dp {

inline constexpr unsigned kMaxWorkers = 32;

// Slot generations (SaState, SessionState): written by the main lcore only,
// incremented when an SA/session is added to the slot (odd = live) and when
// it is deleted (even = dead). A stage that takes an index from a lookup
// copies the generation into the packet's metadata; the owner worker, which
// may get the packet from a hand-off ring after the slot was deleted and even
// reused (RCU does not cover packets parked in a ring), drops the packet as
// sa_deleted unless the generation still matches and is odd. A value read
// after a delete can never match a later occupant: reuse waits for a grace
// period, and the reader's value was read before its next quiescent state.
inline bool generation_live(uint32_t slot_generation, uint32_t packet_generation) {
  return slot_generation == packet_generation && (packet_generation & 1u) != 0;
}

// Hot state of one SA, on its own cache lines.
struct alignas(64) SaState {
  // ---- Written by the main lcore before the SA is published in a table;
  // ---- read-only for workers afterwards.
  std::optional<crypto::SaKey> key;
  std::atomic<uint32_t> generation{0};  // see generation_live()
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
  Counter seq_exhausted;               // 0 or 1: outbound, set once by the owner
  // The sequence number for the main lcore (stats, dumps): outbound the next
  // one to send, inbound the highest authenticated (the window's top).
  Counter seq;
};

// Hot state of one L2TP session.
struct alignas(64) SessionState {
  // ---- Written by the main lcore, also while published (modify_session):
  // ---- workers read them with relaxed loads (sa_in: acquire, so that a
  // ---- worker that sees a new sa_in also sees the sa_in_old stored before
  // ---- it; a plain load on x86). core_input copies sa_out into the packet's
  // ---- metadata once, so a packet handed to the owner of the old outbound SA
  // ---- is still encrypted by that SA (one writer per sequence number).
  std::atomic<uint32_t> sa_in{kNoSa};
  std::atomic<uint32_t> sa_in_old{kNoSa};  // make-before-break: previous inbound SA, or kNoSa
  std::atomic<uint32_t> sa_out{kNoSa};
  std::atomic<uint16_t> mtu{1500};
  // ---- Written by the main lcore before publication; read-only for workers.
  std::atomic<uint32_t> generation{0};  // see generation_live()
  uint16_t tunnel_id = 0, session_id = 0;
  uint16_t peer_tunnel_id = 0, peer_session_id = 0;
  uint16_t peer_port = 1701;

  // ---- Upstream counters: written by the owner of the SA that decrypted the
  // ---- packet: sa_in's, or during a rekey also sa_in_old's, whose owner may
  // ---- be another worker. Hence locked adds, made once per run of one
  // ---- session in a burst rather than per packet.
  SharedCounter up_packets, up_bytes, spoofed;
  // ---- Downstream counters: written by the owner of the SA that encrypts:
  // ---- sa_out's, or after a rekey, for packets already handed to it, the
  // ---- previous sa_out's. Same rule as upstream.
  alignas(64) SharedCounter down_packets, down_bytes;

  static constexpr uint32_t kNoSa = UINT32_MAX;
};

// Sums a burst's packets per run of one session and adds each run to that
// session's pair of counters at once: one locked add per run and counter
// instead of one per packet. Flushes when destroyed.
class SessionRunCounter {
 public:
  SessionRunCounter(SessionState* sessions, SharedCounter SessionState::*packets,
                    SharedCounter SessionState::*bytes)
      : sessions_(sessions), packets_counter_(packets), bytes_counter_(bytes) {}
  SessionRunCounter(const SessionRunCounter&) = delete;
  SessionRunCounter& operator=(const SessionRunCounter&) = delete;
  ~SessionRunCounter() { flush(); }

  void count(uint32_t session, uint64_t bytes) {
    if (session != session_) {
      flush();
      session_ = session;
    }
    ++packets_;
    bytes_ += bytes;
  }
  void flush() {
    if (packets_ == 0) return;
    (sessions_[session_].*packets_counter_).add(packets_);
    (sessions_[session_].*bytes_counter_).add(bytes_);
    packets_ = bytes_ = 0;
  }

 private:
  SessionState* sessions_;
  SharedCounter SessionState::*packets_counter_;
  SharedCounter SessionState::*bytes_counter_;
  uint32_t session_ = UINT32_MAX;
  uint64_t packets_ = 0, bytes_ = 0;
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

// Outcome of a runtime table operation: a channel status and, unless kOk, a
// detail text that names the offending field.
struct OpResult {
  shm::Status status = shm::Status::kOk;
  std::string detail;
  uint32_t index = UINT32_MAX;  // adds: the slot of the new SA or session

  bool ok() const { return status == shm::Status::kOk; }
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

  // Adds every SA and session of the configuration (standalone mode),
  // through the same operations as the control channel. Throws
  // std::runtime_error naming the object on failure.
  void apply(const config::Config& cfg);

  // Standalone: sized from the configuration with headroom. Control mode: at
  // least 4096 SAs and 65536 sessions, prefixes at least one per session and
  // family. dataplane.max_sas / max_sessions override the SA/session sizes.
  static Capacities capacities_for(const config::Config& cfg);

  // ---- Runtime operations: main lcore only. Records are untrusted input
  // ---- (shared memory): every field is validated; on failure nothing
  // ---- changes.
  OpResult add_sa(const shm::SaRecord& record);
  // kInUse while a session references the SA (sa_in, sa_in_old or sa_out).
  OpResult delete_sa(const shm::SaKey& key);
  // With the record's prefixes (prefix_count of them); all or nothing.
  OpResult add_session(const shm::SessionRecord& record);
  // Changes sa_in, sa_in_old (kNone = none), sa_out and mtu of the session
  // (tunnel_id, session_id); the other fields of the record are ignored.
  OpResult modify_session(const shm::SessionRecord& record);
  OpResult delete_session(const shm::SessionKey& key);
  // Binds or unbinds (binding.unbind) the listed prefixes; all or nothing.
  OpResult bind_prefixes(const shm::PrefixBinding& binding);

  // Lookups for the main lcore (kNoIndex when absent).
  uint32_t find_sa(uint32_t spi, shm::Direction direction) const;
  uint32_t find_session(uint16_t tunnel_id, uint16_t session_id) const;
  bool sa_live(uint32_t index) const { return sa_slots.is_allocated(index); }
  bool session_live(uint32_t index) const { return session_slots.is_allocated(index); }
  // Sessions referencing the SA (main lcore only).
  uint32_t sa_references(uint32_t index) const { return sa_refs_[index]; }
  // The SA as added, key included, with initial_seq = its current sequence
  // number (SaState::seq), for dumps. Callers wipe the copy after use.
  shm::SaRecord sa_record(uint32_t index) const;
  // The session as a record (prefixes not filled in: see session_prefixes).
  shm::SessionRecord session_record(uint32_t index) const;
  uint32_t sas_in_use() const { return static_cast<uint32_t>(sa_by_key_.size()); }
  uint32_t sessions_in_use() const { return session_table.size(); }

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
  std::vector<std::string> session_identity;                    // by session index
  std::vector<std::vector<config::IpPrefix>> session_prefixes;  // by session index
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
  // The slots of a session record's SAs (sa_in_old = kNoIndex when none),
  // checked to exist and to form a pair.
  struct SessionSas {
    uint32_t sa_in, sa_in_old, sa_out;
  };
  OpResult resolve_session_sas(const shm::SessionRecord& record, SessionSas& out) const;
  DataplaneState(const config::Config& cfg, const std::vector<PortHandle>& ports, unsigned workers,
                 int socket_id, const Capacities& caps);
  void build_sa(SaState& sa, const config::SaConfig& c, uint64_t initial_seq);
  void build_outer_template(SaState& sa);
  bool sa_on_access_port(const config::IpAddress& local) const;
  shm::Status add_prefix(const config::IpPrefix& p, uint32_t session);
  void remove_prefix(const config::IpPrefix& p);
  void retire_session(uint32_t index);
  // Releases an SA slot after a grace period, its key schedule wiped first.
  void retire_sa(uint32_t index);
  static void forget_sa_key(void* self, uint64_t index);

  unsigned workers_;
  // Key expansion on the main lcore (created on first use).
  std::unique_ptr<crypto::AeadEngine> key_engine_;
  // Main lcore only, by slot index.
  // As added, key material included (dumps return it so that a restarted cp
  // can adopt dynamic SAs); wiped at delete and destruction.
  std::vector<shm::SaRecord> sa_records_;
  std::vector<shm::Origin> session_origins_;
  std::vector<uint32_t> sa_refs_;
  // (direction << 32 | spi) -> SA index, for both directions.
  std::unordered_map<uint64_t, uint32_t> sa_by_key_;
  uint16_t access_port_ = 0;
  uint16_t core_port_ = 0;
};

}  // namespace softwire::dp
