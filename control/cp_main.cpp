// softwire-cp: the control plane process. Reads the same configuration file
// as softwire-dp; with a `control` section it owns every SA and session and
// pushes them to the data plane over shared memory, answers punted control
// traffic, serves the operator socket (softwire-ctl) and Prometheus metrics.
// With --observe-only it only reads (statistics, metrics, show counters).
//
// Runs in the foreground (use a service manager to supervise it); logs one
// line per event to standard error; never logs key material.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "config/loader.h"
#include "control/cp_service.h"
#include "control/metrics_exporter.h"
#include "control/operator_server.h"

namespace {

int usage(std::ostream& out, int code) {
  out << "usage: softwire-cp -c FILE [--observe-only] [--metrics-listen HOST:PORT] [--foreground]\n"
         "  -c FILE          the configuration file (the data plane's)\n"
         "  --observe-only   only attach, read statistics and serve metrics and\n"
         "                   `softwire-ctl show counters|drops`; never change the data plane\n"
         "  --metrics-listen HOST:PORT\n"
         "                   serve /metrics there (default: control.metrics_listen); with\n"
         "                   --observe-only this gives a standalone data plane its metrics\n"
         "  --foreground     accepted for compatibility: softwire-cp never daemonizes\n"
         "Signals: SIGHUP re-reads FILE and applies only the difference; SIGTERM/SIGINT stop\n"
         "softwire-cp (the data plane keeps forwarding).\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace softwire;
  std::string path;
  bool observe_only = false;
  std::string metrics_listen;  // overrides control.metrics_listen
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      path = argv[++i];
    } else if (a == "--observe-only") {
      observe_only = true;
    } else if (a == "--metrics-listen" && i + 1 < argc) {
      metrics_listen = argv[++i];
    } else if (a == "--foreground" || a == "-f") {
    } else if (a == "-h" || a == "--help") {
      return usage(std::cout, 0);
    } else {
      std::cerr << "softwire-cp: unknown argument \"" << a << "\"\n";
      return usage(std::cerr, 2);
    }
  }
  if (path.empty()) return usage(std::cerr, 2);

  std::optional<config::Config> loaded;
  try {
    loaded = config::load_config_file(path);
  } catch (const std::exception& e) {
    std::cerr << "softwire-cp: " << e.what() << "\n";
    return 2;
  }
  const config::Config& config = *loaded;
  if (!config.control && !observe_only) {
    std::cerr << "softwire-cp: " << path
              << " has no control section: softwire-dp runs standalone and owns its tables. "
                 "Add `control = { socket = \"...\"; };` to let softwire-cp manage them, or run "
                 "softwire-cp --observe-only to serve metrics and counters only.\n";
    return 2;
  }

  // Signals arrive through a descriptor polled with the socket.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "softwire-cp: signalfd: " << std::strerror(errno) << "\n";
    return 1;
  }

  std::unique_ptr<std::ofstream> security_file;
  if (config.control && !config.control->security_log.empty()) {
    // Identities and peer addresses: not for everyone's eyes (0640).
    const mode_t old_mask = umask(0027);
    security_file = std::make_unique<std::ofstream>(config.control->security_log, std::ios::app);
    umask(old_mask);
    if (!*security_file) {
      std::cerr << "softwire-cp: cannot open the security log " << config.control->security_log
                << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }

  cp::CpMetrics metrics;
  cp::CpService::Options options;
  options.observe_only = observe_only;
  options.log = &std::cerr;
  options.security_log = security_file ? security_file.get() : &std::cerr;
  options.link.instance = config.instance;
  std::unique_ptr<cp::CpService> service;
  std::unique_ptr<cp::OperatorServer> server;
  try {
    service = std::make_unique<cp::CpService>(config, metrics, options);
    if (config.control && !config.control->socket.empty()) {
      server = std::make_unique<cp::OperatorServer>(
          config.control->socket, [&](std::string& line, cp::OperatorServer::Respond respond) {
            service->handle(line, std::move(respond));
          });
    }
  } catch (const std::exception& e) {
    std::cerr << "softwire-cp: " << e.what() << "\n";
    return 1;
  }
  // Prometheus on control.metrics_listen. The exporter's threads read the
  // segment through their own attachment (SegmentObserver), never the main
  // loop's, and CpMetrics through relaxed atomics.
  metrics::SegmentObserver observer(config.instance);
  std::unique_ptr<metrics::MetricsExporter> exporter;
  if (metrics_listen.empty() && config.control) metrics_listen = config.control->metrics_listen;
  if (!metrics_listen.empty()) {
    metrics::ExporterOptions eo;
    eo.listen = metrics_listen;
    if (config.control) {
      eo.collector.entities.all = config.control->session_metrics;
      eo.collector.entities.top = config.control->session_metrics_top;
      eo.collector.entities.sa_limit = config.control->sa_metrics_limit;
    }
    try {
      exporter = std::make_unique<metrics::MetricsExporter>(eo, observer.sampler(),
                                                            observe_only ? nullptr : &metrics);
    } catch (const std::exception& e) {
      std::cerr << "softwire-cp: metrics on " << eo.listen << ": " << e.what() << "\n";
      return 1;
    }
  }

  std::cerr << "softwire-cp: instance \"" << config.instance << "\""
            << (observe_only ? " (observe only)" : "") << ", " << config.sas.size()
            << " static SAs, " << config.sessions.size() << " static sessions"
            << (server ? ", operator socket " + server->path() : std::string())
            << (exporter ? ", metrics on port " + std::to_string(exporter->port()) : std::string())
            << std::endl;

  bool running = true;
  bool moved = true;
  while (running) {
    // Replies from the data plane wake nobody: while commands are out, look
    // every 100 us (and let the data plane's main lcore have the CPU
    // meanwhile, on small machines they share one); idle, every 10 ms.
    // Operator requests and signals wake the loop at once.
    const uint64_t timeout_us = service->busy() ? (moved ? 20 : 100) : 10'000;
    bool signalled = false;
    if (server) {
      signalled = server->poll(timeout_us, signal_fd);
    } else {
      pollfd fd{signal_fd, POLLIN, 0};
      const timespec timeout{0, static_cast<long>(timeout_us) * 1000};
      signalled = ppoll(&fd, 1, &timeout, nullptr) > 0;
    }
    if (signalled) {
      signalfd_siginfo info;
      while (read(signal_fd, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
          std::cerr << "softwire-cp: SIGHUP: reloading " << path << std::endl;
          service->reload(path);
        } else {
          std::cerr << "softwire-cp: stopping (signal " << info.ssi_signo
                    << "); the data plane keeps its tables" << std::endl;
          running = false;
        }
      }
    }
    moved = service->poll();
    if (server) server->flush();
  }
  server.reset();  // removes the socket
  exporter.reset();
  service.reset();
  close(signal_fd);
  return 0;
}
