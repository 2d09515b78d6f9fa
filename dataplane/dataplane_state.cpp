#include "dataplane/dataplane_state.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "dataplane/mbuf_meta.h"
#include "dataplane/proposal_alg.h"
#include "dataplane/proto/bytes.h"
#include "shm/records.h"

namespace softwire::dp {

namespace {

rte_ether_addr to_ether(const config::MacAddress& mac) {
  rte_ether_addr e;
  std::copy(mac.bytes.begin(), mac.bytes.end(), e.addr_bytes);
  return e;
}

uint32_t ipv4_host_order(const config::IpAddress& a) {
  return proto::load_be32(a.bytes.data());
}

// Headroom for growth: SAs are replaced at rekey, sessions come and go.
uint32_t with_headroom(size_t count, uint32_t minimum) {
  return std::max<uint32_t>(minimum, static_cast<uint32_t>(count + count / 4));
}

}  // namespace

Capacities DataplaneState::capacities_for(const config::Config& cfg) {
  size_t v4 = 0, v6 = 0;
  for (const auto& s : cfg.sessions)
    for (const auto& p : s.prefixes) (p.address.is_v4() ? v4 : v6)++;
  Capacities caps{
      .sas = with_headroom(cfg.sas.size() * 2, 64),
      .sessions = with_headroom(cfg.sessions.size(), 1024),
      .ipv4_prefixes = with_headroom(v4, 1024),
      .ipv6_prefixes = with_headroom(v6, 1024),
  };
  if (cfg.control) {
    caps.sas = std::max<uint32_t>(caps.sas, 4096);
    caps.sessions = std::max<uint32_t>(caps.sessions, 65536);
  }
  if (cfg.dataplane.max_sas != 0) caps.sas = cfg.dataplane.max_sas;
  if (cfg.dataplane.max_sessions != 0) caps.sessions = cfg.dataplane.max_sessions;
  if (cfg.control) {
    caps.ipv4_prefixes = std::max(caps.ipv4_prefixes, caps.sessions);
    caps.ipv6_prefixes = std::max(caps.ipv6_prefixes, caps.sessions);
  }
  return caps;
}

DataplaneState::DataplaneState(const config::Config& cfg, const std::vector<PortHandle>& handles,
                               unsigned workers, int socket_id, const Capacities& caps)
    : rcu("sw", std::max(workers, 1u), 4096, socket_id),
      spi_table("sw", caps.sas, rcu, socket_id),
      session_table("sw", caps.sessions, rcu, socket_id),
      prefix_table("sw",
                   tables::PrefixTableConfig{.max_ipv4_prefixes = caps.ipv4_prefixes,
                                             .max_ipv6_prefixes = caps.ipv6_prefixes},
                   rcu, socket_id),
      sa_slots("swsa", caps.sas, rcu, socket_id),
      session_slots("swses", caps.sessions, rcu, socket_id),
      workers_(workers) {
  if (workers == 0 || workers > kMaxWorkers)
    throw std::runtime_error("between 1 and " + std::to_string(kMaxWorkers) + " workers");
  if (cfg.ports.size() > kMaxPorts || handles.size() != cfg.ports.size())
    throw std::runtime_error("at most " + std::to_string(kMaxPorts) + " ports");
  sa_capacity = caps.sas;
  session_capacity = caps.sessions;
  sas = std::make_unique<SaState[]>(sa_capacity);
  sessions = std::make_unique<SessionState[]>(session_capacity);
  session_identity.resize(session_capacity);
  session_prefixes.resize(session_capacity);
  session_origins_.resize(session_capacity);
  sa_records_.resize(sa_capacity);
  sa_refs_.resize(sa_capacity);

  bool have_access = false, have_core = false;
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    const auto& pc = cfg.ports[i];
    PortState p;
    p.name = pc.name;
    p.port_id = handles[i].port_id;
    p.queues = handles[i].queues;
    p.role = pc.role;
    p.mac = to_ether(pc.mac);
    p.gateway_mac = to_ether(pc.gateway_mac);
    for (const auto& a : pc.addresses) {
      if (a.address.is_v4()) {
        uint32_t be;
        std::memcpy(&be, a.address.bytes.data(), 4);
        p.ipv4_addresses.push_back(be);
      } else {
        p.ipv6_addresses.push_back(a.address.bytes);
      }
    }
    const auto index = static_cast<uint16_t>(i);
    if (pc.role == config::PortRole::kAccess && !have_access)
      access_port_ = index, have_access = true;
    if (pc.role == config::PortRole::kCore && !have_core) core_port_ = index, have_core = true;
    ports.push_back(std::move(p));
  }
  if (!have_access || !have_core) throw std::runtime_error("need an access and a core port");
  for (const auto& n : cfg.neighbors) {
    const auto it = std::find_if(cfg.ports.begin(), cfg.ports.end(),
                                 [&](const auto& p) { return p.name == n.port; });
    neighbors.push_back(
        Neighbor{static_cast<uint16_t>(it - cfg.ports.begin()), n.address, to_ether(n.mac)});
  }

  for (unsigned w = 0; w < workers; ++w) {
    for (auto* rings : {&handoff_up, &handoff_down}) {
      const std::string name =
          std::string(rings == &handoff_up ? "sw_up" : "sw_down") + std::to_string(w);
      rte_ring* r = rte_ring_create(name.c_str(), 4096, socket_id, RING_F_SC_DEQ);
      if (r == nullptr) throw std::runtime_error("cannot create ring " + name);
      (*rings)[w] = r;
    }
  }
}

void DataplaneState::drain_handoff_rings() {
  for (auto* rings : {&handoff_up, &handoff_down}) {
    for (rte_ring* r : *rings) {
      rte_mbuf* m;
      while (r != nullptr && rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&m)) == 0)
        rte_pktmbuf_free(m);
    }
  }
}

DataplaneState::~DataplaneState() {
  // Pending deferred actions touch the SA array: run them while it exists.
  rcu.synchronize();
  explicit_bzero(sa_records_.data(), sa_records_.size() * sizeof(shm::SaRecord));
  drain_handoff_rings();
  for (auto* rings : {&handoff_up, &handoff_down})
    for (rte_ring* r : *rings) rte_ring_free(r);  // null-safe
}

const rte_ether_addr& DataplaneState::next_hop_mac(uint16_t port,
                                                   const config::IpAddress& address) const {
  for (const auto& n : neighbors)
    if (n.port == port && n.address == address) return n.mac;
  return ports[port].gateway_mac;
}

void DataplaneState::apply(const config::Config& cfg) {
  for (const auto& sa : cfg.sas) {
    shm::SaRecord record = shm::to_record(sa);
    const OpResult r = add_sa(record);
    explicit_bzero(&record, sizeof record);
    if (!r.ok())
      throw std::runtime_error("SA spi=" + std::to_string(sa.spi) + " (line " +
                               std::to_string(sa.line) + "): " + r.detail);
    sa_indices_in_config_order.push_back(r.index);
  }
  for (const auto& s : cfg.sessions) {
    const auto fail = [&](const OpResult& r) {
      throw std::runtime_error("session " + s.identity + " (line " + std::to_string(s.line) +
                               "): " + r.detail);
    };
    const OpResult r = add_session(shm::to_record(s));
    if (!r.ok()) fail(r);
    // Prefixes beyond the first record, as the control plane would bind them.
    for (size_t first = shm::kPrefixesPerRecord; first < s.prefixes.size();
         first += shm::kPrefixesPerRecord) {
      shm::PrefixBinding binding{};
      binding.session = {s.tunnel_id, s.session_id};
      const size_t count = std::min<size_t>(shm::kPrefixesPerRecord, s.prefixes.size() - first);
      binding.count = static_cast<uint8_t>(count);
      for (size_t i = 0; i < count; ++i) binding.prefixes[i] = shm::to_shm(s.prefixes[first + i]);
      const OpResult b = bind_prefixes(binding);
      if (!b.ok()) fail(b);
    }
    session_indices_in_config_order.push_back(r.index);
  }
}

namespace {

uint64_t sa_key(uint32_t spi, bool inbound) {
  return (inbound ? 0 : uint64_t{1} << 32) | spi;
}

std::string hex(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", v);
  return text;
}

OpResult failure(shm::Status status, std::string detail) {
  return OpResult{status, std::move(detail), UINT32_MAX};
}

shm::Status channel_status(tables::TableStatus t) {
  switch (t) {
    case tables::TableStatus::kOk:
      return shm::Status::kOk;
    case tables::TableStatus::kExists:
      return shm::Status::kExists;
    case tables::TableStatus::kFull:
      return shm::Status::kTableFull;
    case tables::TableStatus::kNotFound:
      return shm::Status::kNotFound;
    default:
      return shm::Status::kInvalid;
  }
}

}  // namespace

uint32_t DataplaneState::find_sa(uint32_t spi, shm::Direction direction) const {
  const auto it = sa_by_key_.find(sa_key(spi, direction == shm::Direction::kIn));
  return it == sa_by_key_.end() ? kNoIndex : it->second;
}

uint32_t DataplaneState::find_session(uint16_t tunnel_id, uint16_t session_id) const {
  const uint32_t index = session_table.lookup(tables::SessionKey{tunnel_id, session_id});
  return index == tables::SessionTable::kNotFound ? kNoIndex : index;
}

bool DataplaneState::sa_on_access_port(const config::IpAddress& local) const {
  uint32_t v4_be = 0;
  std::memcpy(&v4_be, local.bytes.data(), 4);
  for (const PortState& p : ports) {
    if (p.role != config::PortRole::kAccess) continue;
    if (local.is_v4() ? p.owns_ipv4(v4_be) : p.owns_ipv6(local.bytes.data())) return true;
  }
  return false;
}

OpResult DataplaneState::add_sa(const shm::SaRecord& record) {
  auto parsed = shm::to_config(record);
  if (const auto* e = std::get_if<std::string>(&parsed)) return failure(shm::Status::kInvalid, *e);
  const config::SaConfig& c = std::get<config::SaConfig>(parsed);
  if (!sa_on_access_port(c.local))
    return failure(shm::Status::kInvalid,
                   "local: " + c.local.to_string() + " is not an address of an access port");
  const bool inbound = c.direction == config::Direction::kIn;
  if (record.origin != shm::Origin::kStatic && record.origin != shm::Origin::kDynamic)
    return failure(shm::Status::kInvalid, "origin: must be static (0) or dynamic (1)");
  if (!c.esn && record.initial_seq > UINT32_MAX)
    return failure(shm::Status::kInvalid, "initial_seq: beyond 32 bits on an SA without esn");
  const uint64_t key = sa_key(c.spi, inbound);
  if (sa_by_key_.count(key) != 0)
    return failure(shm::Status::kExists,
                   std::string("spi: SA ") + hex(c.spi) + (inbound ? " in" : " out") + " exists");
  const uint32_t index = sa_slots.allocate();
  if (index == tables::SlotAllocator::kNoSlot)
    return failure(shm::Status::kTableFull, "SA table full (" + std::to_string(sa_capacity) + ")");
  SaState& sa = sas[index];
  build_sa(sa, c, record.initial_seq);
  sa.generation.store(sa.generation.load(std::memory_order_relaxed) + 1,
                      std::memory_order_release);  // odd: live
  if (inbound) {
    const tables::TableStatus t = spi_table.add(c.spi, index);
    if (t != tables::TableStatus::kOk) {
      retire_sa(index);
      return failure(channel_status(t), "spi: cannot add " + hex(c.spi) + " to the SPI table");
    }
  }
  sa_records_[index] = record;
  sa_records_[index].initial_seq = 0;
  sa_refs_[index] = 0;
  sa_by_key_.emplace(key, index);
  return OpResult{shm::Status::kOk, {}, index};
}

shm::SaRecord DataplaneState::sa_record(uint32_t index) const {
  shm::SaRecord r = sa_records_[index];
  r.initial_seq = sas[index].seq.get();
  return r;
}

void DataplaneState::build_sa(SaState& sa, const config::SaConfig& c, uint64_t initial_seq) {
  const uint32_t index = static_cast<uint32_t>(&sa - sas.get());
  if (!key_engine_) key_engine_ = std::make_unique<crypto::AeadEngine>();
  std::vector<uint8_t> keymat = c.key.bytes();
  keymat.insert(keymat.end(), c.salt.begin(), c.salt.end());
  sa.key.reset();
  sa.key.emplace(aead_alg(c.proposal), keymat, *key_engine_);
  explicit_bzero(keymat.data(), keymat.size());
  sa.spi = c.spi;
  sa.owner = static_cast<uint16_t>(index % workers_);
  sa.inbound = c.direction == config::Direction::kIn;
  sa.esn = c.esn;
  sa.nat_t = c.nat_t;
  sa.tunnel = c.mode == config::SaMode::kTunnel;
  sa.gmac = !config::proposal_encrypts(c.proposal);
  sa.outer_v6 = c.local.is_v6();
  sa.ts_v6 = c.local_ts.address.is_v6();
  sa.local_port = c.local_port;
  sa.remote_port = c.remote_port;
  sa.local = c.local.bytes;
  sa.remote = c.remote.bytes;
  sa.local_ts = c.local_ts;
  sa.remote_ts = c.remote_ts;
  sa.tunnel_src =
      c.local_ts.address.family == c.local.family ? c.local.bytes : c.local_ts.address.bytes;
  sa.life_bytes = c.life_bytes;
  sa.life_packets = c.life_packets;
  sa.soft_life_bytes = c.soft_life_bytes;
  sa.soft_life_packets = c.soft_life_packets;
  sa.access_port = access_port_;
  uint32_t local_v4_be = 0;
  std::memcpy(&local_v4_be, c.local.bytes.data(), 4);
  for (uint16_t p = 0; p < ports.size(); ++p) {
    const bool owns = c.local.is_v4() ? ports[p].owns_ipv4(local_v4_be)
                                      : ports[p].owns_ipv6(c.local.bytes.data());
    if (owns && ports[p].role == config::PortRole::kAccess) sa.access_port = p;
  }
  // A recycled slot starts from scratch: no worker can reach it now.
  sa.window.reset();
  for (Counter* counter : {&sa.packets, &sa.bytes, &sa.auth_failed, &sa.replayed, &sa.soft_expired,
                           &sa.hard_expired, &sa.seq_exhausted})
    counter->reset();
  // Sequence numbers resume where a previous data plane left them.
  if (sa.inbound) {
    sa.window.emplace(c.replay_window, c.esn);
    sa.window->start_after(initial_seq);
    sa.seq.set(initial_seq);
    sa.next_seq = 1;
  } else {
    sa.next_seq = initial_seq == 0 ? 1 : initial_seq;
    sa.seq.set(sa.next_seq);
    build_outer_template(sa);
  }
}

OpResult DataplaneState::delete_sa(const shm::SaKey& key) {
  if (key.direction != shm::Direction::kIn && key.direction != shm::Direction::kOut)
    return failure(shm::Status::kInvalid, "direction: must be in or out");
  const uint32_t index = find_sa(key.spi, key.direction);
  if (index == kNoIndex) return failure(shm::Status::kNotFound, "no SA " + hex(key.spi));
  if (sa_refs_[index] != 0)
    return failure(shm::Status::kInUse, "SA " + hex(key.spi) + " is used by " +
                                            std::to_string(sa_refs_[index]) + " session(s)");
  SaState& sa = sas[index];
  if (sa.inbound) spi_table.remove(sa.spi);
  sa_by_key_.erase(sa_key(key.spi, sa.inbound));
  explicit_bzero(&sa_records_[index], sizeof sa_records_[index]);
  retire_sa(index);
  return OpResult{shm::Status::kOk, {}, index};
}

void DataplaneState::retire_sa(uint32_t index) {
  SaState& sa = sas[index];
  sa.generation.store(sa.generation.load(std::memory_order_relaxed) + 1,
                      std::memory_order_release);  // even: dead
  // Deferred actions run in order: the key goes before the slot can be reused.
  rcu.defer(&DataplaneState::forget_sa_key, this, index);
  sa_slots.release_after_grace(index);
}

void DataplaneState::forget_sa_key(void* self, uint64_t index) {
  static_cast<DataplaneState*>(self)->sas[index].key.reset();  // ~SaKey wipes it
}

shm::Status DataplaneState::add_prefix(const config::IpPrefix& p, uint32_t session) {
  return channel_status(p.address.is_v4()
                            ? prefix_table.add_ipv4(ipv4_host_order(p.address), p.length, session)
                            : prefix_table.add_ipv6(p.address.bytes, p.length, session));
}

void DataplaneState::remove_prefix(const config::IpPrefix& p) {
  if (p.address.is_v4())
    prefix_table.remove_ipv4(ipv4_host_order(p.address), p.length);
  else
    prefix_table.remove_ipv6(p.address.bytes, p.length);
}

namespace {

// The SA pair of a session must join the same endpoints the same way (as the
// configuration loader checks).
std::string sa_pair_error(const shm::SaRecord& in, const shm::SaRecord& out) {
  if (std::memcmp(&in.local, &out.local, sizeof in.local) != 0 ||
      std::memcmp(&in.remote, &out.remote, sizeof in.remote) != 0)
    return "sa_out_spi: does not join the same addresses as sa_in_spi";
  if ((in.flags & shm::kSaFlagNatT) != (out.flags & shm::kSaFlagNatT) ||
      ((in.flags & shm::kSaFlagNatT) &&
       (in.local_port != out.local_port || in.remote_port != out.remote_port)))
    return "sa_out_spi: differs from sa_in_spi in NAT-T";
  if (in.mode != out.mode) return "sa_out_spi: differs from sa_in_spi in mode";
  return {};
}

}  // namespace

OpResult DataplaneState::resolve_session_sas(const shm::SessionRecord& record,
                                             SessionSas& out) const {
  out.sa_in = find_sa(record.sa_in_spi, shm::Direction::kIn);
  if (out.sa_in == kNoIndex)
    return failure(shm::Status::kNotFound, "sa_in_spi: no inbound SA " + hex(record.sa_in_spi));
  out.sa_out = find_sa(record.sa_out_spi, shm::Direction::kOut);
  if (out.sa_out == kNoIndex)
    return failure(shm::Status::kNotFound, "sa_out_spi: no outbound SA " + hex(record.sa_out_spi));
  out.sa_in_old = kNoIndex;
  if (record.sa_in_old_spi != shm::kNone) {
    out.sa_in_old = find_sa(record.sa_in_old_spi, shm::Direction::kIn);
    if (out.sa_in_old == kNoIndex)
      return failure(shm::Status::kNotFound,
                     "sa_in_old_spi: no inbound SA " + hex(record.sa_in_old_spi));
  }
  if (std::string e = sa_pair_error(sa_records_[out.sa_in], sa_records_[out.sa_out]); !e.empty())
    return failure(shm::Status::kInvalid, e);
  return OpResult{};
}

OpResult DataplaneState::add_session(const shm::SessionRecord& record) {
  auto parsed = shm::to_config(record);
  if (const auto* e = std::get_if<std::string>(&parsed)) return failure(shm::Status::kInvalid, *e);
  const config::SessionConfig& c = std::get<config::SessionConfig>(parsed);
  SessionSas sas;
  if (OpResult r = resolve_session_sas(record, sas); !r.ok()) return r;
  const auto [sa_in, sa_in_old, sa_out] = sas;
  if (record.origin != shm::Origin::kStatic && record.origin != shm::Origin::kDynamic)
    return failure(shm::Status::kInvalid, "origin: must be static (0) or dynamic (1)");
  const tables::SessionKey key{c.tunnel_id, c.session_id};
  if (session_table.lookup(key) != tables::SessionTable::kNotFound)
    return failure(shm::Status::kExists, "tunnel_id/session_id: session " +
                                             std::to_string(c.tunnel_id) + "/" +
                                             std::to_string(c.session_id) + " exists");
  const uint32_t index = session_slots.allocate();
  if (index == tables::SlotAllocator::kNoSlot)
    return failure(shm::Status::kTableFull,
                   "session table full (" + std::to_string(session_capacity) + ")");
  SessionState& s = sessions[index];
  s.tunnel_id = c.tunnel_id;
  s.session_id = c.session_id;
  s.peer_tunnel_id = c.peer_tunnel_id;
  s.peer_session_id = c.peer_session_id;
  s.peer_port = c.peer_port;
  s.mtu.store(c.mtu, std::memory_order_relaxed);
  s.sa_in.store(sa_in, std::memory_order_relaxed);
  s.sa_in_old.store(sa_in_old, std::memory_order_relaxed);
  s.sa_out.store(sa_out, std::memory_order_relaxed);
  for (SharedCounter* counter :
       {&s.up_packets, &s.up_bytes, &s.spoofed, &s.down_packets, &s.down_bytes})
    counter->reset();
  // Odd: live. Release: everything above is visible before the tables
  // publish the index.
  s.generation.store(s.generation.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  session_identity[index] = c.identity;
  session_prefixes[index].clear();
  session_origins_[index] = record.origin;

  bool in_table = false;
  const auto undo = [&](shm::Status status, std::string detail) {
    for (const auto& p : session_prefixes[index]) remove_prefix(p);
    if (in_table) session_table.remove(key);
    retire_session(index);
    return failure(status, std::move(detail));
  };
  const tables::TableStatus t = session_table.add(key, index);
  if (t != tables::TableStatus::kOk)
    return undo(channel_status(t), "tunnel_id/session_id: cannot add the session to its table");
  in_table = true;
  for (size_t i = 0; i < c.prefixes.size(); ++i) {
    const shm::Status st = add_prefix(c.prefixes[i], index);
    if (st != shm::Status::kOk)
      return undo(st, "prefixes[" + std::to_string(i) + "]: " + c.prefixes[i].to_string() +
                          (st == shm::Status::kExists ? " is already bound" : " does not fit"));
    session_prefixes[index].push_back(c.prefixes[i]);
  }
  for (const uint32_t sa : {sa_in, sa_in_old, sa_out})
    if (sa != kNoIndex) ++sa_refs_[sa];
  return OpResult{shm::Status::kOk, {}, index};
}

// Marks a session slot dead and gives it back after a grace period. The
// caller has removed it from every table.
void DataplaneState::retire_session(uint32_t index) {
  SessionState& s = sessions[index];
  s.generation.store(s.generation.load(std::memory_order_relaxed) + 1,
                     std::memory_order_release);  // even: dead
  session_identity[index].clear();
  session_prefixes[index].clear();
  // A capture of this session ends with it: its slot may soon hold another.
  if (drop_capture.session_index.load(std::memory_order_relaxed) == index) drop_capture.disarm();
  session_slots.release_after_grace(index);
}

OpResult DataplaneState::modify_session(const shm::SessionRecord& record) {
  const uint32_t index = find_session(record.tunnel_id, record.session_id);
  if (index == kNoIndex)
    return failure(shm::Status::kNotFound, "tunnel_id/session_id: no session " +
                                               std::to_string(record.tunnel_id) + "/" +
                                               std::to_string(record.session_id));
  if (record.mtu < 576 || record.mtu > 9000)
    return failure(shm::Status::kInvalid,
                   "mtu: must be 576..9000, got " + std::to_string(record.mtu));
  SessionSas sas;
  if (OpResult r = resolve_session_sas(record, sas); !r.ok()) return r;
  const auto [sa_in, sa_in_old, sa_out] = sas;
  SessionState& s = sessions[index];
  const uint32_t before[] = {s.sa_in.load(std::memory_order_relaxed),
                             s.sa_in_old.load(std::memory_order_relaxed),
                             s.sa_out.load(std::memory_order_relaxed)};
  for (const uint32_t sa : {sa_in, sa_in_old, sa_out})
    if (sa != kNoIndex) ++sa_refs_[sa];
  for (const uint32_t sa : before)
    if (sa != kNoIndex) --sa_refs_[sa];
  // sa_in_old before sa_in: a worker that sees the new sa_in (acquire) also
  // accepts the old SA, so packets in flight during a rekey are not dropped.
  s.sa_in_old.store(sa_in_old, std::memory_order_release);
  s.sa_in.store(sa_in, std::memory_order_release);
  s.sa_out.store(sa_out, std::memory_order_relaxed);  // one store switches downstream
  s.mtu.store(record.mtu, std::memory_order_relaxed);
  return OpResult{shm::Status::kOk, {}, index};
}

OpResult DataplaneState::delete_session(const shm::SessionKey& key) {
  const uint32_t index = find_session(key.tunnel_id, key.session_id);
  if (index == kNoIndex)
    return failure(shm::Status::kNotFound, "tunnel_id/session_id: no session " +
                                               std::to_string(key.tunnel_id) + "/" +
                                               std::to_string(key.session_id));
  SessionState& s = sessions[index];
  for (const auto& p : session_prefixes[index]) remove_prefix(p);
  session_table.remove(tables::SessionKey{key.tunnel_id, key.session_id});
  for (const std::atomic<uint32_t>* sa : {&s.sa_in, &s.sa_in_old, &s.sa_out}) {
    const uint32_t i = sa->load(std::memory_order_relaxed);
    if (i != kNoIndex) --sa_refs_[i];
  }
  retire_session(index);
  return OpResult{shm::Status::kOk, {}, index};
}

OpResult DataplaneState::bind_prefixes(const shm::PrefixBinding& binding) {
  const uint32_t index = find_session(binding.session.tunnel_id, binding.session.session_id);
  if (binding.unbind > 1) return failure(shm::Status::kInvalid, "unbind: must be 0 or 1");
  if (binding.count == 0 || binding.count > shm::kPrefixesPerRecord)
    return failure(shm::Status::kInvalid,
                   "count: must be 1.." + std::to_string(shm::kPrefixesPerRecord));
  if (index == kNoIndex)
    return failure(shm::Status::kNotFound, "session: no session " +
                                               std::to_string(binding.session.tunnel_id) + "/" +
                                               std::to_string(binding.session.session_id));
  std::vector<config::IpPrefix> prefixes;
  for (unsigned i = 0; i < binding.count; ++i) {
    auto v = shm::to_config(binding.prefixes[i]);
    if (const auto* e = std::get_if<std::string>(&v))
      return failure(shm::Status::kInvalid, "prefixes[" + std::to_string(i) + "]: " + *e);
    const auto& p = std::get<config::IpPrefix>(v);
    if (std::find(prefixes.begin(), prefixes.end(), p) != prefixes.end())
      return failure(shm::Status::kInvalid,
                     "prefixes[" + std::to_string(i) + "]: " + p.to_string() + " listed twice");
    prefixes.push_back(p);
  }
  std::vector<config::IpPrefix>& bound = session_prefixes[index];
  if (binding.unbind) {
    for (size_t i = 0; i < prefixes.size(); ++i)
      if (std::find(bound.begin(), bound.end(), prefixes[i]) == bound.end())
        return failure(shm::Status::kNotFound, "prefixes[" + std::to_string(i) +
                                                   "]: " + prefixes[i].to_string() +
                                                   " is not bound to the session");
    for (const auto& p : prefixes) {
      remove_prefix(p);
      bound.erase(std::find(bound.begin(), bound.end(), p));
    }
    return OpResult{shm::Status::kOk, {}, index};
  }
  for (size_t i = 0; i < prefixes.size(); ++i) {
    const shm::Status st = add_prefix(prefixes[i], index);
    if (st != shm::Status::kOk) {
      for (size_t k = 0; k < i; ++k) {
        remove_prefix(prefixes[k]);
        bound.pop_back();
      }
      return failure(st, "prefixes[" + std::to_string(i) + "]: " + prefixes[i].to_string() +
                             (st == shm::Status::kExists ? " is already bound" : " does not fit"));
    }
    bound.push_back(prefixes[i]);
  }
  return OpResult{shm::Status::kOk, {}, index};
}

shm::SessionRecord DataplaneState::session_record(uint32_t index) const {
  const SessionState& s = sessions[index];
  shm::SessionRecord r{};
  shm::copy_string(r.identity, sizeof r.identity, session_identity[index]);
  const auto spi_of = [&](const std::atomic<uint32_t>& sa) {
    const uint32_t i = sa.load(std::memory_order_relaxed);
    return i == kNoIndex ? shm::kNone : sas[i].spi;
  };
  r.sa_in_spi = spi_of(s.sa_in);
  r.sa_in_old_spi = spi_of(s.sa_in_old);
  r.sa_out_spi = spi_of(s.sa_out);
  r.tunnel_id = s.tunnel_id;
  r.session_id = s.session_id;
  r.peer_tunnel_id = s.peer_tunnel_id;
  r.peer_session_id = s.peer_session_id;
  r.peer_port = s.peer_port;
  r.mtu = s.mtu.load(std::memory_order_relaxed);
  r.total_prefixes = static_cast<uint32_t>(session_prefixes[index].size());
  r.origin = session_origins_[index];
  return r;
}

void DataplaneState::build_outer_template(SaState& sa) {
  uint8_t* t = sa.outer_template.data();
  config::IpAddress remote{
      sa.outer_v6 ? config::AddressFamily::kIpv6 : config::AddressFamily::kIpv4, sa.remote};
  const PortState& port = ports[sa.access_port];
  const rte_ether_addr& dst = next_hop_mac(sa.access_port, remote);
  std::memcpy(t, dst.addr_bytes, 6);
  std::memcpy(t + 6, port.mac.addr_bytes, 6);
  proto::store_be16(t + 12, sa.outer_v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
  size_t len = RTE_ETHER_HDR_LEN;
  const uint8_t next = sa.nat_t ? IPPROTO_UDP : IPPROTO_ESP;
  if (sa.outer_v6) {
    uint8_t* ip = t + len;
    proto::store_be32(ip, 0x60000000);  // version 6, traffic class 0, flow label 0
    ip[6] = next;
    ip[7] = 64;  // hop limit
    std::memcpy(ip + 8, sa.local.data(), 16);
    std::memcpy(ip + 24, sa.remote.data(), 16);
    len += 40;
  } else {
    uint8_t* ip = t + len;
    ip[0] = 0x45;
    proto::store_be16(ip + 6, 0x4000);  // DF, ID 0 (RFC 6864: atomic datagram)
    ip[8] = 64;
    ip[9] = next;
    std::memcpy(ip + 12, sa.local.data(), 4);
    std::memcpy(ip + 16, sa.remote.data(), 4);
    len += 20;
  }
  if (sa.nat_t) {
    proto::store_be16(t + len, sa.local_port);
    proto::store_be16(t + len + 2, sa.remote_port);
    len += 8;
  }
  sa.outer_template_len = static_cast<uint8_t>(len);
}

}  // namespace softwire::dp
