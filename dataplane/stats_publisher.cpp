#include "dataplane/stats_publisher.h"

#include <rte_ethdev.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "shm/records.h"

namespace softwire::dp {

namespace {

static_assert(kDropReasonCount <= shm::kMaxDropReasons);
static_assert(kPuntKindCount <= shm::kMaxPuntKinds);
static_assert(kMaxPorts <= shm::kMaxPorts);
static_assert(kMaxWorkers <= shm::kMaxWorkers);

void copy_name(char (&out)[shm::kNameLength], std::string_view name) {
  shm::copy_string(out, sizeof out, std::string(name));
}

shm::SaStateCode sa_state_code(const SaState& sa) {
  if (sa.hard_expired.get() != 0) return shm::SaStateCode::kHardExpired;
  if (sa.soft_expired.get() != 0) return shm::SaStateCode::kSoftExpired;
  return shm::SaStateCode::kActive;
}

}  // namespace

StatsPublisher::StatsPublisher(const shm::Segment& segment, const DataplaneState& state,
                               std::span<const WorkerCounters> workers, const rte_mempool* pool)
    : segment_(segment),
      state_(state),
      workers_(workers),
      pool_(pool),
      started_ns_(shm::monotonic_ns()) {
  shm::StatsHeader& h = segment.header().stats;
  if (h.sa_capacity != state.sa_capacity || h.session_capacity != state.session_capacity ||
      workers.size() != state.workers() || h.workers != state.workers())
    throw std::runtime_error("stats: the shared-memory segment does not match the tables");
  shm::begin_stats_update(segment);
  h.drop_reason_count = static_cast<uint32_t>(kDropReasonCount);
  for (size_t i = 0; i < kDropReasonCount; ++i)
    copy_name(h.drop_reason_names[i], kDropReasons[i].name);
  h.punt_kind_count = static_cast<uint32_t>(kPuntKindCount);
  for (size_t i = 0; i < kPuntKindCount; ++i) copy_name(h.punt_kind_names[i], kPuntKinds[i].name);
  h.ports = static_cast<uint32_t>(state.ports.size());
  for (size_t p = 0; p < state.ports.size(); ++p) {
    copy_name(h.port_names[p], state.ports[p].name);
    h.port_roles[p] = state.ports[p].role == config::PortRole::kAccess ? 0 : 1;
  }
  shm::end_stats_update(segment);
}

void StatsPublisher::publish(const ControlTotals& totals) {
  shm::SegmentHeader& seg = segment_.header();
  shm::StatsHeader& h = seg.stats;
  const auto ports = static_cast<uint16_t>(state_.ports.size());

  // Everything that may take a while is read before the epoch goes odd, so
  // that readers retry as little as possible.
  struct Nic {
    uint64_t missed = 0, errors = 0;
  };
  Nic nics[kMaxPorts];
  for (uint16_t p = 0; p < ports; ++p) {
    rte_eth_stats es;
    if (rte_eth_stats_get(state_.ports[p].port_id, &es) == 0)  // fails for test port ids
      nics[p] = Nic{es.imissed, es.ierrors + es.oerrors};
  }

  shm::begin_stats_update(segment_);
  ++snapshots_;
  h.published_ns = shm::realtime_ns();
  h.uptime_ns = shm::monotonic_ns() - started_ns_;
  h.snapshots = snapshots_;
  h.workers = state_.workers();
  h.sas_in_use = state_.sas_in_use();
  h.sessions_in_use = state_.sessions_in_use();
  h.ipv4_prefixes = state_.prefix_table.ipv4_size();
  h.ipv6_prefixes = state_.prefix_table.ipv6_size();
  h.mempool_in_use = pool_ != nullptr ? rte_mempool_in_use_count(pool_) : 0;
  h.mempool_capacity = pool_ != nullptr ? pool_->size : 0;
  h.command_ring_depth = segment_.commands().depth();
  h.reply_ring_depth = segment_.replies().depth();
  h.inject_ring_depth = segment_.inject().depth();
  h.inject_dropped = totals.inject_dropped;
  h.commands_done = totals.commands_done;

  for (uint16_t p = 0; p < ports; ++p) {
    shm::PortStats& ps = h.port_stats[p];
    ps = shm::PortStats{};
    for (const WorkerCounters& w : workers_) {
      ps.rx_packets += w.ports[p].rx_packets.get();
      ps.rx_bytes += w.ports[p].rx_bytes.get();
      ps.tx_packets += w.ports[p].tx_packets.get();
      ps.tx_bytes += w.ports[p].tx_bytes.get();
    }
    ps.nic_missed = nics[p].missed;
    ps.nic_errors = nics[p].errors;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    const WorkerCounters& w = workers_[i];
    shm::WorkerStats& ws = h.worker_stats[i];
    for (size_t r = 0; r < kDropReasonCount; ++r) ws.drops[r] = w.drops[r].get();
    for (size_t k = 0; k < kPuntKindCount; ++k) ws.punts[k] = w.punts[k].get();
    ws.polls = w.polls.get();
    ws.busy_polls = w.busy_polls.get();
    ws.arp_replies = w.arp_replies.get();
    ws.nd_replies = w.nd_replies.get();
    for (size_t b = 0; b < shm::kBurstBuckets; ++b) ws.burst_sizes[b] = w.burst_sizes[b].get();
    ws.punt_policed_peer = w.punt_policed_peer.get();
    ws.punt_policed_global = w.punt_policed_global.get();
    ws.punt_ring_full = w.punt_ring_full.get();
    ws.last_policed_peer = w.last_policed_peer.load();
    ws.handoff_up_depth = rte_ring_count(state_.handoff_up[i]);
    ws.handoff_down_depth = rte_ring_count(state_.handoff_down[i]);
    for (uint16_t p = 0; p < ports; ++p) {
      ws.ports_rx_packets[p] = w.ports[p].rx_packets.get();
      ws.ports_tx_packets[p] = w.ports[p].tx_packets.get();
    }
  }

  // One slice of each table: [next, end), wrapping to 0 after the last.
  const auto slice = [](uint32_t& next, uint32_t capacity) {
    const uint32_t begin = next < capacity ? next : 0;
    const uint32_t end = std::min(capacity, begin + table_slice(capacity));
    next = end == capacity ? 0 : end;
    return std::pair{begin, end};
  };
  const auto [sa_begin, sa_end] = slice(next_sa_, state_.sa_capacity);
  shm::SaStats* sas = segment_.sa_stats();
  for (uint32_t i = sa_begin; i < sa_end; ++i) {
    shm::SaStats& out = sas[i];
    if (!state_.sa_live(i)) {
      out = shm::SaStats{};  // state kFree
      continue;
    }
    const SaState& sa = state_.sas[i];
    out.state = sa_state_code(sa);
    out.direction = sa.inbound ? shm::Direction::kIn : shm::Direction::kOut;
    out.spi = sa.spi;
    out.packets = sa.packets.get();
    out.bytes = sa.bytes.get();
    out.auth_failed = sa.auth_failed.get();
    out.replayed = sa.replayed.get();
    out.seq = sa.seq.get();
  }
  const auto [session_begin, session_end] = slice(next_session_, state_.session_capacity);
  shm::SessionStats* sessions = segment_.session_stats();
  for (uint32_t i = session_begin; i < session_end; ++i) {
    shm::SessionStats& out = sessions[i];
    if (!state_.session_live(i)) {
      out = shm::SessionStats{};
      continue;
    }
    const SessionState& s = state_.sessions[i];
    out.in_use = 1;
    out.tunnel_id = s.tunnel_id;
    out.session_id = s.session_id;
    out.up_packets = s.up_packets.get();
    out.up_bytes = s.up_bytes.get();
    out.down_packets = s.down_packets.get();
    out.down_bytes = s.down_bytes.get();
    out.spoofed = s.spoofed.get();
  }
  shm::end_stats_update(segment_);
}

}  // namespace softwire::dp
