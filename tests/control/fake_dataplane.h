// A stand-in for softwire-dp's control server in tests: creates the segment
// (unique instance name), beats its heartbeat and executes commands against
// a model of the tables in its own thread, like the real main lcore does.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "control/reconciler.h"
#include "shm/segment.h"

namespace softwire::cp::testing {

class FakeDataplane {
 public:
  struct Session {
    shm::SessionRecord record{};
    std::set<config::IpPrefix, PrefixLess> prefixes;
  };

  explicit FakeDataplane(std::string instance);
  ~FakeDataplane();

  // A new segment with a new generation and empty tables.
  void start();
  // clean: like a dp that exits (dp_stopping, segment removed). Otherwise
  // like kill -9: the segment stays, its heartbeat goes stale.
  void stop(bool clean);
  void restart() {
    stop(true);
    start();
  }
  // While paused, commands stay in the ring (the heartbeat goes on).
  void set_paused(bool paused) { paused_.store(paused); }

  uint64_t generation() const { return generation_; }
  const shm::Segment& segment() const { return *segment_; }
  const std::string& instance() const { return instance_; }

  std::map<SaId, shm::SaRecord> sas() const;     // with keys, origin and initial_seq
  std::map<uint32_t, Session> sessions() const;  // by key_of(SessionKey)
  // Every executed command's type, in order.
  std::vector<shm::MessageType> executed() const;
  void clear_executed();
  // Tables as if a previous control plane had filled them.
  void preload(const config::SaConfig& sa, shm::Origin origin = shm::Origin::kStatic);
  void preload(const config::SessionConfig& session, shm::Origin origin = shm::Origin::kStatic,
               uint32_t sa_in_old = shm::kNone);

 private:
  void run();
  void execute(const shm::Message& command);
  void reply(const shm::Message& to, shm::Status status, const std::string& text = "");
  void push(const shm::Message& message);
  shm::Status apply(const shm::Message& m, std::string& text);

  std::string instance_;
  std::unique_ptr<shm::Segment> segment_;
  uint64_t generation_ = 0;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> paused_{false};
  mutable std::mutex mutex_;  // the model below
  std::map<SaId, shm::SaRecord> sas_;
  std::map<uint32_t, Session> sessions_;
  std::vector<shm::MessageType> executed_;
};

// A unique instance name for this process and test.
std::string unique_instance(const std::string& tag);

}  // namespace softwire::cp::testing
