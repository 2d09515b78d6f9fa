// The data plane's side of the control channel (shm/protocol.h), run on the
// main lcore: executes the commands of softwire-cp in order, each with
// exactly one kReply, streams dumps, publishes SA lifetime events, beats the
// heartbeat and takes PPP frames from the inject ring. See docs/architecture.md,
// "The control channel".
//
// Flow control: a command is popped only when the reply ring has room for
// its reply, so neither a command nor a reply is ever lost; a dump streams
// its entries as room allows and holds back the commands behind it.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <vector>

#include "dataplane/dataplane_state.h"
#include "dataplane/stats_publisher.h"
#include "shm/protocol.h"
#include "shm/segment.h"

namespace softwire::dp {

class ControlServer {
 public:
  // `control_mode`: the dp takes its tables from the cp; lifetime events go
  // to the reply ring (in standalone mode they are only logged). `pool`
  // serves injected packets.
  ControlServer(DataplaneState& state, const shm::Segment& segment, rte_mempool* pool,
                bool control_mode);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Commands per poll() at most, and dump entries per poll() at most: bounds
  // the time between heartbeats.
  static constexpr unsigned kMaxCommandsPerPoll = 256;
  static constexpr unsigned kMaxDumpEntriesPerPoll = 1024;

  // One iteration: heartbeat, inject ring, then commands. Returns the records
  // handled (0 = idle, the caller may sleep).
  unsigned poll();
  // Logs each SA's soft/hard expiry and sequence-number exhaustion once and,
  // in control mode, sends a kEventSa* for it (retried while the reply ring
  // is full).
  void poll_lifetimes();

  ControlTotals totals() const { return totals_; }
  bool dump_in_progress() const { return dump_.active; }

 private:
  struct DumpCursor {
    bool active = false;
    uint64_t request_id = 0;
    bool sessions = false;      // false: SAs phase
    uint32_t index = 0;         // next slot to look at
    uint32_t prefix_done = 0;   // prefixes of slot `index` already sent
    bool session_sent = false;  // kDumpSession of slot `index` sent
  };
  struct LifetimeSeen {
    uint32_t generation = 0;  // of the SA slot when `logged`/`sent` were set
    uint8_t logged = 0;       // bits: 1 soft, 2 hard, 4 sequence numbers exhausted
    uint8_t sent = 0;         // same bits: events on the reply ring
  };

  unsigned poll_commands();
  unsigned poll_inject();
  void execute(const shm::Message& command);
  // Streams dump entries while there is room; true once the reply is sent.
  bool continue_dump(unsigned& budget);
  shm::Message* reply_slot() const;
  void send_reply(uint64_t request_id, shm::Status status, const std::string& detail);

  DataplaneState& state_;
  const shm::Segment& segment_;
  rte_mempool* pool_;
  const bool control_mode_;
  const uint64_t generation_;
  shm::RingView commands_, replies_, inject_;
  DumpCursor dump_;
  std::vector<LifetimeSeen> lifetimes_;  // by SA slot
  ControlTotals totals_;
};

}  // namespace softwire::dp
