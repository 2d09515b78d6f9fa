#include "dataplane/control_server.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "dataplane/inject.h"
#include "shm/records.h"

namespace softwire::dp {

namespace {

constexpr uint8_t kSoft = 1, kHard = 2, kSeqExhausted = 4;

}  // namespace

ControlServer::ControlServer(DataplaneState& state, const shm::Segment& segment, rte_mempool* pool,
                             bool control_mode)
    : state_(state),
      segment_(segment),
      pool_(pool),
      control_mode_(control_mode),
      generation_(segment.header().generation),
      commands_(segment.commands()),
      replies_(segment.replies()),
      inject_(segment.inject()),
      lifetimes_(state.sa_capacity) {}

unsigned ControlServer::poll() {
  segment_.header().dp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
  return poll_inject() + poll_commands();
}

unsigned ControlServer::poll_inject() {
  unsigned handled = 0;
  while (handled < kMaxCommandsPerPoll) {
    const uint8_t* slot = inject_.peek();
    if (slot == nullptr) break;
    // A private copy: the cp may rewrite the slot while it is validated.
    shm::PacketRecord record;
    std::memcpy(&record, slot, sizeof record);
    inject_.pop();
    ++handled;
    if (!inject_ppp(state_, pool_, record)) ++totals_.inject_dropped;
  }
  return handled;
}

shm::Message* ControlServer::reply_slot() const {
  return reinterpret_cast<shm::Message*>(replies_.reserve());
}

void ControlServer::send_reply(uint64_t request_id, shm::Status status, const std::string& detail) {
  shm::Message* reply = reply_slot();  // the caller made sure there is room
  std::memset(reply, 0, sizeof *reply);
  reply->type = shm::MessageType::kReply;
  reply->status = status;
  reply->request_id = request_id;
  reply->generation = generation_;
  shm::copy_string(reply->body.text, sizeof reply->body.text, detail);
  replies_.publish();
  ++totals_.commands_done;
}

unsigned ControlServer::poll_commands() {
  unsigned handled = 0;
  unsigned dump_budget = kMaxDumpEntriesPerPoll;
  while (handled < kMaxCommandsPerPoll) {
    if (dump_.active) {
      if (!continue_dump(dump_budget)) break;  // reply ring full or budget spent
      ++handled;
      continue;
    }
    if (replies_.reserve() == nullptr) break;  // no room for the reply: leave it queued
    uint8_t* slot = commands_.peek();
    if (slot == nullptr) break;
    shm::Message command;
    std::memcpy(&command, slot, sizeof command);
    if (command.type == shm::MessageType::kSaAdd) {
      // The key must not linger in shared memory.
      auto* in_ring = reinterpret_cast<shm::Message*>(slot);
      explicit_bzero(in_ring->body.sa.key, sizeof in_ring->body.sa.key);
      explicit_bzero(in_ring->body.sa.salt, sizeof in_ring->body.sa.salt);
    }
    commands_.pop();
    execute(command);
    explicit_bzero(&command, sizeof command);
    ++handled;
  }
  return handled;
}

void ControlServer::execute(const shm::Message& c) {
  using shm::MessageType;
  using shm::Status;
  if (c.generation != generation_) {
    send_reply(c.request_id, Status::kStaleGeneration,
               "generation: the data plane restarted; resynchronise");
    return;
  }
  OpResult r;
  switch (c.type) {
    case MessageType::kSaAdd:
      r = state_.add_sa(c.body.sa);
      break;
    case MessageType::kSaDelete:
      r = state_.delete_sa(c.body.sa_key);
      break;
    case MessageType::kSessionAdd:
      r = state_.add_session(c.body.session);
      break;
    case MessageType::kSessionModify:
      r = state_.modify_session(c.body.session);
      break;
    case MessageType::kSessionDelete:
      r = state_.delete_session(c.body.session_key);
      break;
    case MessageType::kBindPrefixes:
      r = state_.bind_prefixes(c.body.prefixes);
      break;
    case MessageType::kDump:
      dump_ = DumpCursor{.active = true, .request_id = c.request_id};
      return;  // entries and the reply follow from continue_dump()
    case MessageType::kCapture: {
      const shm::CaptureRequest& q = c.body.capture;
      const uint32_t session = q.one_session == 1
                                   ? state_.find_session(q.session.tunnel_id, q.session.session_id)
                                   : shm::kNone;
      if (q.reason != 0xff && q.reason >= kDropReasonCount) {
        r = OpResult{Status::kInvalid, "reason: unknown drop reason " + std::to_string(q.reason)};
      } else if (q.one_session > 1) {
        r = OpResult{Status::kInvalid, "one_session: must be 0 or 1"};
      } else if (q.one_session == 1 && session == shm::kNone && q.count != 0) {
        r = OpResult{Status::kNotFound, "session: no session (" +
                                            std::to_string(q.session.tunnel_id) + ", " +
                                            std::to_string(q.session.session_id) + ")"};
      } else {
        state_.drop_capture.arm(q.reason, session, q.count);
      }
      break;
    }
    default:
      r = OpResult{Status::kUnsupported,
                   "type: unknown message type " + std::to_string(static_cast<unsigned>(c.type))};
      break;
  }
  send_reply(c.request_id, r.status, r.detail);
}

bool ControlServer::continue_dump(unsigned& budget) {
  while (true) {
    if (budget == 0) return false;
    shm::Message* out = reply_slot();
    if (out == nullptr) return false;
    if (!dump_.sessions) {
      while (dump_.index < state_.sa_capacity && !state_.sa_live(dump_.index)) ++dump_.index;
      if (dump_.index == state_.sa_capacity) {
        dump_.sessions = true;
        dump_.index = 0;
        continue;
      }
      std::memset(out, 0, sizeof *out);
      out->type = shm::MessageType::kDumpSa;
      out->request_id = dump_.request_id;
      out->generation = generation_;
      shm::SaRecord sa = state_.sa_record(dump_.index);  // with its key: the contract
      out->body.sa = sa;
      explicit_bzero(&sa, sizeof sa);
      replies_.publish();
      --budget;
      ++dump_.index;
      continue;
    }
    while (dump_.index < state_.session_capacity && !state_.session_live(dump_.index)) {
      ++dump_.index;
      dump_.session_sent = false;
      dump_.prefix_done = 0;
    }
    if (dump_.index == state_.session_capacity) {
      dump_.active = false;
      send_reply(dump_.request_id, shm::Status::kOk, "");
      return true;
    }
    const std::vector<config::IpPrefix>& prefixes = state_.session_prefixes[dump_.index];
    std::memset(out, 0, sizeof *out);
    out->request_id = dump_.request_id;
    out->generation = generation_;
    const size_t first = dump_.prefix_done;
    const size_t count = std::min<size_t>(shm::kPrefixesPerRecord, prefixes.size() - first);
    shm::Prefix* slots;
    if (!dump_.session_sent) {
      out->type = shm::MessageType::kDumpSession;
      out->body.session = state_.session_record(dump_.index);
      out->body.session.prefix_count = static_cast<uint8_t>(count);
      slots = out->body.session.prefixes;
      dump_.session_sent = true;
    } else {
      out->type = shm::MessageType::kDumpPrefixes;
      const SessionState& s = state_.sessions[dump_.index];
      out->body.prefixes.session = shm::SessionKey{s.tunnel_id, s.session_id};
      out->body.prefixes.count = static_cast<uint8_t>(count);
      slots = out->body.prefixes.prefixes;
    }
    for (size_t i = 0; i < count; ++i) slots[i] = shm::to_shm(prefixes[first + i]);
    replies_.publish();
    --budget;
    dump_.prefix_done += static_cast<uint32_t>(count);
    if (dump_.prefix_done >= prefixes.size()) {
      ++dump_.index;
      dump_.session_sent = false;
      dump_.prefix_done = 0;
    }
  }
}

void ControlServer::poll_lifetimes() {
  for (uint32_t i = 0; i < state_.sa_capacity; ++i) {
    if (!state_.sa_live(i)) continue;
    const SaState& sa = state_.sas[i];
    LifetimeSeen& seen = lifetimes_[i];
    const uint32_t generation = sa.generation.load(std::memory_order_relaxed);
    if (seen.generation != generation) seen = LifetimeSeen{.generation = generation};
    const uint8_t now = static_cast<uint8_t>((sa.soft_expired.get() ? kSoft : 0) |
                                             (sa.hard_expired.get() ? kHard : 0) |
                                             (sa.seq_exhausted.get() ? kSeqExhausted : 0));
    const char* direction = sa.inbound ? "in" : "out";
    if (now & ~seen.logged) {
      if (now & ~seen.logged & kSoft)
        std::fprintf(stderr, "softwire-dp: SA spi=0x%x (%s) reached its soft lifetime\n", sa.spi,
                     direction);
      if (now & ~seen.logged & kHard)
        std::fprintf(stderr, "softwire-dp: SA spi=0x%x (%s) reached its hard lifetime\n", sa.spi,
                     direction);
      if (now & ~seen.logged & kSeqExhausted)
        std::fprintf(stderr, "softwire-dp: SA spi=0x%x (%s) ran out of sequence numbers\n", sa.spi,
                     direction);
      seen.logged = now;
    }
    if (!control_mode_) continue;
    static constexpr struct {
      uint8_t bit;
      shm::MessageType type;
    } kEvents[] = {{kSoft, shm::MessageType::kEventSaSoftExpired},
                   {kHard, shm::MessageType::kEventSaHardExpired},
                   {kSeqExhausted, shm::MessageType::kEventSeqExhausted}};
    for (const auto& e : kEvents) {
      if (!(now & e.bit) || (seen.sent & e.bit)) continue;
      shm::Message* out = reply_slot();
      if (out == nullptr) return;  // retried at the next poll
      std::memset(out, 0, sizeof *out);
      out->type = e.type;
      out->generation = generation_;
      out->body.sa_key.spi = sa.spi;
      out->body.sa_key.direction = sa.inbound ? shm::Direction::kIn : shm::Direction::kOut;
      replies_.publish();
      seen.sent |= e.bit;
    }
  }
}

}  // namespace softwire::dp
