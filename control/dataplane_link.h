// softwire-cp's side of the control channel: attaches to the data plane's
// segment (retrying while it is absent or not ready), sends commands with
// request ids, keeps commands that do not fit in the command ring in a
// pending queue (a full ring never loses one), matches replies to requests,
// writes the cp heartbeat and notices when the data plane dies, stops or is
// replaced by a new one (then it detaches and attaches again). A data plane
// whose heartbeat is stale but whose process lives is only unresponsive: the
// link stays attached (its tables are intact) and says so.
//
// Single-threaded: every method is called from the cp's main loop.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <unordered_map>

#include "control/cp_metrics.h"
#include "control/reconciler.h"
#include "shm/segment.h"

namespace softwire::cp {

struct Reply {
  shm::Status status = shm::Status::kOk;
  std::string text;        // the data plane's detail when status != kOk
  bool abandoned = false;  // the data plane went away before replying
  bool ok() const { return !abandoned && status == shm::Status::kOk; }
};

const char* status_name(shm::Status status);

class DataplaneLink {
 public:
  using ReplyCallback = std::function<void(const Reply&)>;
  using EntryCallback = std::function<void(const shm::Message&)>;

  struct Options {
    std::string instance = "softwire";
    std::function<uint64_t()> now_ns = shm::monotonic_ns;  // CLOCK_MONOTONIC-like
    uint64_t attach_retry_ns = 100'000'000;
    uint64_t liveness_period_ns = 100'000'000;  // how often Segment::replaced() is checked
    uint64_t heartbeat_timeout_ns = 1'000'000'000;
    bool observe_only = false;  // attach and read; never write to the segment
    std::ostream* log = nullptr;
  };

  DataplaneLink(CpMetrics& metrics, Options options);
  ~DataplaneLink();

  // Called after every successful attach, with whether the generation
  // differs from the one of the previous attach (a restarted data plane).
  std::function<void(uint64_t generation, bool generation_changed)> on_attached;
  std::function<void(const std::string& reason)> on_detached;
  // Events (SA lifetimes, sequence exhaustion) from the reply ring.
  std::function<void(const shm::Message&)> on_event;

  // Queues a command; it goes to the ring as soon as there is room, in
  // order. `on_reply` gets the data plane's status; `on_entry` gets the
  // entries a dump streams before its reply. Without a connection the
  // command is dropped and `on_reply` is told so (abandoned).
  void send(Command command, ReplyCallback on_reply = {}, EntryCallback on_entry = {});

  // The periodic work: attach, liveness checks, heartbeat, pushing pending
  // commands, draining replies. Returns true when it moved anything.
  bool poll();

  bool connected() const { return segment_ != nullptr; }
  // Attached, but the heartbeat is older than heartbeat_timeout_ns.
  bool unresponsive() const { return unresponsive_; }
  uint64_t generation() const { return generation_; }
  size_t pending() const { return pending_.size(); }
  size_t in_flight() const { return in_flight_.size(); }
  uint64_t stale_replies() const { return stale_replies_; }
  const shm::Segment* segment() const { return segment_.get(); }
  const std::string& last_attach_error() const { return last_attach_error_; }

  void detach(const std::string& reason);

 private:
  struct InFlight {
    ReplyCallback on_reply;
    EntryCallback on_entry;
    uint64_t sent_ns = 0;
  };
  struct Pending {
    Command command;
    ReplyCallback on_reply;
    EntryCallback on_entry;
  };

  void try_attach(uint64_t now);
  bool alive(uint64_t now);
  bool flush();
  bool drain();

  CpMetrics& metrics_;
  Options options_;
  std::unique_ptr<shm::Segment> segment_;
  uint64_t generation_ = 0;
  uint64_t last_generation_ = 0;
  uint64_t next_request_id_;
  uint64_t next_attach_ns_ = 0;
  uint64_t next_liveness_ns_ = 0;
  std::deque<Pending> pending_;
  std::unordered_map<uint64_t, InFlight> in_flight_;
  uint64_t stale_replies_ = 0;
  std::string last_attach_error_;
  bool unresponsive_ = false;
};

// The process exists and is not a zombie.
bool process_alive(uint64_t pid);

}  // namespace softwire::cp
