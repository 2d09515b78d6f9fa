// The control plane's logic between the desired state and the data plane:
// operator operations (add/delete SAs and sessions, make-before-break
// rekey), SIGHUP reloads that apply only the difference, and keeping the
// data plane in sync (dump + reconcile on attach, full replay after a data
// plane restart). Single-threaded: the cp's main loop calls everything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "config/model.h"
#include "control/cp_metrics.h"
#include "control/dataplane_link.h"
#include "control/desired_state.h"

namespace softwire::cp {

struct OpResult {
  int code = 0;  // 0 done (or queued until the data plane is in sync), 1 refused
  std::string message;
};
using Done = std::function<void(const OpResult&)>;

class Controller {
 public:
  struct Options {
    double rekey_grace_seconds = 5.0;
    std::function<uint64_t()> now_ns = shm::monotonic_ns;
    std::ostream* log = nullptr;
  };

  // Installs itself as `link`'s on_attached/on_detached.
  Controller(CpMetrics& metrics, DataplaneLink& link, Options options);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();

  // At start: the static SAs and sessions of a validated configuration.
  void load_static(const config::Config& config);

  // SIGHUP: the new configuration's static part replaces the old one; only
  // the difference is sent. Static sessions whose sa_in/sa_out changed are
  // rekeyed make-before-break. Dynamic objects that now conflict with static
  // ones are dropped (named in the result). Returns the number of commands.
  struct ReloadResult {
    size_t commands = 0;
    size_t rekeys = 0;
    std::vector<std::string> dropped;
  };
  ReloadResult reload(const config::Config& config);

  void add_sa(config::SaConfig sa, Done done);
  // Without a direction: the one that exists; refused when both do.
  void delete_sa(uint32_t spi, std::optional<shm::Direction> direction, Done done);
  void add_session(config::SessionConfig session, Done done);
  void delete_session(const std::string& identity, Done done);
  // Make-before-break: the session accepts the new and the old inbound SA,
  // sends with the new outbound SA at once; after the grace time it drops
  // the old inbound SA, then the old SAs are deleted unless something still
  // references them.
  void rekey(const std::string& identity, uint32_t sa_in, uint32_t sa_out,
             std::optional<double> grace_seconds, Done done);

  // Timers (rekey grace ends). Call from the main loop.
  void tick();
  // Stats snapshots (about every second): remembers each SA's sequence
  // number so that a replay into a restarted data plane resumes above it
  // (SaRecord::initial_seq) and neither side's anti-replay is defeated.
  void observe_stats(const shm::StatsSnapshot& snapshot);

  // Connected, reconciled, and nothing pending or unanswered.
  bool synced() const;
  bool sync_done() const { return sync_done_; }
  size_t rekeys_in_progress() const { return rekeys_.size(); }
  const DesiredState& state() const { return *state_; }
  double default_grace_seconds() const { return options_.rekey_grace_seconds; }

 private:
  struct CommandInfo {
    shm::MessageType type;
    std::string identity;  // session commands
  };
  struct Batch;
  struct RekeyTimer {
    std::string identity;
    uint32_t old_in;
    uint32_t old_out;
    uint64_t due_ns;
  };

  void on_attached(uint64_t generation, bool generation_changed);
  void on_detached();
  // from_dump: actual is a running data plane's dump (adopt its dynamic
  // objects); otherwise a replay into an empty one (resume sequence numbers).
  void apply_sync(TableImage actual, bool from_dump);
  size_t adopt(const TableImage& actual);
  void resume_sequence_numbers(TableImage& desired) const;
  // Sends the commands (when in sync; otherwise the next reconcile covers
  // them) and calls `done` once every reply is in, with the first failure.
  void dispatch(std::vector<Command> commands, Done done);
  CommandInfo info_of(const Command& command) const;
  void track(const CommandInfo& info, const Reply& reply);
  void finish_rekey(const RekeyTimer& timer);
  void schedule_rekey(const std::string& identity, uint32_t old_in, uint32_t old_out,
                      double grace_seconds);
  void log_line(const std::string& text) const;
  bool sendable() const { return link_.connected() && sync_done_; }

  CpMetrics& metrics_;
  DataplaneLink& link_;
  Options options_;
  std::unique_ptr<DesiredState> state_;
  bool sync_done_ = false;
  uint64_t sync_epoch_ = 0;  // bumps at every attach/detach: late dump replies are ignored
  std::map<uint64_t, RekeyTimer> rekeys_;  // by id
  struct SeqSeen {
    uint64_t seq = 0;
    uint64_t at_ns = 0;         // our clock when this snapshot was first seen
    uint64_t dp_uptime_ns = 0;  // the data plane's clock when it published seq
    // The highest rate seen between two snapshots: the margin of a replay
    // must cover a burst, not the average.
    double peak_per_second = 0;
  };
  uint64_t last_snapshot_ = 0;  // StatsHeader::snapshots of the last snapshot observed
  uint64_t last_snapshot_generation_ = 0;
  std::map<SaId, SeqSeen> seq_seen_;
  uint64_t next_rekey_id_ = 1;
};

}  // namespace softwire::cp
