#include "control/dataplane_link.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>

#include "shm/records.h"

namespace softwire::cp {

namespace {

constexpr size_t kMaxRepliesPerPoll = 8192;

uint64_t random_request_base() {
  std::random_device device;
  return (uint64_t{device()} << 32 | device()) & ~uint64_t{0xffffffff};  // low bits count up
}

}  // namespace

bool process_alive(uint64_t pid) {
  if (pid == 0 || pid > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) return false;
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  // A zombie (killed, not yet reaped by its parent) is dead too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'Z';
}

const char* status_name(shm::Status status) {
  switch (status) {
    case shm::Status::kOk:
      return "ok";
    case shm::Status::kExists:
      return "exists";
    case shm::Status::kNotFound:
      return "not found";
    case shm::Status::kTableFull:
      return "table full";
    case shm::Status::kInvalid:
      return "invalid";
    case shm::Status::kInUse:
      return "in use";
    case shm::Status::kStaleGeneration:
      return "stale generation";
    case shm::Status::kUnsupported:
      return "unsupported";
  }
  return "unknown status";
}

DataplaneLink::DataplaneLink(CpMetrics& metrics, Options options)
    : metrics_(metrics), options_(std::move(options)), next_request_id_(random_request_base()) {}

DataplaneLink::~DataplaneLink() {
  // No callbacks from a destructor: the owner may be half gone.
  on_detached = nullptr;
  in_flight_.clear();
  pending_.clear();
  metrics_.commands_queued.store(0, std::memory_order_relaxed);
  metrics_.dp_connected.store(0, std::memory_order_relaxed);
}

void DataplaneLink::send(Command command, ReplyCallback on_reply, EntryCallback on_entry) {
  if (segment_ == nullptr || options_.observe_only) {
    if (on_reply) {
      Reply r;
      r.abandoned = true;
      r.text = options_.observe_only ? "observe-only" : "data plane not connected";
      on_reply(r);
    }
    return;
  }
  pending_.push_back(Pending{std::move(command), std::move(on_reply), std::move(on_entry)});
  flush();
  metrics_.commands_queued.store(pending_.size(), std::memory_order_relaxed);
}

bool DataplaneLink::flush() {
  if (segment_ == nullptr) return false;
  const shm::RingView ring = segment_->commands();
  bool moved = false;
  while (!pending_.empty()) {
    uint8_t* slot = ring.reserve();
    if (slot == nullptr) break;
    Pending& p = pending_.front();
    const uint64_t id = next_request_id_++;
    p.command.message.request_id = id;
    p.command.message.generation = generation_;
    std::memcpy(slot, &p.command.message, sizeof(shm::Message));
    ring.publish();
    in_flight_.emplace(id,
                       InFlight{std::move(p.on_reply), std::move(p.on_entry), options_.now_ns()});
    pending_.pop_front();  // wipes key material (Command's destructor)
    metrics_.commands_sent.fetch_add(1, std::memory_order_relaxed);
    moved = true;
  }
  return moved;
}

bool DataplaneLink::drain() {
  const shm::RingView ring = segment_->replies();
  size_t n = 0;
  for (; n < kMaxRepliesPerPoll; ++n) {
    const uint8_t* slot = ring.peek();
    if (slot == nullptr) break;
    shm::Message m;
    std::memcpy(&m, slot, sizeof m);
    ring.pop();
    if (m.generation != generation_) {
      ++stale_replies_;
      continue;
    }
    if (m.type == shm::MessageType::kReply) {
      auto it = in_flight_.find(m.request_id);
      if (it == in_flight_.end()) {
        ++stale_replies_;
        continue;
      }
      InFlight done = std::move(it->second);
      in_flight_.erase(it);
      const uint64_t now = options_.now_ns();
      metrics_.observe_latency(now > done.sent_ns ? now - done.sent_ns : 0);
      Reply r;
      r.status = m.status;
      if (m.status != shm::Status::kOk) {
        metrics_.commands_failed.fetch_add(1, std::memory_order_relaxed);
        shm::read_string(m.body.text, sizeof m.body.text, r.text);
      }
      if (done.on_reply) done.on_reply(r);
      if (segment_ == nullptr) return true;  // the callback detached
    } else if (m.type == shm::MessageType::kDumpSa || m.type == shm::MessageType::kDumpSession ||
               m.type == shm::MessageType::kDumpPrefixes) {
      auto it = in_flight_.find(m.request_id);
      if (it == in_flight_.end()) {
        ++stale_replies_;
        continue;
      }
      if (it->second.on_entry) it->second.on_entry(m);
    } else if (on_event) {
      on_event(m);
    }
  }
  return n != 0;
}

bool DataplaneLink::alive(uint64_t now) {
  const shm::SegmentHeader& h = segment_->header();
  if (h.dp_stopping.load(std::memory_order_acquire) != 0) {
    detach("the data plane stopped");
    return false;
  }
  if (now >= next_liveness_ns_) {
    next_liveness_ns_ = now + options_.liveness_period_ns;
    if (segment_->replaced()) {
      detach("the data plane's segment was replaced or removed");
      return false;
    }
    const uint64_t beat = h.dp_heartbeat_ns.load(std::memory_order_acquire);
    const uint64_t real_now = shm::monotonic_ns();
    const bool stale = real_now > beat && real_now - beat > options_.heartbeat_timeout_ns;
    if (stale && !process_alive(h.dp_pid)) {
      detach("the data plane died (heartbeat stale, process gone)");
      return false;
    }
    // A live process that does not beat is busy or starved (a loaded
    // machine, a debugger): its tables and rings are intact, so stay
    // attached; commands wait in the ring.
    if (stale != unresponsive_ && options_.log != nullptr)
      *options_.log << "softwire-cp: the data plane "
                    << (stale ? "does not beat (heartbeat older than " +
                                    std::to_string(options_.heartbeat_timeout_ns / 1'000'000) +
                                    " ms); waiting for it"
                              : "beats again")
                    << std::endl;
    unresponsive_ = stale;
  }
  return true;
}

void DataplaneLink::try_attach(uint64_t now) {
  if (now < next_attach_ns_) return;
  next_attach_ns_ = now + options_.attach_retry_ns;
  std::string error;
  try {
    auto segment = std::make_unique<shm::Segment>(shm::Segment::attach(options_.instance));
    const shm::SegmentHeader& h = segment->header();
    const uint64_t beat = h.dp_heartbeat_ns.load(std::memory_order_acquire);
    const uint64_t real_now = shm::monotonic_ns();
    if (h.dp_stopping.load(std::memory_order_acquire) != 0) {
      error = segment->name() + ": the data plane is stopping";
    } else if (real_now > beat && real_now - beat > options_.heartbeat_timeout_ns &&
               !process_alive(h.dp_pid)) {
      error = segment->name() + ": left behind by a data plane that died";
    } else if (h.workers == 0 || h.workers > shm::kMaxWorkers) {
      error = segment->name() + ": bad worker count";
    } else {
      segment_ = std::move(segment);
    }
  } catch (const shm::AttachError& e) {
    error = e.what();
  }
  if (segment_ == nullptr) {
    if (error != last_attach_error_ && options_.log != nullptr)
      *options_.log << "softwire-cp: waiting for the data plane: " << error << std::endl;
    last_attach_error_ = error;
    return;
  }
  last_attach_error_.clear();
  unresponsive_ = false;
  shm::SegmentHeader& h = segment_->header();
  generation_ = h.generation;
  const bool changed = last_generation_ != 0 && last_generation_ != generation_;
  last_generation_ = generation_;
  next_liveness_ns_ = now + options_.liveness_period_ns;
  if (!options_.observe_only) {
    segment_->replies().discard_all();  // a previous cp's replies
    h.cp_pid.store(static_cast<uint64_t>(getpid()), std::memory_order_relaxed);
    h.cp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
  }
  metrics_.dp_connected.store(1, std::memory_order_relaxed);
  if (options_.log != nullptr) {
    *options_.log << "softwire-cp: attached to " << segment_->name() << " (data plane pid "
                  << h.dp_pid << ", generation " << std::hex << generation_ << std::dec
                  << (changed ? ", new generation" : "") << ")" << std::endl;
    if (h.control_mode == 0 && !options_.observe_only)
      *options_.log << "softwire-cp: warning: the data plane says it is not in control mode "
                       "(its configuration has no control section)"
                    << std::endl;
  }
  if (on_attached) on_attached(generation_, changed);
}

void DataplaneLink::detach(const std::string& reason) {
  if (segment_ == nullptr) return;
  segment_.reset();
  metrics_.dp_connected.store(0, std::memory_order_relaxed);
  if (options_.log != nullptr)
    *options_.log << "softwire-cp: detached from the data plane: " << reason << std::endl;
  // Everything unanswered is lost with the data plane's generation; the
  // owner replays its state on the next attach.
  auto in_flight = std::move(in_flight_);
  auto pending = std::move(pending_);
  in_flight_.clear();
  pending_.clear();
  metrics_.commands_queued.store(0, std::memory_order_relaxed);
  Reply r;
  r.abandoned = true;
  r.text = "the data plane went away: " + reason;
  for (auto& [id, f] : in_flight)
    if (f.on_reply) f.on_reply(r);
  for (auto& p : pending)
    if (p.on_reply) p.on_reply(r);
  next_attach_ns_ = 0;
  if (on_detached) on_detached(reason);
}

bool DataplaneLink::poll() {
  const uint64_t now = options_.now_ns();
  if (segment_ == nullptr) {
    try_attach(now);
    return segment_ != nullptr;
  }
  if (!alive(now)) return true;
  if (options_.observe_only) return false;
  segment_->header().cp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
  bool moved = drain();
  moved |= flush();
  if (segment_ != nullptr)
    metrics_.commands_queued.store(pending_.size(), std::memory_order_relaxed);
  return moved;
}

}  // namespace softwire::cp
