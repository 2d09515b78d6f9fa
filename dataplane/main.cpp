// softwire-dp: the data plane. Standalone mode: SAs and sessions come from the
// configuration file.
//
//   softwire-dp -c FILE [--run-for SECONDS] [--stats-json FILE] [-- EAL args]

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/ports.h"
#include "dataplane/stats_json.h"
#include "dataplane/worker.h"
#include "dataplane/worker_context.h"

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

// Logs SA lifetime transitions once each (main lcore housekeeping).
class LifetimeWatch {
 public:
  explicit LifetimeWatch(const dp::DataplaneState& state)
      : state_(state), seen_(state.sa_capacity, 0) {}
  void poll() {
    for (const uint32_t i : state_.sa_indices_in_config_order) {
      const dp::SaState& sa = state_.sas[i];
      const uint8_t now = (sa.soft_expired.get() ? 1 : 0) | (sa.hard_expired.get() ? 2 : 0);
      if (now == seen_[i]) continue;
      if ((now & 1) && !(seen_[i] & 1))
        std::fprintf(stderr, "softwire-dp: SA spi=0x%x (%s) reached its soft lifetime\n", sa.spi,
                     sa.inbound ? "in" : "out");
      if ((now & 2) && !(seen_[i] & 2))
        std::fprintf(stderr, "softwire-dp: SA spi=0x%x (%s) reached its hard lifetime\n", sa.spi,
                     sa.inbound ? "in" : "out");
      seen_[i] = now;
    }
  }

 private:
  const dp::DataplaneState& state_;
  std::vector<uint8_t> seen_;
};

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

  int exit_code = 0;
  std::vector<dp::PortHandle> ports;
  {
    std::unique_ptr<dp::DataplaneState> state;
    std::vector<dp::WorkerCounters> counters(workers);
    std::vector<std::unique_ptr<dp::WorkerContext>> contexts;
    std::vector<WorkerLaunch> launches(workers);
    std::atomic<bool> stop{false};
    try {
      ports = dp::open_ports(cfg, pool, workers);
      state = std::make_unique<dp::DataplaneState>(cfg, ports, workers,
                                                   static_cast<int>(rte_socket_id()));
      state->apply(cfg);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "softwire-dp: %s\n", e.what());
      dp::close_ports(ports);
      rte_mempool_free(pool);
      rte_eal_cleanup();
      return 1;
    }
    for (unsigned w = 0; w < workers; ++w)
      contexts.push_back(std::make_unique<dp::WorkerContext>(
          w, *state, counters[w], static_cast<uint16_t>(cfg.dataplane.burst)));

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::fprintf(
        stderr,
        "softwire-dp: instance %s: %zu ports, %zu SAs, %zu sessions, %u workers, crypto %s\n",
        cfg.instance.c_str(), ports.size(), cfg.sas.size(), cfg.sessions.size(), workers,
        std::string(contexts[0]->engine.arch_name()).c_str());

    const auto started = std::chrono::steady_clock::now();
    for (unsigned w = 0; w < workers; ++w) {
      launches[w] = WorkerLaunch{contexts[w].get(), &stop};
      rte_eal_remote_launch(launch_worker, &launches[w], cfg.dataplane.workers[w]);
    }

    // Housekeeping on the main lcore: RCU reclamation, lifetime events, stop.
    LifetimeWatch lifetimes(*state);
    dp::MeasurementWindow window;
    bool window_open = false;
    while (!g_signalled) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      state->rcu.reclaim();
      lifetimes.poll();
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
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
    lifetimes.poll();
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
  }
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
