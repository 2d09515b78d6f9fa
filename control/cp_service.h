// softwire-cp as a whole, minus the process plumbing (cp_main.cpp): the data
// plane link and controller, the punt loop (PuntHandler, SecurityLog, drop
// capture), statistics reading, and the operator requests that arrive over
// the socket. Single-threaded: the main loop calls handle() and poll().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/model.h"
#include "control/controller.h"
#include "control/cp_metrics.h"
#include "control/dataplane_link.h"
#include "control/json.h"
#include "control/punt_handler.h"
#include "control/security_log.h"
#include "shm/segment.h"

namespace softwire::cp {

class CpService {
 public:
  struct Options {
    bool observe_only = false;
    std::ostream* log = nullptr;           // one line per event
    std::ostream* security_log = nullptr;  // JSON lines
    std::function<uint64_t()> now_ns = shm::monotonic_ns;
    uint64_t stats_period_ns = 1'000'000'000;  // full snapshots (security log, show)
    uint64_t seq_period_ns = 100'000'000;      // SA sequence numbers
    DataplaneLink::Options link;               // instance, timings
  };

  CpService(const config::Config& config, CpMetrics& metrics, Options options);
  ~CpService();

  // One operator request line ({"id":N,"args":[...],"json":bool}); the
  // response line goes to `respond`, now or later. `line` is wiped by the caller.
  void handle(const std::string& line, std::function<void(const std::string&)> respond);

  // The periodic work. Returns true when something moved (the caller then
  // polls again soon instead of sleeping).
  bool poll();

  // SIGHUP: re-read the configuration file; on error keep the old state.
  void reload(const std::string& path);

  // Work is waiting for the data plane (commands in flight, a capture).
  bool busy() const;
  Controller* controller() { return controller_.get(); }
  DataplaneLink& link() { return *link_; }

 private:
  struct Request {
    uint64_t id = 0;
    bool json = false;
    std::vector<std::string> args;
    std::function<void(const std::string&)> respond;
  };
  struct Waiter {
    Request request;
    uint64_t deadline_ns;
  };
  struct Capture {
    Request request;
    uint32_t wanted = 0;
    uint64_t deadline_ns = 0;
    std::vector<shm::PacketRecord> packets;
    bool armed = false;
  };

  void on_attached();
  bool drain_punts();
  void read_stats_if_due(uint64_t now);
  void finish_capture(const std::string& why);
  void respond(const Request& r, int code, const std::string& text, const std::string& result = "");
  void respond_error(const Request& r, int code, const std::string& error);
  void dispatch(Request request);
  void show(const Request& r);
  std::string status_json() const;
  void show_sessions(const Request& r);
  void show_sas(const Request& r);
  void show_counters(const Request& r, bool drops_only, bool all);
  void start_capture(Request r);
  std::string identity_of_session(shm::SessionKey key) const;
  std::string identity_of_spi(uint32_t spi) const;

  const config::Config& config_;
  CpMetrics& metrics_;
  Options options_;
  std::unique_ptr<DataplaneLink> link_;
  std::unique_ptr<Controller> controller_;  // null in observe-only mode
  PuntHandler punt_handler_;
  std::unique_ptr<SecurityLog> security_log_;
  std::optional<shm::StatsSnapshot> previous_stats_, latest_stats_;
  shm::StatsSnapshot sa_scratch_;  // SA sequence numbers, read every seq_period_ns
  uint64_t next_stats_ns_ = 0;
  uint64_t next_seq_ns_ = 0;
  std::vector<std::string> drop_reason_names_, punt_kind_names_;
  std::vector<Waiter> waiters_;
  std::optional<Capture> capture_;
};

}  // namespace softwire::cp
