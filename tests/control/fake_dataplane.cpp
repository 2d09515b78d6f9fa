#include "tests/control/fake_dataplane.h"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "shm/records.h"

namespace softwire::cp::testing {

std::string unique_instance(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  std::string name = "t";
  name.append(std::to_string(getpid())).append("-").append(tag).append("-");
  name.append(std::to_string(counter++));
  return name;
}

FakeDataplane::FakeDataplane(std::string instance) : instance_(std::move(instance)) {}

FakeDataplane::~FakeDataplane() {
  stop(true);
  shm_unlink(shm::Segment::name_for(instance_).c_str());
}

void FakeDataplane::start() {
  std::random_device device;
  generation_ = (uint64_t{device()} << 32 | device()) | 1;
  shm::SegmentSizes sizes;
  sizes.workers = 2;
  sizes.sa_capacity = 64;
  sizes.session_capacity = 64;
  // A fake killed without a clean stop leaves a segment that looks alive
  // for 2 s; this test stand-in simply replaces it.
  shm_unlink(shm::Segment::name_for(instance_).c_str());
  segment_ = std::make_unique<shm::Segment>(shm::Segment::create(instance_, sizes, generation_));
  segment_->header().control_mode = 1;
  {
    std::lock_guard lock(mutex_);
    sas_.clear();
    sessions_.clear();
  }
  running_.store(true);
  thread_ = std::thread([this] { run(); });
}

void FakeDataplane::stop(bool clean) {
  if (!running_.load()) return;
  running_.store(false);
  thread_.join();
  if (clean) {
    segment_->unlink();
  }
  segment_.reset();
}

void FakeDataplane::run() {
  shm::SegmentHeader& h = segment_->header();
  const shm::RingView commands = segment_->commands();
  while (running_.load(std::memory_order_relaxed)) {
    h.dp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
    bool idle = true;
    if (!paused_.load(std::memory_order_relaxed)) {
      for (int n = 0; n < 256; ++n) {
        uint8_t* slot = commands.peek();
        if (slot == nullptr) break;
        shm::Message m;
        std::memcpy(&m, slot, sizeof m);
        explicit_bzero(slot, sizeof m);  // the real dp wipes key material too
        commands.pop();
        execute(m);
        explicit_bzero(&m, sizeof m);
        idle = false;
      }
    }
    if (idle) usleep(50);
  }
}

void FakeDataplane::push(const shm::Message& message) {
  const shm::RingView replies = segment_->replies();
  while (!replies.push(&message, sizeof message)) {
    if (!running_.load(std::memory_order_relaxed)) return;
    segment_->header().dp_heartbeat_ns.store(shm::monotonic_ns(), std::memory_order_release);
    sched_yield();
  }
}

void FakeDataplane::reply(const shm::Message& to, shm::Status status, const std::string& text) {
  shm::Message r{};
  r.type = shm::MessageType::kReply;
  r.status = status;
  r.request_id = to.request_id;
  r.generation = generation_;
  shm::copy_string(r.body.text, sizeof r.body.text, text);
  push(r);
}

void FakeDataplane::execute(const shm::Message& m) {
  {
    std::lock_guard lock(mutex_);
    executed_.push_back(m.type);
  }
  if (m.generation != generation_) return reply(m, shm::Status::kStaleGeneration, "generation");
  if (m.type == shm::MessageType::kDump) {
    std::vector<shm::Message> entries;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, sa] : sas_) {
        shm::Message e{};
        e.type = shm::MessageType::kDumpSa;
        e.request_id = m.request_id;
        e.generation = generation_;
        e.body.sa = sa;
        entries.push_back(e);
      }
      for (const auto& [key, s] : sessions_) {
        shm::Message e{};
        e.type = shm::MessageType::kDumpSession;
        e.request_id = m.request_id;
        e.generation = generation_;
        e.body.session = s.record;
        e.body.session.total_prefixes = static_cast<uint32_t>(s.prefixes.size());
        std::vector<config::IpPrefix> all(s.prefixes.begin(), s.prefixes.end());
        unsigned n = 0;
        for (; n < all.size() && n < shm::kPrefixesPerRecord; ++n)
          e.body.session.prefixes[n] = shm::to_shm(all[n]);
        e.body.session.prefix_count = static_cast<uint8_t>(n);
        entries.push_back(e);
        for (size_t i = n; i < all.size(); i += shm::kPrefixesPerRecord) {
          shm::Message p{};
          p.type = shm::MessageType::kDumpPrefixes;
          p.request_id = m.request_id;
          p.generation = generation_;
          p.body.prefixes.session = {s.record.tunnel_id, s.record.session_id};
          unsigned c = 0;
          for (; c < shm::kPrefixesPerRecord && i + c < all.size(); ++c)
            p.body.prefixes.prefixes[c] = shm::to_shm(all[i + c]);
          p.body.prefixes.count = static_cast<uint8_t>(c);
          entries.push_back(p);
        }
      }
    }
    for (const auto& e : entries) push(e);
    return reply(m, shm::Status::kOk);
  }
  std::string text;
  shm::Status status;
  {
    std::lock_guard lock(mutex_);
    status = apply(m, text);
  }
  reply(m, status, text);
}

shm::Status FakeDataplane::apply(const shm::Message& m, std::string& text) {
  switch (m.type) {
    case shm::MessageType::kSaAdd: {
      auto checked = shm::to_config(m.body.sa);
      if (auto* e = std::get_if<std::string>(&checked)) {
        text = *e;
        return shm::Status::kInvalid;
      }
      const SaId id{m.body.sa.spi, m.body.sa.direction};
      if (sas_.count(id)) return shm::Status::kExists;
      // As the real dp: kept with key, origin and initial_seq for dumps.
      shm::SaRecord stored = shm::to_record(std::get<config::SaConfig>(checked));
      stored.origin = m.body.sa.origin;
      stored.initial_seq = m.body.sa.initial_seq;
      sas_[id] = stored;
      return shm::Status::kOk;
    }
    case shm::MessageType::kSaDelete: {
      const SaId id{m.body.sa_key.spi, m.body.sa_key.direction};
      if (!sas_.count(id)) return shm::Status::kNotFound;
      for (const auto& [key, s] : sessions_) {
        const auto& r = s.record;
        const bool uses = id.direction == shm::Direction::kIn
                              ? (r.sa_in_spi == id.spi || r.sa_in_old_spi == id.spi)
                              : r.sa_out_spi == id.spi;
        if (uses) return shm::Status::kInUse;
      }
      sas_.erase(id);
      return shm::Status::kOk;
    }
    case shm::MessageType::kSessionAdd:
    case shm::MessageType::kSessionModify: {
      const auto& r = m.body.session;
      const uint32_t key = key_of({r.tunnel_id, r.session_id});
      const bool add = m.type == shm::MessageType::kSessionAdd;
      if (add && sessions_.count(key)) return shm::Status::kExists;
      if (!add && !sessions_.count(key)) return shm::Status::kNotFound;
      if (!sas_.count({r.sa_in_spi, shm::Direction::kIn}) ||
          !sas_.count({r.sa_out_spi, shm::Direction::kOut}) ||
          (r.sa_in_old_spi != shm::kNone && !sas_.count({r.sa_in_old_spi, shm::Direction::kIn}))) {
        text = "unknown SA";
        return shm::Status::kNotFound;
      }
      if (add) {
        auto checked = shm::to_config(r);
        if (auto* e = std::get_if<std::string>(&checked)) {
          text = *e;
          return shm::Status::kInvalid;
        }
        Session s;
        s.record = r;
        for (const auto& p : std::get<config::SessionConfig>(checked).prefixes)
          s.prefixes.insert(p);
        s.record.prefix_count = 0;
        sessions_[key] = s;
      } else {
        Session& s = sessions_[key];
        s.record.sa_in_spi = r.sa_in_spi;
        s.record.sa_in_old_spi = r.sa_in_old_spi;
        s.record.sa_out_spi = r.sa_out_spi;
        s.record.mtu = r.mtu;
      }
      return shm::Status::kOk;
    }
    case shm::MessageType::kSessionDelete: {
      if (!sessions_.erase(key_of(m.body.session_key))) return shm::Status::kNotFound;
      return shm::Status::kOk;
    }
    case shm::MessageType::kBindPrefixes: {
      const auto& b = m.body.prefixes;
      auto it = sessions_.find(key_of(b.session));
      if (it == sessions_.end()) return shm::Status::kNotFound;
      for (unsigned i = 0; i < b.count && i < shm::kPrefixesPerRecord; ++i) {
        auto p = shm::to_config(b.prefixes[i]);
        if (auto* e = std::get_if<std::string>(&p)) {
          text = *e;
          return shm::Status::kInvalid;
        }
        const auto& prefix = std::get<config::IpPrefix>(p);
        if (b.unbind) {
          it->second.prefixes.erase(prefix);
        } else {
          for (const auto& [key, other] : sessions_)
            if (other.prefixes.count(prefix) && key != it->first) return shm::Status::kExists;
          it->second.prefixes.insert(prefix);
        }
      }
      return shm::Status::kOk;
    }
    case shm::MessageType::kCapture:
      return shm::Status::kOk;
    default:
      return shm::Status::kUnsupported;
  }
}

std::map<SaId, shm::SaRecord> FakeDataplane::sas() const {
  std::lock_guard lock(mutex_);
  return sas_;
}

std::map<uint32_t, FakeDataplane::Session> FakeDataplane::sessions() const {
  std::lock_guard lock(mutex_);
  return sessions_;
}

std::vector<shm::MessageType> FakeDataplane::executed() const {
  std::lock_guard lock(mutex_);
  return executed_;
}

void FakeDataplane::clear_executed() {
  std::lock_guard lock(mutex_);
  executed_.clear();
}

void FakeDataplane::preload(const config::SaConfig& sa, shm::Origin origin) {
  std::lock_guard lock(mutex_);
  shm::SaRecord record = shm::to_record(sa);
  record.origin = origin;
  sas_[sa_id_of(sa)] = record;
}

void FakeDataplane::preload(const config::SessionConfig& session, shm::Origin origin,
                            uint32_t sa_in_old) {
  std::lock_guard lock(mutex_);
  Session s;
  s.record = shm::to_record(session);
  s.record.origin = origin;
  s.record.sa_in_old_spi = sa_in_old;
  s.record.prefix_count = 0;
  for (const auto& p : session.prefixes) s.prefixes.insert(p);
  sessions_[key_of({session.tunnel_id, session.session_id})] = s;
}

}  // namespace softwire::cp::testing
