#include "control/metrics_exporter.h"

#include <prometheus/exposer.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <utility>

#include "common/hex_text.h"

namespace softwire::metrics {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr double kNanosecond = 1e-9;

// Bucket upper bounds of WorkerStats::burst_sizes: bucket i counts non-empty
// bursts of [2^i, 2^(i+1)) packets, the last one 256 and more.
constexpr std::array<double, shm::kBurstBuckets - 1> kBurstBounds = {1, 3, 7, 15, 31, 63, 127, 255};

// A name from the stats area as a label value: bounded (the writer is another
// process), printable ASCII only (the exposition format wants UTF-8), and
// never empty.
std::string name_label(const char (&name)[shm::kNameLength], const std::string& fallback) {
  std::string out(name, strnlen(name, shm::kNameLength));
  for (char& c : out)
    if (c < 0x20 || c > 0x7e) c = '_';
  return out.empty() ? fallback : out;
}

// The families of one scrape, in the order they are declared. A deque, so
// that the references handed out stay valid while more families are added.
class Families {
 public:
  MetricFamily& counter(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Counter);
  }
  MetricFamily& gauge(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Gauge);
  }
  MetricFamily& histogram(std::string name, std::string help) {
    return add(std::move(name), std::move(help), MetricType::Histogram);
  }
  std::vector<MetricFamily> take() {
    return {std::make_move_iterator(families_.begin()), std::make_move_iterator(families_.end())};
  }

 private:
  MetricFamily& add(std::string name, std::string help, MetricType type) {
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }
  std::deque<MetricFamily> families_;
};

void sample(MetricFamily& family, Labels labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (family.type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  family.metric.push_back(std::move(m));
}

// A histogram sample from per-bucket (non-cumulative) counts; counts has one
// more entry than bounds (+Inf). _count is the total of the buckets so that
// it always equals the +Inf bucket.
template <typename Counts, typename Bounds>
void histogram_sample(MetricFamily& family, Labels labels, const Counts& counts,
                      const Bounds& bounds, double sum) {
  ClientMetric m;
  m.label = std::move(labels);
  uint64_t cumulative = 0;
  for (size_t b = 0; b < std::size(counts); ++b) {
    cumulative += counts[b];
    const double bound =
        b < std::size(bounds) ? double(bounds[b]) : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = sum;
  family.metric.push_back(std::move(m));
}

// The indices of the entries to export: all in use, or the `top` largest by
// `primary` plus the `top` largest nonzero by `secondary`, in index order.
template <typename Entry, typename InUse, typename Key1, typename Key2>
std::vector<uint32_t> select_entries(const std::vector<Entry>& entries, const EntityMetrics& mode,
                                     InUse in_use, Key1 primary, Key2 secondary) {
  std::vector<uint32_t> used;
  for (uint32_t i = 0; i < entries.size(); ++i)
    if (in_use(entries[i])) used.push_back(i);
  if (mode.all) return used;
  if (mode.top == 0) return {};
  auto top_by = [&](auto key, bool nonzero_only) {
    std::vector<uint32_t> candidates;
    for (uint32_t i : used)
      if (!nonzero_only || key(entries[i]) > 0) candidates.push_back(i);
    // Larger first; the lower index wins a tie so that the choice is stable.
    auto larger = [&](uint32_t a, uint32_t b) {
      const uint64_t ka = key(entries[a]), kb = key(entries[b]);
      return ka != kb ? ka > kb : a < b;
    };
    if (candidates.size() > mode.top) {
      std::nth_element(candidates.begin(), candidates.begin() + mode.top, candidates.end(), larger);
      candidates.resize(mode.top);
    }
    return candidates;
  };
  std::vector<uint32_t> chosen = top_by(primary, false);
  const std::vector<uint32_t> more = top_by(secondary, true);
  chosen.insert(chosen.end(), more.begin(), more.end());
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  return chosen;
}

std::vector<std::string> punt_kind_names(const shm::StatsHeader& h) {
  std::vector<std::string> names;
  const unsigned count = std::min<unsigned>(h.punt_kind_count, shm::kMaxPuntKinds);
  for (unsigned k = 0; k < count; ++k)
    names.push_back(name_label(h.punt_kind_names[k], "kind_" + std::to_string(k)));
  return names;
}

void collect_dataplane(const DataplaneSample& s, const EntityMetrics& entities, Families& out) {
  const shm::StatsHeader& h = s.stats.header;
  const unsigned workers = std::min<unsigned>(h.workers, shm::kMaxWorkers);
  const unsigned ports = std::min<unsigned>(h.ports, shm::kMaxPorts);
  const unsigned reasons = std::min<unsigned>(h.drop_reason_count, shm::kMaxDropReasons);
  const std::vector<std::string> kinds = punt_kind_names(h);
  std::vector<std::string> worker_names, port_names;
  for (unsigned w = 0; w < workers; ++w) worker_names.push_back(std::to_string(w));
  for (unsigned p = 0; p < ports; ++p)
    port_names.push_back(name_label(h.port_names[p], "port" + std::to_string(p)));

  // The data plane as a whole.
  char generation[19];
  std::snprintf(generation, sizeof generation, "0x%016llx",
                static_cast<unsigned long long>(s.stats.generation));
  sample(out.gauge("softwire_dataplane_info",
                   "The running data plane: its generation (new at every start) and pid"),
         {{"generation", generation}, {"pid", std::to_string(s.dp_pid)}}, 1);
  sample(out.gauge("softwire_dataplane_start_time_seconds",
                   "When the data plane started, seconds since the Unix epoch"),
         {}, double(s.dp_started_ns) * kNanosecond);
  sample(out.gauge("softwire_dataplane_uptime_seconds",
                   "Time since the data plane generation started"),
         {}, double(h.uptime_ns) * kNanosecond);
  sample(out.gauge("softwire_dataplane_heartbeat_age_seconds",
                   "Time since the data plane main lcore last beat"),
         {}, double(s.heartbeat_age_ns) * kNanosecond);
  sample(out.gauge("softwire_dataplane_stats_timestamp_seconds",
                   "When the data plane published the statistics of this scrape, seconds since "
                   "the Unix epoch"),
         {}, double(h.published_ns) * kNanosecond);
  sample(out.counter("softwire_dataplane_stats_snapshots_total",
                     "Statistics snapshots the data plane published"),
         {}, double(h.snapshots));
  sample(out.counter("softwire_dataplane_commands_total",
                     "Control-channel commands the data plane executed"),
         {}, double(h.commands_done));
  sample(out.gauge("softwire_dataplane_workers", "Worker lcores of the data plane"), {}, workers);

  // Tables.
  sample(out.gauge("softwire_dataplane_sessions", "Sessions in the data plane's table"), {},
         h.sessions_in_use);
  sample(out.gauge("softwire_dataplane_sessions_capacity", "Session table capacity"), {},
         h.session_capacity);
  std::array<uint64_t, 4> sa_states{};
  for (const shm::SaStats& sa : s.stats.sas)
    if (static_cast<size_t>(sa.state) < sa_states.size())
      ++sa_states[static_cast<size_t>(sa.state)];
  auto& sas = out.gauge("softwire_dataplane_sas", "SAs in the data plane's table, by state");
  sample(sas, {{"state", "active"}}, double(sa_states[1]));
  sample(sas, {{"state", "soft_expired"}}, double(sa_states[2]));
  sample(sas, {{"state", "hard_expired"}}, double(sa_states[3]));
  sample(out.gauge("softwire_dataplane_sas_capacity", "SA table capacity"), {}, h.sa_capacity);
  auto& prefixes = out.gauge("softwire_dataplane_prefixes", "Routed inner prefixes, by family");
  sample(prefixes, {{"family", "ipv4"}}, h.ipv4_prefixes);
  sample(prefixes, {{"family", "ipv6"}}, h.ipv6_prefixes);

  // Memory and rings.
  sample(out.gauge("softwire_mempool_in_use", "Packet buffers (mbufs) in use"), {},
         double(h.mempool_in_use));
  sample(out.gauge("softwire_mempool_capacity", "Packet buffers (mbufs) in the pool"), {},
         double(h.mempool_capacity));
  auto& depth = out.gauge("softwire_ring_depth", "Records waiting in a control-channel ring");
  sample(depth, {{"ring", "command"}}, double(h.command_ring_depth));
  sample(depth, {{"ring", "reply"}}, double(h.reply_ring_depth));
  sample(depth, {{"ring", "inject"}}, double(h.inject_ring_depth));
  auto& full = out.counter("softwire_ring_drops_total",
                           "Records not written to a control-channel ring because it was full");
  sample(full, {{"ring", "command"}}, double(s.command_ring_full));
  sample(full, {{"ring", "reply"}}, double(s.reply_ring_full));
  sample(full, {{"ring", "inject"}}, double(s.inject_ring_full));
  sample(out.counter("softwire_dataplane_inject_drops_total",
                     "Injected packets the data plane could not send"),
         {}, double(h.inject_dropped));

  // Ports.
  auto& port_info = out.gauge("softwire_port_info", "A port of the data plane and its role");
  auto& port_packets = out.counter("softwire_port_packets_total", "Packets received and sent");
  auto& port_bytes = out.counter("softwire_port_bytes_total", "Bytes received and sent");
  auto& nic_missed = out.counter("softwire_port_nic_missed_packets_total",
                                 "Packets the NIC dropped because no receive buffer was free");
  auto& nic_errors =
      out.counter("softwire_port_nic_errors_total", "Receive and transmit errors the NIC reported");
  for (unsigned p = 0; p < ports; ++p) {
    const shm::PortStats& ps = h.port_stats[p];
    const std::string& port = port_names[p];
    sample(port_info, {{"port", port}, {"role", h.port_roles[p] == 1 ? "core" : "access"}}, 1);
    sample(port_packets, {{"port", port}, {"direction", "rx"}}, double(ps.rx_packets));
    sample(port_packets, {{"port", port}, {"direction", "tx"}}, double(ps.tx_packets));
    sample(port_bytes, {{"port", port}, {"direction", "rx"}}, double(ps.rx_bytes));
    sample(port_bytes, {{"port", port}, {"direction", "tx"}}, double(ps.tx_bytes));
    sample(nic_missed, {{"port", port}}, double(ps.nic_missed));
    sample(nic_errors, {{"port", port}}, double(ps.nic_errors));
  }

  // Workers.
  auto& worker_port = out.counter("softwire_worker_port_packets_total",
                                  "Packets a worker received from and sent to a port");
  auto& drops = out.counter("softwire_drops_total", "Packets dropped, by reason");
  auto& punts = out.counter("softwire_punts_total", "Packets punted to the control plane, by kind");
  auto& policer = out.counter("softwire_punt_policer_drops_total",
                              "Punts dropped by the per-peer or the global punt policer");
  auto& polls = out.counter("softwire_worker_polls_total",
                            "Receive polls, busy (received packets) or idle (received none)");
  auto& bursts =
      out.histogram("softwire_worker_receive_burst_size", "Packets per non-empty receive burst");
  auto& neighbor = out.counter("softwire_neighbor_replies_total", "ARP and ND replies sent");
  auto& worker_depth = out.gauge("softwire_worker_ring_depth",
                                 "Records waiting in a worker's hand-off and punt rings");
  auto& worker_ring_drops =
      out.counter("softwire_worker_ring_drops_total",
                  "Punts and security samples lost because the worker's punt ring was full");
  for (unsigned w = 0; w < workers; ++w) {
    const shm::WorkerStats& ws = h.worker_stats[w];
    const std::string& worker = worker_names[w];
    uint64_t received = 0;
    for (unsigned p = 0; p < ports; ++p) {
      received += ws.ports_rx_packets[p];
      sample(worker_port, {{"worker", worker}, {"port", port_names[p]}, {"direction", "rx"}},
             double(ws.ports_rx_packets[p]));
      sample(worker_port, {{"worker", worker}, {"port", port_names[p]}, {"direction", "tx"}},
             double(ws.ports_tx_packets[p]));
    }
    for (unsigned r = 0; r < reasons; ++r)
      sample(drops,
             {{"worker", worker},
              {"reason", name_label(h.drop_reason_names[r], "reason_" + std::to_string(r))}},
             double(ws.drops[r]));
    for (unsigned k = 0; k < kinds.size(); ++k)
      sample(punts, {{"worker", worker}, {"kind", kinds[k]}}, double(ws.punts[k]));
    sample(policer, {{"worker", worker}, {"reason", "peer"}}, double(ws.punt_policed_peer));
    sample(policer, {{"worker", worker}, {"reason", "global"}}, double(ws.punt_policed_global));
    const uint64_t busy = std::min(ws.busy_polls, ws.polls);
    sample(polls, {{"worker", worker}, {"kind", "busy"}}, double(busy));
    sample(polls, {{"worker", worker}, {"kind", "idle"}}, double(ws.polls - busy));
    // Every received packet arrived in exactly one burst: the sum of the
    // burst sizes is the worker's received packets.
    histogram_sample(bursts, {{"worker", worker}}, ws.burst_sizes, kBurstBounds, double(received));
    sample(neighbor, {{"worker", worker}, {"kind", "arp"}}, double(ws.arp_replies));
    sample(neighbor, {{"worker", worker}, {"kind", "nd"}}, double(ws.nd_replies));
    sample(worker_depth, {{"worker", worker}, {"ring", "handoff_up"}}, double(ws.handoff_up_depth));
    sample(worker_depth, {{"worker", worker}, {"ring", "handoff_down"}},
           double(ws.handoff_down_depth));
    sample(worker_depth, {{"worker", worker}, {"ring", "punt"}}, double(s.punt_ring_depth[w]));
    sample(worker_ring_drops, {{"worker", worker}, {"ring", "punt"}}, double(ws.punt_ring_full));
  }

  // Per SA: bounded by sa_limit unless `all`; per session: opt-in.
  EntityMetrics sa_mode = entities;
  if (!entities.all) {
    const auto in_use = std::count_if(s.stats.sas.begin(), s.stats.sas.end(), [](const auto& e) {
      return e.state != shm::SaStateCode::kFree;
    });
    sa_mode.all = static_cast<uint64_t>(in_use) <= entities.sa_limit;
    sa_mode.top = std::max(entities.top, entities.sa_limit / 2);
  }
  const std::vector<uint32_t> sa_indices = select_entries(
      s.stats.sas, sa_mode,
      [](const shm::SaStats& e) { return e.state != shm::SaStateCode::kFree; },
      [](const shm::SaStats& e) { return e.bytes; },
      [](const shm::SaStats& e) { return e.auth_failed + e.replayed; });
  auto& sa_packets = out.counter("softwire_sa_packets_total", "Packets processed by an SA");
  auto& sa_bytes = out.counter("softwire_sa_bytes_total", "Bytes processed by an SA");
  auto& sa_auth = out.counter("softwire_sa_auth_failures_total",
                              "Inbound packets of an SA whose ICV did not verify");
  auto& sa_replays =
      out.counter("softwire_sa_replays_total", "Inbound packets of an SA rejected as replays");
  auto& sa_seq = out.gauge("softwire_sa_sequence_number",
                           "Outbound: the next ESP sequence number to send; inbound: the highest "
                           "authenticated one");
  auto& sa_expired =
      out.gauge("softwire_sa_lifetime_expired", "1 when an SA reached its soft or hard lifetime");
  for (uint32_t i : sa_indices) {
    const shm::SaStats& sa = s.stats.sas[i];
    const std::string spi = hex32(sa.spi);
    const char* direction = sa.direction == shm::Direction::kIn ? "in" : "out";
    sample(sa_packets, {{"spi", spi}, {"direction", direction}}, double(sa.packets));
    sample(sa_bytes, {{"spi", spi}, {"direction", direction}}, double(sa.bytes));
    sample(sa_auth, {{"spi", spi}, {"direction", direction}}, double(sa.auth_failed));
    sample(sa_replays, {{"spi", spi}, {"direction", direction}}, double(sa.replayed));
    sample(sa_seq, {{"spi", spi}, {"direction", direction}}, double(sa.seq));
    const bool hard = sa.state == shm::SaStateCode::kHardExpired;
    const bool soft = hard || sa.state == shm::SaStateCode::kSoftExpired;
    sample(sa_expired, {{"spi", spi}, {"direction", direction}, {"kind", "soft"}}, soft);
    sample(sa_expired, {{"spi", spi}, {"direction", direction}, {"kind", "hard"}}, hard);
  }

  if (!entities.all && entities.top == 0) return;
  const std::vector<uint32_t> session_indices = select_entries(
      s.stats.sessions, entities, [](const shm::SessionStats& e) { return e.in_use != 0; },
      [](const shm::SessionStats& e) { return e.up_bytes + e.down_bytes; },
      [](const shm::SessionStats& e) { return e.spoofed; });
  auto& session_packets = out.counter("softwire_session_packets_total",
                                      "Packets of a session, upstream and downstream");
  auto& session_bytes =
      out.counter("softwire_session_bytes_total", "Bytes of a session, upstream and downstream");
  auto& session_spoofed = out.counter(
      "softwire_session_spoofed_packets_total",
      "Upstream packets of a session dropped because their inner source is not the session's");
  for (uint32_t i : session_indices) {
    const shm::SessionStats& ss = s.stats.sessions[i];
    const std::string tunnel = std::to_string(ss.tunnel_id);
    const std::string session = std::to_string(ss.session_id);
    auto labels = [&](const char* direction) {
      return Labels{{"tunnel_id", tunnel}, {"session_id", session}, {"direction", direction}};
    };
    sample(session_packets, labels("up"), double(ss.up_packets));
    sample(session_packets, labels("down"), double(ss.down_packets));
    sample(session_bytes, labels("up"), double(ss.up_bytes));
    sample(session_bytes, labels("down"), double(ss.down_bytes));
    sample(session_spoofed, {{"tunnel_id", tunnel}, {"session_id", session}}, double(ss.spoofed));
  }
}

uint64_t load(const std::atomic<uint64_t>& v) {
  return v.load(std::memory_order_relaxed);
}

void collect_cp(const cp::CpMetrics& cp, const std::optional<DataplaneSample>& dp,
                const std::vector<std::string>& punt_kinds, Families& out) {
  sample(out.counter("softwire_cp_commands_sent_total", "Commands the control plane sent"), {},
         double(load(cp.commands_sent)));
  sample(out.counter("softwire_cp_commands_failed_total",
                     "Commands the data plane answered with an error"),
         {}, double(load(cp.commands_failed)));
  sample(out.gauge("softwire_cp_commands_queued", "Commands waiting for room in the command ring"),
         {}, double(load(cp.commands_queued)));
  std::array<uint64_t, cp::kLatencyBounds.size() + 1> latency;
  for (size_t b = 0; b < latency.size(); ++b) latency[b] = load(cp.latency_buckets[b]);
  histogram_sample(out.histogram("softwire_cp_command_latency_seconds",
                                 "Time from sending a command to its reply"),
                   {}, latency, cp::kLatencyBounds, double(load(cp.latency_sum_ns)) * kNanosecond);

  auto& punts = out.counter("softwire_cp_punts_received_total",
                            "Punted packets the control plane received, by kind");
  for (unsigned k = 0; k < shm::kMaxPuntKinds; ++k) {
    const uint64_t value = load(cp.punts_received[k]);
    // Known kinds always (zero included); unknown ones only when they count.
    if (k < punt_kinds.size())
      sample(punts, {{"kind", punt_kinds[k]}}, double(value));
    else if (value != 0)
      sample(punts, {{"kind", "kind_" + std::to_string(k)}}, double(value));
  }
  sample(out.counter("softwire_cp_security_samples_total",
                     "Security samples (headers of dropped packets) received"),
         {}, double(load(cp.security_samples)));
  sample(out.counter("softwire_cp_drop_captures_total", "Captured dropped packets received"), {},
         double(load(cp.drop_captures)));
  sample(out.counter("softwire_cp_lcp_echo_replies_total", "LCP echo replies sent"), {},
         double(load(cp.lcp_echo_replies)));
  sample(
      out.counter("softwire_cp_malformed_punts_total", "Punt records the control plane rejected"),
      {}, double(load(cp.punts_malformed)));
  sample(out.counter("softwire_cp_inject_ring_full_total",
                     "Packets not injected because the inject ring was full"),
         {}, double(load(cp.inject_ring_full)));
  sample(out.counter("softwire_cp_security_events_total", "Records written to the security log"),
         {}, double(load(cp.security_events)));
  sample(out.counter("softwire_cp_security_events_suppressed_total",
                     "Security log records the rate limit suppressed"),
         {}, double(load(cp.security_suppressed)));

  auto& sessions = out.gauge("softwire_cp_sessions", "Sessions of the desired state, by state");
  for (size_t st = 0; st < cp::kSessionStateNames.size(); ++st)
    sample(sessions, {{"state", cp::kSessionStateNames[st]}}, double(load(cp.sessions[st])));
  sample(out.gauge("softwire_cp_sas", "SAs of the desired state"), {},
         double(load(cp.sas_desired)));

  const bool connected = load(cp.dp_connected) != 0;
  sample(out.gauge("softwire_cp_dataplane_connected",
                   "1 while the control plane is attached to a live data plane"),
         {}, connected);
  sample(out.gauge("softwire_cp_dataplane_in_sync",
                   "1 when the control plane is synchronised with the running data plane's "
                   "generation"),
         {}, connected && dp && load(cp.dp_generation) == dp->stats.generation);
  sample(
      out.counter("softwire_cp_reconciles_total", "Table dumps reconciled with the desired state"),
      {}, double(load(cp.reconciles)));
  sample(out.counter("softwire_cp_replays_total",
                     "Full replays of the desired state after a data-plane restart"),
         {}, double(load(cp.replays)));
  sample(out.counter("softwire_cp_config_reloads_total", "Configuration reloads applied"), {},
         double(load(cp.config_reloads)));
  sample(out.counter("softwire_cp_config_reload_errors_total", "Configuration reloads refused"), {},
         double(load(cp.config_reload_errors)));
  sample(out.gauge("softwire_cp_start_time_seconds",
                   "When the control plane started, seconds since the Unix epoch"),
         {}, double(load(cp.started_ns)) * kNanosecond);
}

}  // namespace

std::optional<DataplaneSample> sample_dataplane(const shm::Segment& segment) {
  const shm::SegmentHeader& h = segment.header();
  if (h.dp_stopping.load(std::memory_order_acquire) != 0) return std::nullopt;
  DataplaneSample s;
  const uint64_t beat = h.dp_heartbeat_ns.load(std::memory_order_acquire);
  const uint64_t now = shm::monotonic_ns();
  s.heartbeat_age_ns = now > beat ? now - beat : 0;
  if (s.heartbeat_age_ns > kHeartbeatTimeoutNs) return std::nullopt;
  if (!shm::read_stats(segment, s.stats)) return std::nullopt;
  s.dp_pid = h.dp_pid;
  s.dp_started_ns = h.dp_started_ns;
  const unsigned workers = std::min<unsigned>(h.workers, shm::kMaxWorkers);
  for (unsigned w = 0; w < workers; ++w) {
    const uint64_t tail = h.punt[w].tail.load(std::memory_order_acquire);
    const uint64_t head = h.punt[w].head.load(std::memory_order_acquire);
    s.punt_ring_depth[w] = tail > head ? tail - head : 0;
  }
  s.command_ring_full = h.commands.full.load(std::memory_order_relaxed);
  s.reply_ring_full = h.replies.full.load(std::memory_order_relaxed);
  s.inject_ring_full = h.inject.full.load(std::memory_order_relaxed);
  return s;
}

std::optional<DataplaneSample> SegmentObserver::sample() {
  std::lock_guard lock(mutex_);
  if (segment_ && segment_->replaced()) segment_.reset();
  if (!segment_) {
    try {
      segment_.emplace(shm::Segment::attach(instance_));
    } catch (const shm::AttachError&) {
      return std::nullopt;  // no data plane (yet): softwire_dataplane_up 0
    }
  }
  return sample_dataplane(*segment_);
}

MetricsCollector::MetricsCollector(DataplaneSampler sampler, const cp::CpMetrics* cp,
                                   CollectorOptions options)
    : sampler_(std::move(sampler)), cp_(cp), options_(std::move(options)) {}

std::vector<MetricFamily> MetricsCollector::Collect() const {
  const std::optional<DataplaneSample> dp = sampler_ ? sampler_() : std::nullopt;
  Families out;
  sample(out.gauge("softwire_build_info", "The softwire version and its shared-memory layout"),
         {{"version", options_.version}, {"layout_version", std::to_string(shm::kLayoutVersion)}},
         1);
  sample(out.gauge("softwire_dataplane_up",
                   "1 when a live data plane's statistics were read for this scrape"),
         {}, dp.has_value());
  std::vector<std::string> punt_kinds;
  {
    std::lock_guard lock(punt_names_mutex_);
    if (dp) punt_kind_names_ = punt_kind_names(dp->stats.header);
    punt_kinds = punt_kind_names_;
  }
  if (cp_ != nullptr) collect_cp(*cp_, dp, punt_kinds, out);
  if (dp) collect_dataplane(*dp, options_.entities, out);
  return out.take();
}

MetricsExporter::MetricsExporter(const ExporterOptions& options, DataplaneSampler sampler,
                                 const cp::CpMetrics* cp)
    : collector_(std::make_shared<MetricsCollector>(std::move(sampler), cp, options.collector)) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(options.listen, options.threads);
  } catch (const std::exception& e) {
    throw std::runtime_error("metrics: cannot listen on \"" + options.listen + "\": " + e.what());
  }
  exposer_->RegisterCollectable(collector_, "/metrics");
}

MetricsExporter::~MetricsExporter() = default;

uint16_t MetricsExporter::port() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<uint16_t>(ports.front());
}

}  // namespace softwire::metrics
