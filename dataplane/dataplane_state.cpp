#include "dataplane/dataplane_state.h"

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

#include "dataplane/proposal_alg.h"
#include "dataplane/proto/bytes.h"

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

void check(tables::TableStatus status, const std::string& what) {
  if (status != tables::TableStatus::kOk) throw std::runtime_error(what);
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
  return Capacities{
      .sas = with_headroom(cfg.sas.size() * 2, 64),
      .sessions = with_headroom(cfg.sessions.size(), 1024),
      .ipv4_prefixes = with_headroom(v4, 1024),
      .ipv6_prefixes = with_headroom(v6, 1024),
  };
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
  crypto::AeadEngine key_engine;  // key expansion on this (the main) thread
  std::unordered_map<uint32_t, uint32_t> in_index, out_index;
  for (const auto& sa : cfg.sas) {
    const uint32_t index = add_sa(sa, key_engine);
    (sa.direction == config::Direction::kIn ? in_index : out_index)[sa.spi] = index;
    sa_indices_in_config_order.push_back(index);
  }
  for (const auto& s : cfg.sessions) {
    const uint32_t index = add_session(s, in_index.at(s.sa_in), out_index.at(s.sa_out));
    session_indices_in_config_order.push_back(index);
  }
}

uint32_t DataplaneState::add_sa(const config::SaConfig& c, const crypto::AeadEngine& key_engine) {
  const uint32_t index = sa_slots.allocate();
  if (index == tables::SlotAllocator::kNoSlot) throw std::runtime_error("SA table full");
  SaState& sa = sas[index];
  std::vector<uint8_t> keymat = c.key.bytes();
  keymat.insert(keymat.end(), c.salt.begin(), c.salt.end());
  sa.key.emplace(aead_alg(c.proposal), keymat, key_engine);
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
  if (sa.inbound) {
    sa.window.emplace(c.replay_window, c.esn);
    check(spi_table.add(c.spi, index), "cannot add SPI " + std::to_string(c.spi));
  } else {
    build_outer_template(sa);
  }
  return index;
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

uint32_t DataplaneState::add_session(const config::SessionConfig& c, uint32_t sa_in,
                                     uint32_t sa_out) {
  const uint32_t index = session_slots.allocate();
  if (index == tables::SlotAllocator::kNoSlot) throw std::runtime_error("session table full");
  SessionState& s = sessions[index];
  s.tunnel_id = c.tunnel_id;
  s.session_id = c.session_id;
  s.peer_tunnel_id = c.peer_tunnel_id;
  s.peer_session_id = c.peer_session_id;
  s.peer_port = c.peer_port;
  s.mtu = c.mtu;
  s.sa_in = sa_in;  // set before the tables publish the session to workers
  s.sa_out = sa_out;
  session_identity[index] = c.identity;
  check(session_table.add(tables::SessionKey{c.tunnel_id, c.session_id}, index),
        "cannot add session " + c.identity);
  for (const auto& p : c.prefixes) {
    const auto status = p.address.is_v4()
                            ? prefix_table.add_ipv4(ipv4_host_order(p.address), p.length, index)
                            : prefix_table.add_ipv6(p.address.bytes, p.length, index);
    check(status, "cannot add prefix " + p.to_string() + " of session " + c.identity);
  }
  return index;
}

}  // namespace softwire::dp
