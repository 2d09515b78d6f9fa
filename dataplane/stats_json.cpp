#include "dataplane/stats_json.h"

#include <cstdio>
#include <sstream>

namespace softwire::dp {

namespace {

template <typename Get>
uint64_t sum(std::span<const WorkerCounters> workers, Get get) {
  uint64_t total = 0;
  for (const auto& w : workers) total += get(w).get();
  return total;
}

}  // namespace

std::vector<PortTotals> port_totals(const DataplaneState& state,
                                    std::span<const WorkerCounters> workers) {
  std::vector<PortTotals> totals(state.ports.size());
  for (const auto& w : workers) {
    for (size_t p = 0; p < totals.size(); ++p) {
      totals[p].rx_packets += w.ports[p].rx_packets.get();
      totals[p].tx_packets += w.ports[p].tx_packets.get();
      totals[p].rx_bytes += w.ports[p].rx_bytes.get();
      totals[p].tx_bytes += w.ports[p].tx_bytes.get();
    }
  }
  return totals;
}

std::string stats_json(const DataplaneState& state, std::span<const WorkerCounters> workers,
                       double elapsed_seconds, const rte_mempool* pool,
                       const MeasurementWindow* window) {
  std::ostringstream o;
  o << "{\"elapsed_s\": " << elapsed_seconds << ",\n \"ports\": {";
  const std::vector<PortTotals> totals = port_totals(state, workers);
  for (size_t p = 0; p < state.ports.size(); ++p) {
    o << (p ? ", " : "") << json_quote(state.ports[p].name) << ": {"
      << "\"rx_packets\": " << totals[p].rx_packets << ", \"tx_packets\": " << totals[p].tx_packets
      << ", \"rx_bytes\": " << totals[p].rx_bytes << ", \"tx_bytes\": " << totals[p].tx_bytes
      << "}";
  }
  if (window != nullptr && window->seconds > 0) {
    // Rates over the window only, so start-up and warm-up do not count.
    o << "},\n \"window\": {\"start_s\": " << window->start_s
      << ", \"seconds\": " << window->seconds << ", \"tsc_hz\": " << window->tsc_hz
      << ", \"ports\": {";
    for (size_t p = 0; p < state.ports.size(); ++p) {
      const PortTotals& b = window->begin[p];
      const PortTotals& e = window->end[p];
      const double s = window->seconds;
      o << (p ? ", " : "") << json_quote(state.ports[p].name) << ": {"
        << "\"rx_pps\": " << static_cast<double>(e.rx_packets - b.rx_packets) / s
        << ", \"tx_pps\": " << static_cast<double>(e.tx_packets - b.tx_packets) / s
        << ", \"rx_bps\": " << static_cast<double>(e.rx_bytes - b.rx_bytes) * 8 / s
        << ", \"tx_bps\": " << static_cast<double>(e.tx_bytes - b.tx_bytes) * 8 / s << "}";
    }
    o << "}";
  }
  o << "},\n \"drops\": {";
  for (size_t r = 0; r < kDropReasonCount; ++r)
    o << (r ? ", " : "") << json_quote(kDropReasons[r].name) << ": "
      << sum(workers, [&](const WorkerCounters& w) -> const Counter& { return w.drops[r]; });
  o << "},\n \"punts\": {";
  for (size_t k = 0; k < kPuntKindCount; ++k)
    o << (k ? ", " : "") << json_quote(kPuntKinds[k].name) << ": "
      << sum(workers, [&](const WorkerCounters& w) -> const Counter& { return w.punts[k]; });
  o << "},\n \"neighbor\": {\"arp_replies\": "
    << sum(workers, [](const WorkerCounters& w) -> const Counter& { return w.arp_replies; })
    << ", \"nd_replies\": "
    << sum(workers, [](const WorkerCounters& w) -> const Counter& { return w.nd_replies; })
    << "},\n";
  const uint64_t polls =
      sum(workers, [](const WorkerCounters& w) -> const Counter& { return w.polls; });
  const uint64_t busy =
      sum(workers, [](const WorkerCounters& w) -> const Counter& { return w.busy_polls; });
  o << " \"workers\": {\"count\": " << workers.size() << ", \"polls\": " << polls
    << ", \"busy_polls\": " << busy << "},\n \"sas\": [";
  bool first = true;
  for (const uint32_t i : state.sa_indices_in_config_order) {
    const SaState& sa = state.sas[i];
    o << (first ? "\n  " : ",\n  ") << "{\"spi\": " << sa.spi << ", \"direction\": \""
      << (sa.inbound ? "in" : "out") << "\", \"packets\": " << sa.packets.get()
      << ", \"bytes\": " << sa.bytes.get() << ", \"auth_failed\": " << sa.auth_failed.get()
      << ", \"replay\": " << sa.replayed.get()
      << ", \"soft_expired\": " << (sa.soft_expired.get() ? "true" : "false")
      << ", \"hard_expired\": " << (sa.hard_expired.get() ? "true" : "false");
    if (!sa.inbound) o << ", \"next_seq\": " << sa.next_seq;
    o << "}";
    first = false;
  }
  o << "],\n \"sessions\": [";
  first = true;
  for (const uint32_t i : state.session_indices_in_config_order) {
    const SessionState& s = state.sessions[i];
    o << (first ? "\n  " : ",\n  ") << "{\"identity\": " << json_quote(state.session_identity[i])
      << ", \"tunnel_id\": " << s.tunnel_id << ", \"session_id\": " << s.session_id
      << ", \"up_packets\": " << s.up_packets.get() << ", \"up_bytes\": " << s.up_bytes.get()
      << ", \"down_packets\": " << s.down_packets.get()
      << ", \"down_bytes\": " << s.down_bytes.get() << ", \"spoofed\": " << s.spoofed.get() << "}";
    first = false;
  }
  o << "],\n \"mempool\": {\"size\": " << (pool ? pool->size : 0)
    << ", \"in_use\": " << (pool ? rte_mempool_in_use_count(pool) : 0) << "}}\n";
  return o.str();
}

}  // namespace softwire::dp
