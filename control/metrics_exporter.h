// Prometheus /metrics for softwire-cp (and `softwire-cp --observe-only`).
//
// One prometheus::Collectable builds every metric family at scrape time from
// a fresh, consistent copy of the data plane's stats area (shm::read_stats,
// which never stops a worker) plus the control plane's own CpMetrics. No
// prometheus::Counter objects are registered per session or SA: the series
// exist only inside the scrape. docs/metrics.md lists every metric.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/cp_metrics.h"
#include "shm/protocol.h"
#include "shm/segment.h"

namespace prometheus {
class Exposer;
}

namespace softwire::metrics {

// Everything the exporter shows about a live data plane: the stats snapshot
// plus a few live fields of the segment header that are not in the stats area.
struct DataplaneSample {
  shm::StatsSnapshot stats;
  uint64_t dp_pid = 0;
  uint64_t dp_started_ns = 0;     // CLOCK_REALTIME
  uint64_t heartbeat_age_ns = 0;  // CLOCK_MONOTONIC now - dp_heartbeat_ns
  std::array<uint64_t, shm::kMaxWorkers> punt_ring_depth{};  // records waiting, per worker
  uint64_t command_ring_full = 0;  // RingHeader::full of the command, reply and inject rings
  uint64_t reply_ring_full = 0;
  uint64_t inject_ring_full = 0;
};

// A data plane is considered down when it marked itself stopping or its
// heartbeat is older than this (same rule as shm::Segment::create).
inline constexpr uint64_t kHeartbeatTimeoutNs = 2'000'000'000ull;

// Samples an attached segment. nullopt when the data plane is not alive
// (stopping, or no heartbeat within kHeartbeatTimeoutNs) or the stats area
// could not be read consistently (a writer died mid-update). Safe to call
// from any thread while the data plane runs; it only reads the segment.
std::optional<DataplaneSample> sample_dataplane(const shm::Segment& segment);

// Called once per scrape, from the exposer's threads (possibly two at once):
// nullopt when no data plane is attached. The caller owns the attachment and
// must make the call safe against its own re-attachment (e.g. a mutex around
// the Segment, or SegmentObserver below).
using DataplaneSampler = std::function<std::optional<DataplaneSample>()>;

// For `softwire-cp --observe-only`: attaches to /softwire-<instance> lazily
// at the first scrape, re-attaches when the data plane restarted (the name
// refers to a new segment) and reports "down" while there is none. Owns no
// other state. Thread-safe.
class SegmentObserver {
 public:
  explicit SegmentObserver(std::string instance) : instance_(std::move(instance)) {}
  std::optional<DataplaneSample> sample();
  DataplaneSampler sampler() {
    return [this] { return sample(); };
  }

 private:
  const std::string instance_;
  std::mutex mutex_;                     // guards segment_
  std::optional<shm::Segment> segment_;  // the current attachment, if any
};

// Per-session and per-SA series. Sessions are off by default: the stats area
// can hold a million of them. `all` wins over `top` and `sa_limit`.
struct EntityMetrics {
  bool all = false;  // control.session_metrics = true: every session and SA
  // Proposed control.session_metrics_top: when > 0 (and `all` is false), the
  // `top` sessions with most bytes (up + down) plus the `top` with most
  // spoofed packets, and likewise the `top` SAs with most bytes plus the
  // `top` with most authentication failures + replays. At most 2 * top
  // sessions and 2 * top SAs.
  uint32_t top = 0;
  // Per-SA series without `all` (control.sa_metrics_limit): every SA while
  // at most sa_limit are in use; beyond that the sa_limit / 2 with most bytes
  // plus the sa_limit / 2 with most authentication failures + replays (or
  // `top` of each, if larger). So per-SA metrics are there by default and
  // stay bounded: at most sa_limit (+ 2 top) SAs, 7 series each.
  uint32_t sa_limit = 1024;
};

struct CollectorOptions {
  EntityMetrics entities;
  std::string version = SOFTWIRE_VERSION;  // softwire_build_info{version}
};

// The Collectable. Usable without HTTP (tests, `softwire-ctl show counters`).
class MetricsCollector : public prometheus::Collectable {
 public:
  // `cp` may be null (observe-only mode): then only data-plane metrics,
  // softwire_build_info and softwire_dataplane_up. It must outlive this.
  MetricsCollector(DataplaneSampler sampler, const cp::CpMetrics* cp, CollectorOptions options);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const DataplaneSampler sampler_;
  const cp::CpMetrics* const cp_;
  const CollectorOptions options_;
  // Punt kind names seen in the last data-plane sample, so that the cp's
  // punt counters keep their labels while the data plane is down. Written
  // and read by Collect() under the mutex (the exposer may scrape on two
  // threads).
  mutable std::mutex punt_names_mutex_;
  mutable std::vector<std::string> punt_kind_names_;
};

struct ExporterOptions {
  std::string listen;  // control.metrics_listen: "127.0.0.1:9550", "[::1]:9550", port 0 = any
  CollectorOptions collector;
  size_t threads = 2;  // HTTP worker threads
};

// Serves GET /metrics on options.listen until destroyed. Throws
// std::runtime_error when the address cannot be bound.
class MetricsExporter {
 public:
  MetricsExporter(const ExporterOptions& options, DataplaneSampler sampler,
                  const cp::CpMetrics* cp);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The bound TCP port (the real one when the listen address said port 0).
  uint16_t port() const;

 private:
  std::shared_ptr<MetricsCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace softwire::metrics
