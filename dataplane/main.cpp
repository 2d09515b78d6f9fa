// softwire-dp: the data plane. Standalone mode: SAs and sessions come from the
// configuration file. Control mode (a `control` section): softwire-cp pushes
// them over the shared-memory control channel. In both modes the dp creates
// the segment /softwire-<instance> (metrics, control) and serves it on the
// main lcore.
//
//   softwire-dp -c FILE [--run-for SECONDS] [--stats-json FILE] [-- EAL args]

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>
#include <sys/random.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "dataplane/control_server.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/ports.h"
#include "dataplane/stats_json.h"
#include "dataplane/stats_publisher.h"
#include "dataplane/worker.h"
#include "dataplane/worker_context.h"
#include "shm/segment.h"

namespace {

using namespace softwire;

// The one piece of process-wide state: a signal handler can reach nothing else.
volatile std::sig_atomic_t g_signalled = 0;
extern "C" void on_signal(int) {
  g_signalled = 1;
}

struct Options {
  std::string config_path;
  double run_for = 0;  // seconds; 0 = until SIGINT/SIGTERM
  double warmup = -1;  // seconds; >= 0 adds a measurement window to the stats
  std::string stats_json;
  std::vector<std::string> eal_override;
};

void usage(std::ostream& out) {
  out << "usage: softwire-dp -c FILE [--run-for SECONDS] [--stats-json FILE] [-- EAL args]\n"
         "  -c FILE            configuration (libconfig)\n"
         "  --run-for SECONDS  stop after this long (default: until SIGINT/SIGTERM)\n"
         "  --stats-json FILE  write every counter to FILE at exit\n"
         "  --warmup SECONDS   benchmarks: the stats add port rates measured from\n"
         "                     this point to the stop (with --run-for)\n"
         "  -- EAL args        replace the configuration's dataplane.eal\n";
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(what) + " needs a value");
      return argv[++i];
    };
    if (a == "--") {
      o.eal_override.assign(argv + i + 1, argv + argc);
      break;
    } else if (a == "-c" || a == "--config") {
      o.config_path = value("-c");
    } else if (a == "--run-for") {
      const std::string v = value("--run-for");
      size_t used = 0;
      o.run_for = std::stod(v, &used);
      if (used != v.size() || o.run_for < 0)
        throw std::invalid_argument("--run-for: bad number " + v);
    } else if (a == "--warmup") {
      const std::string v = value("--warmup");
      size_t used = 0;
      o.warmup = std::stod(v, &used);
      if (used != v.size() || o.warmup < 0)
        throw std::invalid_argument("--warmup: bad number " + v);
    } else if (a == "--stats-json") {
      o.stats_json = value("--stats-json");
    } else if (a == "-h" || a == "--help") {
      usage(std::cout);
      return false;
    } else {
      throw std::invalid_argument("unknown argument " + a);
    }
  }
  if (o.config_path.empty()) throw std::invalid_argument("-c FILE is required");
  return true;
}

struct WorkerLaunch {
  dp::WorkerContext* context;
  const std::atomic<bool>* stop;
};

int launch_worker(void* arg) {
  auto* launch = static_cast<WorkerLaunch*>(arg);
  dp::run_worker(*launch->context, *launch->stop);
  return 0;
}

// Random, nonzero: tells the cp that this is another data plane.
uint64_t new_generation() {
  uint64_t g = 0;
  while (g == 0)
    if (getrandom(&g, sizeof g, 0) != static_cast<ssize_t>(sizeof g)) g = 0;
  return g;
}

int run(const Options& opt) {
  const config::Config cfg = config::load_config_file(opt.config_path);

  std::vector<std::string> eal_args = dp::eal_arguments(cfg, "softwire-dp", opt.eal_override);
  std::vector<char*> eal_argv;
  for (auto& a : eal_args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "softwire-dp: EAL init failed: %s\n", rte_strerror(rte_errno));
    return 1;
  }

  const unsigned main_lcore = rte_get_main_lcore();
  for (const unsigned lcore : cfg.dataplane.workers) {
    if (lcore == main_lcore || !rte_lcore_is_enabled(lcore)) {
      std::fprintf(stderr,
                   "softwire-dp: worker lcore %u is %s; give EAL -l/--lcores with the main lcore "
                   "and every worker of dataplane.workers\n",
                   lcore, lcore == main_lcore ? "the main lcore" : "not enabled");
      rte_eal_cleanup();
      return 1;
    }
  }
  const auto workers = static_cast<unsigned>(cfg.dataplane.workers.size());

  rte_mempool* pool =
      rte_pktmbuf_pool_create("softwire_pkts", cfg.dataplane.mempool_mbufs, 256, dp::kMbufPrivSize,
                              dp::kMbufDataRoom, static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    std::fprintf(stderr, "softwire-dp: cannot create the mbuf pool (%u mbufs): %s\n",
                 cfg.dataplane.mempool_mbufs, rte_strerror(rte_errno));
    rte_eal_cleanup();
    return 1;
  }

  // Full port capture with dpdk-dumpcap or dpdk-pdump: they attach as
  // secondary processes, which needs the multi-process channel (hugepages
  // and neither --no-shconf nor --in-memory; docs/metrics.md, "Capture").
  // Without it rte_pdump_init fails with ENOTSUP and port capture is off.
  const bool pdump = rte_pdump_init() == 0;
  if (!pdump && rte_errno != ENOTSUP)
    std::fprintf(stderr, "softwire-dp: port capture (rte_pdump) unavailable: %s\n",
                 rte_strerror(rte_errno));

  int exit_code = 0;
  std::vector<dp::PortHandle> ports;
  {
    std::unique_ptr<dp::DataplaneState> state;
    std::vector<dp::WorkerCounters> counters(workers);
    std::vector<std::unique_ptr<dp::WorkerContext>> contexts;
    std::vector<WorkerLaunch> launches(workers);
    std::atomic<bool> stop{false};
    std::optional<shm::Segment> segment;
    const bool control_mode = cfg.control.has_value();
    try {
      ports = dp::open_ports(cfg, pool, workers);
      state = std::make_unique<dp::DataplaneState>(cfg, ports, workers,
                                                   static_cast<int>(rte_socket_id()));
      if (!control_mode) state->apply(cfg);  // in control mode the cp pushes the tables
      segment.emplace(shm::Segment::create(
          cfg.instance, {workers, state->sa_capacity, state->session_capacity}, new_generation()));
      segment->header().control_mode = control_mode ? 1 : 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "softwire-dp: %s\n", e.what());
      dp::close_ports(ports);
      rte_mempool_free(pool);
      rte_eal_cleanup();
      return 1;
    }
    for (unsigned w = 0; w < workers; ++w) {
      contexts.push_back(std::make_unique<dp::WorkerContext>(
          w, *state, counters[w], static_cast<uint16_t>(cfg.dataplane.burst)));
      // Punts go to the control plane only when one owns the tables; in
      // standalone mode they are counted and freed.
      if (cfg.control) contexts.back()->attach_punt_ring(segment->punt(w), *cfg.control);
    }
    dp::ControlServer server(*state, *segment, pool, control_mode);
    dp::StatsPublisher publisher(*segment, *state, counters, pool);

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::fprintf(
        stderr,
        "softwire-dp: instance %s: %s, %zu ports, %u SAs, %u sessions, %u workers, crypto %s\n",
        cfg.instance.c_str(), control_mode ? "control mode" : "standalone", ports.size(),
        state->sas_in_use(), state->sessions_in_use(), workers,
        std::string(contexts[0]->engine.arch_name()).c_str());

    const auto started = std::chrono::steady_clock::now();
    for (unsigned w = 0; w < workers; ++w) {
      launches[w] = WorkerLaunch{contexts[w].get(), &stop};
      rte_eal_remote_launch(launch_worker, &launches[w], cfg.dataplane.workers[w]);
    }

    // The main lcore: control channel (commands, inject, heartbeat), RCU
    // reclamation, lifetime events, stats publication, stop. It sleeps only
    // when idle, so that bursts of commands run at full speed.
    dp::MeasurementWindow window;
    bool window_open = false;
    auto next_housekeeping = std::chrono::steady_clock::now();
    auto next_stats = next_housekeeping;
    while (!g_signalled) {
      const unsigned work = server.poll();
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_housekeeping) {
        state->rcu.reclaim();
        server.poll_lifetimes();
        next_housekeeping = now + std::chrono::milliseconds(10);
      }
      if (now >= next_stats) {
        publisher.publish(server.totals());
        next_stats = now + std::chrono::milliseconds(100);
      }
      if (work == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
      const std::chrono::duration<double> elapsed = now - started;
      if (opt.warmup >= 0 && !window_open && elapsed.count() >= opt.warmup) {
        window.begin = dp::port_totals(*state, counters);
        window.start_s = elapsed.count();
        window_open = true;
      }
      if (opt.run_for > 0 && elapsed.count() >= opt.run_for) break;
    }
    if (window_open) {  // closed before the workers stop, so it measures full speed
      window.end = dp::port_totals(*state, counters);
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      window.seconds = elapsed.count() - window.start_s;
      window.tsc_hz = rte_get_tsc_hz();
    }
    stop.store(true, std::memory_order_relaxed);
    rte_eal_mp_wait_lcore();
    server.poll_lifetimes();
    publisher.publish(server.totals());
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;

    // Return every mbuf before counting them: rings, then the PMDs' queues.
    contexts.clear();
    dp::close_ports(ports);
    state->rcu.reclaim();
    // Before counting the mempool, so that the count is final.
    state->drain_handoff_rings();
    const std::string stats =
        dp::stats_json(*state, counters, elapsed.count(), pool, window_open ? &window : nullptr);
    if (!opt.stats_json.empty()) {
      std::ofstream out(opt.stats_json);
      out << stats;
      if (!out) {
        std::fprintf(stderr, "softwire-dp: cannot write %s\n", opt.stats_json.c_str());
        exit_code = 1;
      }
    }
    const unsigned in_use = rte_mempool_in_use_count(pool);
    if (in_use != 0) {
      std::fprintf(stderr, "softwire-dp: %u mbufs not returned to the pool at exit\n", in_use);
      exit_code = 1;
    }
    segment->unlink();
  }
  if (pdump) rte_pdump_uninit();
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    if (!parse_options(argc, argv, opt)) return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "softwire-dp: %s\n", e.what());
    usage(std::cerr);
    return 2;
  }
  try {
    return run(opt);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "softwire-dp: %s\n", e.what());
    return 1;
  }
}
