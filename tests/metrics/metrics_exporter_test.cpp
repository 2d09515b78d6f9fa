// The Prometheus exporter end to end without a data plane: the test plays the
// data plane (creates the segment, writes known statistics between
// begin/end_stats_update), starts the exporter on 127.0.0.1:0, scrapes
// /metrics over HTTP with its own socket client and checks names and exact
// values; promtool (the Prometheus project's own parser and linter) checks
// the exposition format. docs/metrics.md must document exactly the metric
// families a full scrape contains.
#include "control/metrics_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace softwire::metrics {
namespace {

constexpr uint64_t kGeneration = 0x00c0ffee12345678ull;

std::string unique_instance() {
  static int counter = 0;
  return "metrics-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

void set_name(char (&dst)[shm::kNameLength], const std::string& name) {
  std::snprintf(dst, sizeof dst, "%s", name.c_str());
}

// --- A minimal HTTP/1.0 client ---------------------------------------------

std::string http_get(uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) != ssize_t(request.size())) {
    close(fd);
    throw std::runtime_error("write");
  }
  std::string response;
  char buffer[65536];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, size_t(n));
  close(fd);
  return response;
}

struct Scrape {
  std::string status_line;
  std::string body;
  std::map<std::string, std::string> values;  // `name{a="x",b="y"}` (labels sorted) -> value
  std::map<std::string, std::string> types;   // family -> counter, gauge, histogram, summary
  std::map<std::string, std::string> helps;   // family -> help text

  // Series of a sample name, e.g. every softwire_drops_total{...}.
  size_t count(const std::string& name) const {
    size_t n = 0;
    for (const auto& [key, value] : values)
      if (key == name || key.rfind(name + "{", 0) == 0) ++n;
    return n;
  }
  std::set<std::string> families() const {
    std::set<std::string> out;
    for (const auto& [name, type] : types) out.insert(name);
    return out;
  }
  double value(const std::string& key) const {
    auto it = values.find(key);
    if (it == values.end()) throw std::runtime_error("no series " + key);
    return std::stod(it->second);
  }
  bool has(const std::string& key) const { return values.count(key) != 0; }
};

// Parses the text exposition format (0.0.4) as far as this exporter uses it.
std::string canonical(const std::string& name, const std::string& labels) {
  // labels: a="x",b="y" (values without quotes or commas inside in this test)
  std::vector<std::string> pairs;
  std::stringstream ss(labels);
  std::string pair;
  while (std::getline(ss, pair, ','))
    if (!pair.empty()) pairs.push_back(pair);
  std::sort(pairs.begin(), pairs.end());
  if (pairs.empty()) return name;
  std::string out = name + "{";
  for (size_t i = 0; i < pairs.size(); ++i) out += (i ? "," : "") + pairs[i];
  return out + "}";
}

Scrape parse(const std::string& response) {
  Scrape s;
  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos) throw std::runtime_error("no HTTP header");
  s.status_line = response.substr(0, response.find("\r\n"));
  s.body = response.substr(header_end + 4);
  std::stringstream lines(s.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      s.types[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string rest = line.substr(7);
      s.helps[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
      continue;
    }
    if (line[0] == '#') continue;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    if (brace != std::string::npos && brace < space) {
      const size_t close = line.rfind('}');
      s.values[canonical(line.substr(0, brace), line.substr(brace + 1, close - brace - 1))] =
          line.substr(space + 1);
    } else {
      s.values[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  return s;
}

// Runs promtool check metrics on `text`; returns its exit status and output.
std::pair<int, std::string> promtool_check(const std::string& text) {
  const char* promtool = std::getenv("PROMTOOL");
  if (promtool == nullptr) throw std::runtime_error("PROMTOOL is not set (meson sets it)");
  char path[] = "/tmp/softwire-metrics-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0 || write(fd, text.data(), text.size()) != ssize_t(text.size()))
    throw std::runtime_error("temporary file");
  close(fd);
  const std::string command = std::string(promtool) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// --- The fake data plane ---------------------------------------------------

class MetricsExporterTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kWorkers = 2, kSas = 8, kSessions = 8;

  // Starting an exporter is quick but stopping one takes up to 2 s (civetweb
  // polls its listening socket with a 2 s timeout), so the test programs
  // share one exporter per option set and stop them all at once at the end.
  static void SetUpTestSuite() {
    shared_cp_ = new cp::CpMetrics();
    exporters_ = new std::map<std::tuple<bool, uint32_t, uint32_t, bool>,
                              std::unique_ptr<MetricsExporter>>();
  }
  static void TearDownTestSuite() {
    std::vector<std::thread> stoppers;
    for (auto& [key, exporter] : *exporters_)
      stoppers.emplace_back([e = std::move(exporter)]() mutable { e.reset(); });
    for (std::thread& t : stoppers) t.join();
    delete exporters_;
    delete shared_cp_;
  }

  void SetUp() override {
    instance_ = unique_instance();
    segment_.emplace(shm::Segment::create(instance_, {kWorkers, kSas, kSessions}, kGeneration));
    write_known_stats();
    fill_cp_metrics();
    current_ = this;
  }
  void TearDown() override {
    current_ = nullptr;
    if (segment_) segment_->unlink();
  }

  void beat() {
    segment_->header().dp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
  }

  void write_known_stats() {
    const shm::Segment& seg = *segment_;
    shm::begin_stats_update(seg);
    shm::StatsHeader& h = seg.header().stats;
    h.published_ns = 1'700'000'000'500'000'000ull;
    h.uptime_ns = 42'500'000'000ull;
    h.snapshots = 85;
    h.ports = 2;
    h.sas_in_use = 4;
    h.sessions_in_use = 5;
    h.ipv4_prefixes = 5;
    h.ipv6_prefixes = 3;
    h.mempool_in_use = 1234;
    h.mempool_capacity = 65535;
    h.command_ring_depth = 7;
    h.reply_ring_depth = 2;
    h.inject_ring_depth = 1;
    h.inject_dropped = 9;
    h.commands_done = 333;
    h.drop_reason_count = 4;
    set_name(h.drop_reason_names[0], "unknown_spi");
    set_name(h.drop_reason_names[1], "auth_failed");
    set_name(h.drop_reason_names[2], "replay");
    set_name(h.drop_reason_names[3], "spoofed_source");
    h.punt_kind_count = 2;
    set_name(h.punt_kind_names[0], "l2tp_control");
    set_name(h.punt_kind_names[1], "ike");
    set_name(h.port_names[0], "access0");
    set_name(h.port_names[1], "core0");
    h.port_roles[0] = 0;
    h.port_roles[1] = 1;
    h.port_stats[0] = {1000, 640000, 900, 720000, 11, 12};
    h.port_stats[1] = {2000, 1280000, 1900, 1520000, 0, 1};
    shm::WorkerStats& w0 = h.worker_stats[0];
    w0.drops[0] = 5;
    w0.drops[1] = 6;
    w0.drops[3] = 8;  // drops[2] stays zero: it must still be exported
    w0.punts[0] = 13;
    w0.punts[1] = 14;
    w0.polls = 1000;
    w0.busy_polls = 400;
    // Bursts: 10 of 1, 20 of 2-3, 30 of 32-63, 4 of 256+.
    w0.burst_sizes[0] = 10;
    w0.burst_sizes[1] = 20;
    w0.burst_sizes[5] = 30;
    w0.burst_sizes[8] = 4;
    w0.arp_replies = 3;
    w0.nd_replies = 4;
    w0.punt_policed_peer = 15;
    w0.punt_policed_global = 16;
    w0.punt_ring_full = 17;
    w0.handoff_up_depth = 18;
    w0.handoff_down_depth = 19;
    w0.ports_rx_packets[0] = 600;
    w0.ports_rx_packets[1] = 1500;
    w0.ports_tx_packets[0] = 500;
    w0.ports_tx_packets[1] = 1400;
    shm::WorkerStats& w1 = h.worker_stats[1];
    w1.drops[0] = 21;
    w1.polls = 10;
    w1.busy_polls = 10;
    w1.ports_rx_packets[0] = 400;
    w1.ports_rx_packets[1] = 500;
    w1.ports_tx_packets[0] = 400;
    w1.ports_tx_packets[1] = 500;
    shm::SaStats* sas = seg.sa_stats();
    // Slot 2 and slots 5..7 stay free.
    sas[0] = {shm::SaStateCode::kActive, shm::Direction::kIn, {}, 0x1000, 100, 10000, 0, 0, 100};
    sas[1] = {shm::SaStateCode::kActive, shm::Direction::kOut, {}, 0x2000, 90, 9000, 0, 0, 91};
    sas[3] = {shm::SaStateCode::kSoftExpired, shm::Direction::kIn, {}, 0x1001, 5, 500, 7, 3, 5};
    sas[4] = {
        shm::SaStateCode::kHardExpired, shm::Direction::kOut, {}, 0x2001, 50, 50000, 0, 0, 51};
    shm::SessionStats* sessions = seg.session_stats();
    // Bytes up+down: session 1 = 300, 2 = 3000, 3 = 30, 4 = 30000, 5 = 3; slot 7 free.
    sessions[0] = {1, 0, 1, 1, 0, 1, 100, 2, 200, 0};
    sessions[1] = {1, 0, 1, 2, 0, 10, 1000, 20, 2000, 0};
    sessions[2] = {1, 0, 1, 3, 0, 1, 10, 2, 20, 6};  // few bytes, spoofing
    sessions[4] = {1, 0, 2, 4, 0, 100, 10000, 200, 20000, 0};
    sessions[6] = {1, 0, 2, 5, 0, 1, 1, 1, 2, 0};
    shm::end_stats_update(seg);
    beat();
  }

  void fill_cp_metrics() {
    for (auto& bucket : cp_.latency_buckets) bucket = 0;
    cp_.latency_count = 0;
    cp_.latency_sum_ns = 0;
    cp_.commands_sent = 40;
    cp_.commands_failed = 2;
    cp_.commands_queued = 3;
    cp_.observe_latency(15'000);         // 15 us: bucket le=2e-05
    cp_.observe_latency(15'000);         // 15 us
    cp_.observe_latency(700'000);        // 0.7 ms: le=0.001
    cp_.observe_latency(3'000'000'000);  // 3 s: +Inf
    cp_.punts_received[0] = 50;
    cp_.punts_received[1] = 51;
    cp_.security_samples = 52;
    cp_.drop_captures = 53;
    cp_.lcp_echo_replies = 54;
    cp_.punts_malformed = 55;
    cp_.inject_ring_full = 56;
    cp_.security_events = 57;
    cp_.security_suppressed = 58;
    cp_.sessions[0] = 1;
    cp_.sessions[1] = 5;
    cp_.sessions[2] = 0;
    cp_.sas_desired = 4;
    cp_.dp_generation = kGeneration;
    cp_.dp_connected = 1;
    cp_.reconciles = 1;
    cp_.replays = 0;
    cp_.config_reloads = 2;
    cp_.config_reload_errors = 1;
    cp_.started_ns = 1'700'000'000'000'000'000ull;
  }

  // Selects (starting it at first use) the exporter with these options. Its
  // sampler reads the current test's segment.
  void start(EntityMetrics entities = {}, bool with_cp = true) {
    auto& exporter = (*exporters_)[{entities.all, entities.top, entities.sa_limit, with_cp}];
    if (!exporter) {
      ExporterOptions options;
      options.listen = "127.0.0.1:0";
      options.collector.entities = entities;
      options.collector.version = "9.8.7-test";
      exporter = std::make_unique<MetricsExporter>(
          options,
          []() -> std::optional<DataplaneSample> {
            if (current_ == nullptr || !current_->dp_attached_.load()) return std::nullopt;
            return sample_dataplane(*current_->segment_);
          },
          with_cp ? shared_cp_ : nullptr);
    }
    port_ = exporter->port();
    ASSERT_NE(port_, 0);
  }

  Scrape scrape() {
    beat();
    Scrape s = parse(http_get(port_, "/metrics"));
    EXPECT_EQ(s.status_line, "HTTP/1.1 200 OK");
    return s;
  }

  static inline MetricsExporterTest* current_ = nullptr;
  static inline cp::CpMetrics* shared_cp_ = nullptr;
  static inline std::map<std::tuple<bool, uint32_t, uint32_t, bool>,
                         std::unique_ptr<MetricsExporter>>* exporters_ = nullptr;

  std::string instance_;
  std::optional<shm::Segment> segment_;
  cp::CpMetrics& cp_ = *shared_cp_;
  std::atomic<bool> dp_attached_{true};
  uint16_t port_ = 0;
};

TEST_F(MetricsExporterTest, ExactValuesOfTheDataPlane) {
  start();
  const Scrape s = scrape();
  EXPECT_EQ(s.value("softwire_dataplane_up"), 1);
  EXPECT_EQ(s.value("softwire_build_info{layout_version=\"" + std::to_string(shm::kLayoutVersion) +
                    "\",version=\"9.8.7-test\"}"),
            1);
  EXPECT_EQ(s.value(R"(softwire_dataplane_info{generation="0x00c0ffee12345678",pid=")" +
                    std::to_string(getpid()) + "\"}"),
            1);
  EXPECT_DOUBLE_EQ(s.value("softwire_dataplane_uptime_seconds"), 42.5);
  EXPECT_DOUBLE_EQ(s.value("softwire_dataplane_stats_timestamp_seconds"), 1'700'000'000.5);
  EXPECT_EQ(s.value("softwire_dataplane_stats_snapshots_total"), 85);
  EXPECT_EQ(s.value("softwire_dataplane_commands_total"), 333);
  EXPECT_EQ(s.value("softwire_dataplane_workers"), 2);
  EXPECT_LT(s.value("softwire_dataplane_heartbeat_age_seconds"), 2);
  EXPECT_GT(s.value("softwire_dataplane_start_time_seconds"), 1.6e9);

  // Ports, with their names from the stats area.
  EXPECT_EQ(s.value(R"(softwire_port_info{port="access0",role="access"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_port_info{port="core0",role="core"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_port_packets_total{direction="rx",port="access0"})"), 1000);
  EXPECT_EQ(s.value(R"(softwire_port_packets_total{direction="tx",port="access0"})"), 900);
  EXPECT_EQ(s.value(R"(softwire_port_bytes_total{direction="rx",port="core0"})"), 1280000);
  EXPECT_EQ(s.value(R"(softwire_port_bytes_total{direction="tx",port="core0"})"), 1520000);
  EXPECT_EQ(s.value(R"(softwire_port_nic_missed_packets_total{port="access0"})"), 11);
  EXPECT_EQ(s.value(R"(softwire_port_nic_errors_total{port="core0"})"), 1);
  EXPECT_EQ(
      s.value(R"(softwire_worker_port_packets_total{direction="rx",port="core0",worker="0"})"),
      1500);
  EXPECT_EQ(
      s.value(R"(softwire_worker_port_packets_total{direction="tx",port="access0",worker="1"})"),
      400);

  // Every reason of the name table, for every worker, zero included; no more.
  EXPECT_EQ(s.count("softwire_drops_total"), 2u * 4u);
  EXPECT_EQ(s.value(R"(softwire_drops_total{reason="unknown_spi",worker="0"})"), 5);
  EXPECT_EQ(s.value(R"(softwire_drops_total{reason="replay",worker="0"})"), 0);
  EXPECT_EQ(s.value(R"(softwire_drops_total{reason="spoofed_source",worker="0"})"), 8);
  EXPECT_EQ(s.value(R"(softwire_drops_total{reason="unknown_spi",worker="1"})"), 21);
  EXPECT_EQ(s.value(R"(softwire_drops_total{reason="auth_failed",worker="1"})"), 0);
  EXPECT_EQ(s.count("softwire_punts_total"), 2u * 2u);
  EXPECT_EQ(s.value(R"(softwire_punts_total{kind="ike",worker="0"})"), 14);
  EXPECT_EQ(s.value(R"(softwire_punts_total{kind="l2tp_control",worker="1"})"), 0);
  EXPECT_EQ(s.value(R"(softwire_punt_policer_drops_total{reason="peer",worker="0"})"), 15);
  EXPECT_EQ(s.value(R"(softwire_punt_policer_drops_total{reason="global",worker="0"})"), 16);

  // Busy/idle polls.
  EXPECT_EQ(s.value(R"(softwire_worker_polls_total{kind="busy",worker="0"})"), 400);
  EXPECT_EQ(s.value(R"(softwire_worker_polls_total{kind="idle",worker="0"})"), 600);
  EXPECT_EQ(s.value(R"(softwire_worker_polls_total{kind="idle",worker="1"})"), 0);
  EXPECT_EQ(s.value(R"(softwire_neighbor_replies_total{kind="arp",worker="0"})"), 3);
  EXPECT_EQ(s.value(R"(softwire_neighbor_replies_total{kind="nd",worker="0"})"), 4);

  // Rings.
  EXPECT_EQ(s.value(R"(softwire_ring_depth{ring="command"})"), 7);
  EXPECT_EQ(s.value(R"(softwire_ring_depth{ring="reply"})"), 2);
  EXPECT_EQ(s.value(R"(softwire_ring_depth{ring="inject"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_ring_drops_total{ring="reply"})"), 0);
  EXPECT_EQ(s.value(R"(softwire_worker_ring_depth{ring="handoff_up",worker="0"})"), 18);
  EXPECT_EQ(s.value(R"(softwire_worker_ring_depth{ring="handoff_down",worker="0"})"), 19);
  EXPECT_EQ(s.value(R"(softwire_worker_ring_depth{ring="punt",worker="0"})"), 0);
  EXPECT_EQ(s.value(R"(softwire_worker_ring_drops_total{ring="punt",worker="0"})"), 17);
  EXPECT_EQ(s.value("softwire_dataplane_inject_drops_total"), 9);

  // Tables and memory.
  EXPECT_EQ(s.value("softwire_dataplane_sessions"), 5);
  EXPECT_EQ(s.value("softwire_dataplane_sessions_capacity"), 8);
  EXPECT_EQ(s.value(R"(softwire_dataplane_sas{state="active"})"), 2);
  EXPECT_EQ(s.value(R"(softwire_dataplane_sas{state="soft_expired"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_dataplane_sas{state="hard_expired"})"), 1);
  EXPECT_EQ(s.value("softwire_dataplane_sas_capacity"), 8);
  EXPECT_EQ(s.value(R"(softwire_dataplane_prefixes{family="ipv4"})"), 5);
  EXPECT_EQ(s.value(R"(softwire_dataplane_prefixes{family="ipv6"})"), 3);
  EXPECT_EQ(s.value("softwire_mempool_in_use"), 1234);
  EXPECT_EQ(s.value("softwire_mempool_capacity"), 65535);

  // Per-session series are off by default; per-SA series are on while at
  // most sa_limit (1024) SAs are in use: all 4 here.
  EXPECT_EQ(s.count("softwire_session_bytes_total"), 0u);
  EXPECT_EQ(s.count("softwire_sa_bytes_total"), 4u);
  EXPECT_EQ(s.count("softwire_sa_lifetime_expired"), 8u);
}

TEST_F(MetricsExporterTest, RingDepthsAndDropsFromTheSegmentHeader) {
  segment_->header().punt[1].tail.store(12);
  segment_->header().punt[1].head.store(5);
  segment_->header().replies.full.store(77);
  start();
  const Scrape s = scrape();
  EXPECT_EQ(s.value(R"(softwire_worker_ring_depth{ring="punt",worker="1"})"), 7);
  EXPECT_EQ(s.value(R"(softwire_ring_drops_total{ring="reply"})"), 77);
}

TEST_F(MetricsExporterTest, HistogramsAreCumulativeWithSumAndCount) {
  start();
  const Scrape s = scrape();
  EXPECT_EQ(s.types.at("softwire_worker_receive_burst_size"), "histogram");
  const std::string b = "softwire_worker_receive_burst_size_bucket";
  EXPECT_EQ(s.value(b + R"({le="1",worker="0"})"), 10);
  EXPECT_EQ(s.value(b + R"({le="3",worker="0"})"), 30);
  EXPECT_EQ(s.value(b + R"({le="31",worker="0"})"), 30);
  EXPECT_EQ(s.value(b + R"({le="63",worker="0"})"), 60);
  EXPECT_EQ(s.value(b + R"({le="255",worker="0"})"), 60);
  EXPECT_EQ(s.value(b + R"({le="+Inf",worker="0"})"), 64);
  EXPECT_EQ(s.value(R"(softwire_worker_receive_burst_size_count{worker="0"})"), 64);
  // The sum is the packets the worker received (600 + 1500).
  EXPECT_EQ(s.value(R"(softwire_worker_receive_burst_size_sum{worker="0"})"), 2100);
  EXPECT_EQ(s.count(b), 2u * 9u);

  EXPECT_EQ(s.types.at("softwire_cp_command_latency_seconds"), "histogram");
  const std::string l = "softwire_cp_command_latency_seconds";
  EXPECT_EQ(s.value(l + R"(_bucket{le="1e-05"})"), 0);
  EXPECT_EQ(s.value(l + R"(_bucket{le="2e-05"})"), 2);
  EXPECT_EQ(s.value(l + R"(_bucket{le="0.0005"})"), 2);
  EXPECT_EQ(s.value(l + R"(_bucket{le="0.001"})"), 3);
  EXPECT_EQ(s.value(l + R"(_bucket{le="1"})"), 3);
  EXPECT_EQ(s.value(l + R"(_bucket{le="+Inf"})"), 4);
  EXPECT_EQ(s.value(l + "_count"), 4);
  EXPECT_NEAR(s.value(l + "_sum"), 3.00073, 1e-9);
  EXPECT_EQ(s.count(l + "_bucket"), cp::kLatencyBounds.size() + 1);
}

TEST_F(MetricsExporterTest, ControlPlaneMetrics) {
  start();
  const Scrape s = scrape();
  EXPECT_EQ(s.value("softwire_cp_commands_sent_total"), 40);
  EXPECT_EQ(s.value("softwire_cp_commands_failed_total"), 2);
  EXPECT_EQ(s.value("softwire_cp_commands_queued"), 3);
  EXPECT_EQ(s.value(R"(softwire_cp_punts_received_total{kind="l2tp_control"})"), 50);
  EXPECT_EQ(s.value(R"(softwire_cp_punts_received_total{kind="ike"})"), 51);
  EXPECT_EQ(s.value("softwire_cp_security_samples_total"), 52);
  EXPECT_EQ(s.value("softwire_cp_drop_captures_total"), 53);
  EXPECT_EQ(s.value("softwire_cp_lcp_echo_replies_total"), 54);
  EXPECT_EQ(s.value("softwire_cp_malformed_punts_total"), 55);
  EXPECT_EQ(s.value("softwire_cp_inject_ring_full_total"), 56);
  EXPECT_EQ(s.value("softwire_cp_security_events_total"), 57);
  EXPECT_EQ(s.value("softwire_cp_security_events_suppressed_total"), 58);
  EXPECT_EQ(s.value(R"(softwire_cp_sessions{state="pending"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_cp_sessions{state="active"})"), 5);
  EXPECT_EQ(s.value(R"(softwire_cp_sessions{state="failed"})"), 0);
  EXPECT_EQ(s.value("softwire_cp_sas"), 4);
  EXPECT_EQ(s.value("softwire_cp_dataplane_connected"), 1);
  EXPECT_EQ(s.value("softwire_cp_dataplane_in_sync"), 1);
  EXPECT_EQ(s.value("softwire_cp_reconciles_total"), 1);
  EXPECT_EQ(s.value("softwire_cp_replays_total"), 0);
  EXPECT_EQ(s.value("softwire_cp_config_reloads_total"), 2);
  EXPECT_EQ(s.value("softwire_cp_config_reload_errors_total"), 1);
  EXPECT_NEAR(s.value("softwire_cp_start_time_seconds"), 1.7e9, 1e-3);

  cp_.dp_generation = kGeneration + 1;  // the cp has not caught up with a restart yet
  EXPECT_EQ(scrape().value("softwire_cp_dataplane_in_sync"), 0);
}

TEST_F(MetricsExporterTest, DataPlaneDownLeavesControlPlaneMetricsOnly) {
  start();
  scrape();  // learns the punt kind names
  dp_attached_ = false;
  const Scrape s = scrape();
  EXPECT_EQ(s.value("softwire_dataplane_up"), 0);
  EXPECT_EQ(s.value("softwire_build_info{layout_version=\"" + std::to_string(shm::kLayoutVersion) +
                    "\",version=\"9.8.7-test\"}"),
            1);
  EXPECT_EQ(s.value("softwire_cp_dataplane_in_sync"), 0);
  // The cp's punt counters keep the names learnt while the data plane was up.
  EXPECT_EQ(s.value(R"(softwire_cp_punts_received_total{kind="ike"})"), 51);
  for (const std::string& family : s.families()) {
    const bool allowed = family == "softwire_build_info" || family == "softwire_dataplane_up" ||
                         family.rfind("softwire_cp_", 0) == 0 || family.rfind("exposer_", 0) == 0;
    EXPECT_TRUE(allowed) << family << " exported while the data plane is down";
  }
  const auto [status, output] = promtool_check(s.body);
  EXPECT_EQ(status, 0) << output;
}

TEST_F(MetricsExporterTest, ObserveOnlyHasNoControlPlaneMetrics) {
  start({}, /*with_cp=*/false);
  const Scrape s = scrape();
  EXPECT_EQ(s.value("softwire_dataplane_up"), 1);
  EXPECT_TRUE(s.has(R"(softwire_drops_total{reason="replay",worker="1"})"));
  for (const std::string& family : s.families())
    EXPECT_NE(family.rfind("softwire_cp_", 0), 0u) << family;
}

TEST_F(MetricsExporterTest, SampleSaysDownWhenStoppingOrSilent) {
  EXPECT_TRUE(sample_dataplane(*segment_).has_value());
  segment_->header().dp_heartbeat_ns.store(shm::monotonic_ns() - 3 * kHeartbeatTimeoutNs);
  EXPECT_FALSE(sample_dataplane(*segment_).has_value());
  beat();
  segment_->header().dp_stopping.store(1);
  EXPECT_FALSE(sample_dataplane(*segment_).has_value());
  segment_->header().dp_stopping.store(0);
  // A writer that died in the middle of an update leaves the epoch odd.
  shm::begin_stats_update(*segment_);
  EXPECT_FALSE(sample_dataplane(*segment_).has_value());
  shm::end_stats_update(*segment_);
  // The failed read above retried (sched_yield) 1000 times: on a loaded
  // machine that takes seconds, and the heartbeat would be stale by now.
  beat();
  EXPECT_TRUE(sample_dataplane(*segment_).has_value());
}

TEST_F(MetricsExporterTest, SegmentObserverFollowsDataPlaneRestarts) {
  SegmentObserver observer(instance_);
  std::optional<DataplaneSample> first = observer.sample();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->stats.generation, kGeneration);
  EXPECT_EQ(first->stats.header.sessions_in_use, 5u);

  segment_->unlink();
  segment_.reset();
  EXPECT_FALSE(observer.sample().has_value());

  segment_.emplace(shm::Segment::create(instance_, {1, 2, 2}, kGeneration + 1));
  std::optional<DataplaneSample> second = observer.sample();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->stats.generation, kGeneration + 1);
  EXPECT_EQ(second->stats.header.sessions_in_use, 0u);
}

// Scrapes while a writer thread keeps rewriting the stats area (far more
// often than the data plane's stats period): every scrape that reads the
// data plane must show one snapshot (fields written together agree), never a
// mixture, and the snapshots must move forward.
TEST_F(MetricsExporterTest, ScrapesAreConsistentWhileTheDataPlaneWrites) {
  start();
  // The fields are written slowly, in the opposite order of the reader's
  // copy, so that a reader ignoring the epoch would see a mixture.
  auto publish = [this](uint64_t round) {
    auto pause = [] {
      for (std::atomic<int> i = 0; i < 200; ++i) {
      }
    };
    shm::begin_stats_update(*segment_);
    shm::StatsHeader& h = segment_->header().stats;
    h.worker_stats[1].drops[3] = round;
    pause();
    h.port_stats[0].rx_packets = round;
    pause();
    h.mempool_in_use = round;
    pause();
    h.snapshots = round;
    shm::end_stats_update(*segment_);
    beat();
  };
  publish(0);
  std::atomic<bool> stop{false};
  // Between writes the writer leaves a short quiet gap, as the data plane does
  // (it writes every 100 ms): without one, on a loaded machine every retry of
  // a reader can meet a write, which is allowed but proves nothing.
  std::thread writer([&] {
    for (uint64_t round = 1; !stop.load(); ++round) {
      publish(round);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  // Scrape until enough scrapes read the data plane (bounded, so a reader
  // that never succeeds fails the test rather than hanging it).
  std::vector<Scrape> scrapes;
  auto up_count = [&scrapes] {
    return std::count_if(scrapes.begin(), scrapes.end(),
                         [](const Scrape& s) { return s.value("softwire_dataplane_up") != 0; });
  };
  try {
    for (int i = 0; i < 2000 && up_count() < 10; ++i) scrapes.push_back(scrape());
  } catch (...) {
    stop = true;
    writer.join();
    throw;
  }
  stop = true;
  writer.join();
  double previous = 0;
  int up = 0;
  for (const Scrape& s : scrapes) {
    if (s.value("softwire_dataplane_up") == 0) continue;  // every retry met a write: allowed
    ++up;
    const double round = s.value("softwire_dataplane_stats_snapshots_total");
    EXPECT_EQ(s.value(R"(softwire_port_packets_total{direction="rx",port="access0"})"), round);
    EXPECT_EQ(s.value(R"(softwire_drops_total{reason="spoofed_source",worker="1"})"), round);
    EXPECT_EQ(s.value("softwire_mempool_in_use"), round);
    EXPECT_GE(round, previous);
    previous = round;
  }
  EXPECT_GE(up, 10);
}

// --- Cardinality of the per-session and per-SA series ----------------------

TEST_F(MetricsExporterTest, AllSessionsAndSas) {
  start({.all = true, .top = 0});
  const Scrape s = scrape();
  // 5 sessions in use: 2 packets + 2 bytes + 1 spoofed series each.
  EXPECT_EQ(s.count("softwire_session_packets_total"), 10u);
  EXPECT_EQ(s.count("softwire_session_bytes_total"), 10u);
  EXPECT_EQ(s.count("softwire_session_spoofed_packets_total"), 5u);
  EXPECT_EQ(s.value(R"(softwire_session_bytes_total{direction="up",session_id="4",tunnel_id="2"})"),
            10000);
  EXPECT_EQ(
      s.value(R"(softwire_session_packets_total{direction="down",session_id="4",tunnel_id="2"})"),
      200);
  EXPECT_EQ(s.value(R"(softwire_session_spoofed_packets_total{session_id="3",tunnel_id="1"})"), 6);
  // 4 SAs in use: 4 counters, the sequence number and 2 lifetime gauges each.
  EXPECT_EQ(s.count("softwire_sa_packets_total"), 4u);
  EXPECT_EQ(s.count("softwire_sa_lifetime_expired"), 8u);
  EXPECT_EQ(s.count("softwire_sa_sequence_number"), 4u);
  EXPECT_EQ(s.value(R"(softwire_sa_sequence_number{direction="out",spi="0x00002000"})"), 91);
  EXPECT_EQ(s.value(R"(softwire_sa_bytes_total{direction="in",spi="0x00001000"})"), 10000);
  EXPECT_EQ(s.value(R"(softwire_sa_packets_total{direction="out",spi="0x00002000"})"), 90);
  EXPECT_EQ(s.value(R"(softwire_sa_auth_failures_total{direction="in",spi="0x00001001"})"), 7);
  EXPECT_EQ(s.value(R"(softwire_sa_replays_total{direction="in",spi="0x00001001"})"), 3);
  EXPECT_EQ(s.value(R"(softwire_sa_lifetime_expired{direction="in",kind="soft",spi="0x00001001"})"),
            1);
  EXPECT_EQ(s.value(R"(softwire_sa_lifetime_expired{direction="in",kind="hard",spi="0x00001001"})"),
            0);
  EXPECT_EQ(
      s.value(R"(softwire_sa_lifetime_expired{direction="out",kind="hard",spi="0x00002001"})"), 1);
  EXPECT_EQ(
      s.value(R"(softwire_sa_lifetime_expired{direction="out",kind="soft",spi="0x00002001"})"), 1);
  EXPECT_EQ(s.value(R"(softwire_sa_lifetime_expired{direction="in",kind="soft",spi="0x00001000"})"),
            0);
  const auto [status, output] = promtool_check(s.body);
  EXPECT_EQ(status, 0) << output;
}

TEST_F(MetricsExporterTest, TopSessionsByTrafficPlusSpoofers) {
  start({.all = false, .top = 2, .sa_limit = 0});
  const Scrape s = scrape();
  // Top 2 by bytes: (2,4) with 30000 and (1,2) with 3000; plus (1,3), the only spoofer.
  EXPECT_EQ(s.count("softwire_session_spoofed_packets_total"), 3u);
  EXPECT_EQ(s.count("softwire_session_bytes_total"), 6u);
  for (const char* session : {R"(session_id="4",tunnel_id="2")", R"(session_id="2",tunnel_id="1")",
                              R"(session_id="3",tunnel_id="1")"})
    EXPECT_TRUE(s.has("softwire_session_spoofed_packets_total{" + std::string(session) + "}"))
        << session;
  EXPECT_FALSE(s.has(R"(softwire_session_spoofed_packets_total{session_id="1",tunnel_id="1"})"));
  // SAs: top 2 by bytes are 0x2001 (50000) and 0x1000 (10000); 0x1001 has
  // authentication failures and replays.
  EXPECT_EQ(s.count("softwire_sa_bytes_total"), 3u);
  EXPECT_TRUE(s.has(R"(softwire_sa_bytes_total{direction="out",spi="0x00002001"})"));
  EXPECT_TRUE(s.has(R"(softwire_sa_bytes_total{direction="in",spi="0x00001000"})"));
  EXPECT_TRUE(s.has(R"(softwire_sa_bytes_total{direction="in",spi="0x00001001"})"));
  EXPECT_FALSE(s.has(R"(softwire_sa_bytes_total{direction="out",spi="0x00002000"})"));
}

TEST_F(MetricsExporterTest, SaSeriesAreBoundedBySaLimit) {
  // 4 SAs in use, limit 3: the one with most bytes (0x2001) plus the one with
  // most failures (0x1001); no session series.
  start({.all = false, .top = 0, .sa_limit = 3});
  const Scrape s = scrape();
  EXPECT_EQ(s.count("softwire_sa_bytes_total"), 2u);
  EXPECT_TRUE(s.has(R"(softwire_sa_bytes_total{direction="out",spi="0x00002001"})"));
  EXPECT_TRUE(s.has(R"(softwire_sa_bytes_total{direction="in",spi="0x00001001"})"));
  EXPECT_EQ(s.count("softwire_session_bytes_total"), 0u);
  // Limit 4: all of them.
  start({.all = false, .top = 0, .sa_limit = 4});
  EXPECT_EQ(scrape().count("softwire_sa_bytes_total"), 4u);
}

TEST_F(MetricsExporterTest, TopOneIsBoundedEvenWithManyCandidates) {
  start({.all = false, .top = 1, .sa_limit = 0});
  const Scrape s = scrape();
  EXPECT_EQ(s.count("softwire_session_spoofed_packets_total"), 2u);  // (2,4) and spoofer (1,3)
  EXPECT_EQ(s.count("softwire_sa_bytes_total"), 2u);                 // 0x2001 and 0x1001
}

// --- Format and documentation ----------------------------------------------

TEST_F(MetricsExporterTest, PromtoolAcceptsTheScrape) {
  start({.all = true, .top = 0});
  const Scrape s = scrape();
  const auto [status, output] = promtool_check(s.body);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");
  for (const auto& [family, help] : s.helps) {
    EXPECT_FALSE(help.empty()) << family;
    EXPECT_EQ(help.find('\\'), std::string::npos) << family;  // prometheus-cpp does not escape
  }
}

TEST_F(MetricsExporterTest, PromtoolRejectsABrokenExposition) {
  // The check above can fail: promtool does report problems.
  const auto [status, output] =
      promtool_check("# TYPE softwire_bad counter\nsoftwire_bad{le=\"1\" 1\n");
  EXPECT_NE(status, 0);
  EXPECT_NE(output, "");
}

TEST_F(MetricsExporterTest, NamesFollowTheConventions) {
  start({.all = true, .top = 0});
  const Scrape s = scrape();
  for (const auto& [family, type] : s.types) {
    if (family.rfind("exposer_", 0) == 0) continue;  // prometheus-cpp's own
    EXPECT_EQ(family.rfind("softwire_", 0), 0u) << family;
    const bool total = family.size() > 6 && family.substr(family.size() - 6) == "_total";
    EXPECT_EQ(total, type == "counter") << family << " is a " << type;
  }
}

std::set<std::string> documented_metrics() {
  const char* doc = std::getenv("METRICS_DOC");
  if (doc == nullptr) throw std::runtime_error("METRICS_DOC is not set (meson sets it)");
  std::ifstream in(doc);
  if (!in) throw std::runtime_error(std::string("cannot read ") + doc);
  std::set<std::string> names;
  const std::regex row(R"(^\| `([a-z_:][a-z0-9_:]*)` \|)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, row)) names.insert(m[1]);
  return names;
}

TEST_F(MetricsExporterTest, DocumentationListsExactlyTheExportedMetrics) {
  start({.all = true, .top = 0});
  const Scrape s = scrape();
  const std::set<std::string> documented = documented_metrics();
  const std::set<std::string> exported = s.families();
  for (const std::string& name : exported)
    EXPECT_TRUE(documented.count(name)) << name << " is missing from docs/metrics.md";
  for (const std::string& name : documented)
    EXPECT_TRUE(exported.count(name)) << name << " is documented but not exported";
}

TEST_F(MetricsExporterTest, RefusesAnAddressItCannotBind) {
  start();
  ExporterOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port_);
  EXPECT_THROW(MetricsExporter(options, nullptr, nullptr), std::runtime_error);
  options.listen = "not-an-address";
  EXPECT_THROW(MetricsExporter(options, nullptr, nullptr), std::runtime_error);
}

TEST_F(MetricsExporterTest, OnlyServesTheMetricsPath) {
  start();
  const std::string response = http_get(port_, "/other");
  const std::string status = response.substr(0, response.find("\r\n"));
  EXPECT_NE(status.find(" 404 "), std::string::npos) << response;
  EXPECT_EQ(response.find("softwire_"), std::string::npos) << response;
}

}  // namespace
}  // namespace softwire::metrics
