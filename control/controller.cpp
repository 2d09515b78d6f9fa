#include "control/controller.h"

#include <strings.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/hex_text.h"
#include "shm/records.h"

namespace softwire::cp {

namespace {

std::string seconds_text(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g s", seconds);
  return buffer;
}

uint64_t seconds_to_ns(double seconds) {
  return seconds <= 0 ? 0 : static_cast<uint64_t>(std::llround(seconds * 1e9));
}

}  // namespace

struct Controller::Batch {
  size_t remaining = 0;
  OpResult result;
  bool abandoned = false;
  Done done;
};

Controller::Controller(CpMetrics& metrics, DataplaneLink& link, Options options)
    : metrics_(metrics),
      link_(link),
      options_(std::move(options)),
      state_(std::make_unique<DesiredState>(&metrics)) {
  link_.on_attached = [this](uint64_t generation, bool changed) {
    on_attached(generation, changed);
  };
  link_.on_detached = [this](const std::string&) { on_detached(); };
}

Controller::~Controller() {
  link_.on_attached = nullptr;
  link_.on_detached = nullptr;
}

void Controller::log_line(const std::string& text) const {
  if (options_.log != nullptr) *options_.log << "softwire-cp: " << text << std::endl;
}

void Controller::load_static(const config::Config& config) {
  for (const auto& sa : config.sas) state_->add_sa(sa, Origin::kStatic);
  for (const auto& session : config.sessions) state_->add_session(session, Origin::kStatic);
}

bool Controller::synced() const {
  return link_.connected() && sync_done_ && link_.pending() == 0 && link_.in_flight() == 0;
}

// ---------------------------------------------------------------------------
// Keeping the data plane in sync.

void Controller::on_attached(uint64_t generation, bool generation_changed) {
  const uint64_t epoch = ++sync_epoch_;
  sync_done_ = false;
  metrics_.dp_generation.store(0, std::memory_order_relaxed);
  if (generation_changed) {
    // A new data plane starts with empty tables: replay everything.
    metrics_.replays.fetch_add(1, std::memory_order_relaxed);
    char hex[24];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(generation));
    log_line(std::string("data plane restarted (generation ") + hex + "): replaying " +
             std::to_string(state_->sas().size()) + " SAs and " +
             std::to_string(state_->sessions().size()) + " sessions");
    apply_sync(TableImage{}, false);
    return;
  }
  auto collector = std::make_shared<DumpCollector>();
  link_.send(
      Command::dump(),
      [this, collector, epoch](const Reply& reply) {
        if (epoch != sync_epoch_) return;  // a later attach took over
        if (reply.abandoned) return;       // detached; the next attach starts again
        for (const std::string& e : collector->errors()) log_line("dump: " + e);
        if (!reply.ok()) {
          log_line(std::string("dump refused (") + status_name(reply.status) + ": " + reply.text +
                   "): replaying as if the tables were empty");
          apply_sync(TableImage{}, false);
          return;
        }
        metrics_.reconciles.fetch_add(1, std::memory_order_relaxed);
        apply_sync(collector->take(), true);
      },
      [collector](const shm::Message& entry) { collector->add(entry); });
}

void Controller::on_detached() {
  ++sync_epoch_;
  sync_done_ = false;
  state_->set_all_states(SessionStateCode::kPending);
}

void Controller::apply_sync(TableImage actual, bool from_dump) {
  const size_t adopted = from_dump ? adopt(actual) : 0;
  TableImage desired = state_->image();
  if (!from_dump) resume_sequence_numbers(desired);
  std::vector<Command> commands = reconcile(desired, actual);
  log_line("in sync after " + std::to_string(commands.size()) + " commands (data plane had " +
           std::to_string(actual.sas.size()) + " SAs, " + std::to_string(actual.sessions.size()) +
           " sessions; " + std::to_string(adopted) + " dynamic objects adopted)");
  state_->set_all_states(SessionStateCode::kActive);
  for (const Command& c : commands) {
    const CommandInfo info = info_of(c);
    if (!info.identity.empty()) state_->set_state(info.identity, SessionStateCode::kPending);
  }
  sync_done_ = true;
  metrics_.dp_generation.store(link_.generation(), std::memory_order_relaxed);
  dispatch(std::move(commands), {});
}

size_t Controller::adopt(const TableImage& actual) {
  size_t adopted = 0;
  for (const auto& [id, record] : actual.sas) {
    if (record.origin != Origin::kDynamic || state_->find_sa(id) != nullptr) continue;
    if (record.key_length == 0) {
      log_line("cannot adopt dynamic SA " + to_string(id) + ": the dump has no key; deleting it");
      continue;
    }
    auto sa = shm::to_config(record);
    if (auto* e = std::get_if<std::string>(&sa)) {
      log_line("cannot adopt dynamic SA " + to_string(id) + ": " + *e);
      continue;
    }
    state_->add_sa(std::move(std::get<config::SaConfig>(sa)), Origin::kDynamic);
    ++adopted;
  }
  for (const auto& [identity, image] : actual.sessions) {
    if (image.record.origin != Origin::kDynamic || state_->find_session(identity) != nullptr)
      continue;
    shm::SessionRecord record = image.record;
    record.prefix_count = 0;
    auto parsed = shm::to_config(record);
    std::string error;
    if (auto* e = std::get_if<std::string>(&parsed)) {
      error = *e;
    } else {
      auto& session = std::get<config::SessionConfig>(parsed);
      session.prefixes = image.prefixes;
      error = state_->check_session_add(session);
      if (error.empty()) {
        state_->add_session(std::move(session), Origin::kDynamic);
        const uint32_t old = image.record.sa_in_old_spi;
        if (old != shm::kNone && state_->find_sa({old, shm::Direction::kIn}) != nullptr) {
          // A rekey was in progress when the previous cp stopped: finish it.
          state_->set_session_sas(identity, image.record.sa_in_spi, old, image.record.sa_out_spi);
          schedule_rekey(identity, old, shm::kNone, options_.rekey_grace_seconds);
        }
        ++adopted;
        continue;
      }
    }
    log_line("cannot adopt dynamic session \"" + identity + "\": " + error + "; deleting it");
  }
  return adopted;
}

void Controller::observe_stats(const shm::StatsSnapshot& snapshot) {
  if (!link_.connected() || snapshot.generation != link_.generation()) return;
  // The same snapshot read twice says nothing new; taken as a second sample
  // it would look like an SA that stopped sending.
  if (snapshot.header.snapshots == last_snapshot_ &&
      snapshot.generation == last_snapshot_generation_)
    return;
  last_snapshot_ = snapshot.header.snapshots;
  last_snapshot_generation_ = snapshot.generation;
  const uint64_t now = options_.now_ns();
  const uint64_t dp_ns = snapshot.header.uptime_ns;
  for (const shm::SaStats& sa : snapshot.sas) {
    if (sa.state == shm::SaStateCode::kFree) continue;
    SeqSeen& seen = seq_seen_[{sa.spi, sa.direction}];
    // Rates on the data plane's clock: our reads lag its publications by a
    // varying amount. A restarted data plane's clock starts again at zero.
    if (seen.dp_uptime_ns != 0 && dp_ns > seen.dp_uptime_ns && sa.seq >= seen.seq) {
      const double rate = double(sa.seq - seen.seq) * 1e9 / double(dp_ns - seen.dp_uptime_ns);
      seen.peak_per_second = std::max(seen.peak_per_second, rate);
    }
    seen.seq = sa.seq;
    seen.dp_uptime_ns = dp_ns;
    seen.at_ns = now;
  }
}

void Controller::resume_sequence_numbers(TableImage& desired) const {
  const uint64_t now = options_.now_ns();
  for (auto& [id, record] : desired.sas) {
    auto it = seq_seen_.find(id);
    if (it == seq_seen_.end()) continue;
    const SeqSeen& seen = it->second;
    if (id.direction == shm::Direction::kIn) {
      record.initial_seq = seen.seq;  // everything up to it counts as seen
    } else {
      // What the old data plane may have sent after the last snapshot at
      // the highest rate seen, twice over, plus a floor. The extra second
      // covers the snapshot's age when we read it (stats_publisher.h).
      const double elapsed = now > seen.at_ns ? double(now - seen.at_ns) * 1e-9 : 0;
      const auto margin = static_cast<uint64_t>(seen.peak_per_second * (elapsed + 1) * 2) + 1024;
      record.initial_seq = seen.seq + margin;
    }
  }
}

Controller::CommandInfo Controller::info_of(const Command& c) const {
  CommandInfo info{c.type(), {}};
  switch (c.type()) {
    case shm::MessageType::kSessionAdd:
    case shm::MessageType::kSessionModify:
      shm::read_string(c.message.body.session.identity, shm::kIdentityLength, info.identity);
      break;
    case shm::MessageType::kBindPrefixes:
      if (const SessionEntry* s = state_->find_session(c.message.body.prefixes.session))
        info.identity = s->config.identity;
      break;
    default:
      break;
  }
  return info;
}

void Controller::track(const CommandInfo& info, const Reply& reply) {
  if (reply.abandoned) return;  // the next attach reconciles
  if (!info.identity.empty()) {
    const SessionEntry* s = state_->find_session(info.identity);
    if (s == nullptr) return;
    if (!reply.ok())
      state_->set_state(info.identity, SessionStateCode::kFailed);
    else if (s->state == SessionStateCode::kPending)
      state_->set_state(info.identity, SessionStateCode::kActive);
  }
  if (!reply.ok()) {
    log_line("data plane refused command " + std::to_string(static_cast<int>(info.type)) +
             (info.identity.empty() ? "" : " for session \"" + info.identity + "\"") + ": " +
             status_name(reply.status) + (reply.text.empty() ? "" : ": " + reply.text));
  }
}

void Controller::dispatch(std::vector<Command> commands, Done done) {
  for (const Command& c : commands) {
    // A deleted SA's numbers mean nothing for a later one with the same SPI.
    if (c.type() == shm::MessageType::kSaDelete)
      seq_seen_.erase({c.message.body.sa_key.spi, c.message.body.sa_key.direction});
  }
  if (!sendable() || commands.empty()) {
    if (done) {
      OpResult r;
      if (!commands.empty())
        r.message = "queued: the data plane is not in sync yet; it gets this when it is";
      done(r);
    }
    return;
  }
  auto batch = std::make_shared<Batch>();
  batch->remaining = commands.size();
  batch->done = std::move(done);
  for (Command& c : commands) {
    CommandInfo info = info_of(c);
    link_.send(std::move(c), [this, batch, info = std::move(info)](const Reply& reply) {
      track(info, reply);
      if (reply.abandoned) {
        batch->abandoned = true;
      } else if (!reply.ok() && batch->result.code == 0) {
        batch->result.code = 1;
        batch->result.message = std::string("data plane refused: ") + status_name(reply.status) +
                                (reply.text.empty() ? "" : ": " + reply.text);
      }
      if (--batch->remaining == 0 && batch->done) {
        if (batch->abandoned && batch->result.code == 0)
          batch->result.message = "the data plane went away; it gets this when it is back (replay)";
        batch->done(batch->result);
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Operator operations.

void Controller::add_sa(config::SaConfig sa, Done done) {
  if (std::string e = state_->check_sa_add(sa); !e.empty()) return done({1, e});
  const SaId id = sa_id_of(sa);
  state_->add_sa(std::move(sa), Origin::kDynamic);
  std::vector<Command> commands;
  shm::SaRecord record = DesiredState::record_of(*state_->find_sa(id));
  commands.push_back(Command::sa_add(record));
  explicit_bzero(&record, sizeof record);
  dispatch(std::move(commands), [this, id, done](const OpResult& r) {
    if (r.code != 0) {
      // The data plane does not have it: neither do we.
      const SaEntry* entry = state_->find_sa(id);
      if (entry != nullptr && state_->sa_references(id) == 0) state_->remove_sa(id);
    }
    done(r);
  });
}

void Controller::delete_sa(uint32_t spi, std::optional<shm::Direction> direction, Done done) {
  SaId id{spi, shm::Direction::kIn};
  if (direction) {
    id.direction = *direction;
  } else {
    const bool in = state_->find_sa({spi, shm::Direction::kIn}) != nullptr;
    const bool out = state_->find_sa({spi, shm::Direction::kOut}) != nullptr;
    if (in && out)
      return done({1, "spi: both an inbound and an outbound SA have SPI " + hex32(spi) +
                          ": say direction=in or direction=out"});
    if (!in && !out) return done({1, "spi: no SA with SPI " + hex32(spi)});
    id.direction = in ? shm::Direction::kIn : shm::Direction::kOut;
  }
  if (std::string e = state_->check_sa_delete(id); !e.empty()) return done({1, e});
  state_->remove_sa(id);
  std::vector<Command> commands;
  commands.push_back(Command::sa_delete(id));
  dispatch(std::move(commands), std::move(done));
}

void Controller::add_session(config::SessionConfig session, Done done) {
  if (std::string e = state_->check_session_add(session); !e.empty()) return done({1, e});
  const SessionEntry& entry = state_->add_session(std::move(session), Origin::kDynamic);
  const std::string identity = entry.config.identity;
  std::vector<Command> commands;
  append_session_add(DesiredState::image_of(entry), commands);
  dispatch(std::move(commands), [this, identity, done](const OpResult& r) {
    if (r.code != 0) {
      const SessionEntry* s = state_->find_session(identity);
      if (s != nullptr && link_.connected()) {
        // Take back what may have been applied (a later prefix binding that failed).
        std::vector<Command> undo;
        undo.push_back(Command::session_delete(s->key()));
        state_->remove_session(identity);
        dispatch(std::move(undo), {});
      } else if (s != nullptr) {
        state_->remove_session(identity);
      }
    }
    done(r);
  });
}

void Controller::delete_session(const std::string& identity, Done done) {
  const SessionEntry* s = state_->find_session(identity);
  if (s == nullptr) return done({1, "identity: no session \"" + identity + "\""});
  std::vector<Command> commands;
  commands.push_back(Command::session_delete(s->key()));
  state_->remove_session(identity);
  dispatch(std::move(commands), std::move(done));
}

void Controller::rekey(const std::string& identity, uint32_t sa_in, uint32_t sa_out,
                       std::optional<double> grace_seconds, Done done) {
  const SessionEntry* s = state_->find_session(identity);
  if (s == nullptr) return done({1, "identity: no session \"" + identity + "\""});
  const SaEntry* in = state_->find_sa({sa_in, shm::Direction::kIn});
  if (in == nullptr) return done({1, "sa_in: no inbound SA " + hex32(sa_in) + " (add it first)"});
  const SaEntry* out = state_->find_sa({sa_out, shm::Direction::kOut});
  if (out == nullptr)
    return done({1, "sa_out: no outbound SA " + hex32(sa_out) + " (add it first)"});
  if (in->config.local != out->config.local || in->config.remote != out->config.remote ||
      in->config.nat_t != out->config.nat_t || in->config.mode != out->config.mode)
    return done({1, "sa_out: " + hex32(sa_out) + " and sa_in " + hex32(sa_in) +
                        " do not join the same peers the same way"});
  const double grace = grace_seconds.value_or(options_.rekey_grace_seconds);
  if (!(grace >= 0) || grace > 86400) return done({1, "grace: must be 0..86400 seconds"});
  const uint32_t old_in = s->config.sa_in;
  const uint32_t old_out = s->config.sa_out;
  if (old_in == sa_in && old_out == sa_out) return done({0, "nothing to do: already on these SAs"});
  const uint32_t previous_old = s->sa_in_old;
  state_->set_session_sas(identity, sa_in, old_in == sa_in ? previous_old : old_in, sa_out);
  s = state_->find_session(identity);
  std::vector<Command> commands;
  commands.push_back(Command::session_modify(DesiredState::image_of(*s).record));
  const uint64_t rekey_id = next_rekey_id_;
  schedule_rekey(identity, old_in, old_out, grace);
  dispatch(std::move(commands),
           [this, identity, old_in, old_out, previous_old, rekey_id, done](const OpResult& r) {
             if (r.code != 0) {
               // Refused: the session keeps its SAs.
               rekeys_.erase(rekey_id);
               if (state_->find_session(identity) != nullptr)
                 state_->set_session_sas(identity, old_in, previous_old, old_out);
             }
             done(r);
           });
  log_line("session \"" + identity + "\": rekey sa_in " + hex32(old_in) + " -> " + hex32(sa_in) +
           ", sa_out " + hex32(old_out) + " -> " + hex32(sa_out) + ", grace " +
           seconds_text(grace));
}

void Controller::schedule_rekey(const std::string& identity, uint32_t old_in, uint32_t old_out,
                                double grace_seconds) {
  rekeys_.emplace(next_rekey_id_++, RekeyTimer{identity, old_in, old_out,
                                               options_.now_ns() + seconds_to_ns(grace_seconds)});
}

void Controller::tick() {
  const uint64_t now = options_.now_ns();
  for (auto it = rekeys_.begin(); it != rekeys_.end();) {
    if (it->second.due_ns <= now) {
      const RekeyTimer timer = it->second;
      it = rekeys_.erase(it);
      finish_rekey(timer);
    } else {
      ++it;
    }
  }
}

void Controller::finish_rekey(const RekeyTimer& timer) {
  std::vector<Command> commands;
  const SessionEntry* s = state_->find_session(timer.identity);
  if (s != nullptr && s->sa_in_old == timer.old_in && s->sa_in_old != shm::kNone) {
    state_->set_session_sas(timer.identity, s->config.sa_in, shm::kNone, s->config.sa_out);
    commands.push_back(Command::session_modify(DesiredState::image_of(*s).record));
  }
  for (const SaId id :
       {SaId{timer.old_in, shm::Direction::kIn}, SaId{timer.old_out, shm::Direction::kOut}}) {
    // Retired even when the configuration file lists it: the rekey replaced
    // it (a later SIGHUP or cp restart with that file brings it back).
    if (state_->find_sa(id) == nullptr || state_->sa_references(id) != 0) continue;
    state_->remove_sa(id);
    commands.push_back(Command::sa_delete(id));
  }
  if (!commands.empty())
    log_line("session \"" + timer.identity + "\": rekey grace over, old SAs " +
             hex32(timer.old_in) + "/" + hex32(timer.old_out) + " retired");
  dispatch(std::move(commands), {});
}

// ---------------------------------------------------------------------------
// SIGHUP.

Controller::ReloadResult Controller::reload(const config::Config& config) {
  ReloadResult result;
  auto next = std::make_unique<DesiredState>(nullptr);
  const DesiredState& current = *state_;
  for (const auto& sa : config.sas) next->add_sa(sa, Origin::kStatic);
  // Make-before-break for static sessions whose SAs changed.
  std::vector<RekeyTimer> new_rekeys;
  for (const auto& session : config.sessions) {
    SessionEntry& entry = next->add_session(session, Origin::kStatic);
    const SessionEntry* old = current.find_session(session.identity);
    if (old == nullptr) continue;
    entry.state = old->state;  // fixed below for those that get commands
    const bool same_ids = old->config.tunnel_id == session.tunnel_id &&
                          old->config.session_id == session.session_id &&
                          old->config.peer_tunnel_id == session.peer_tunnel_id &&
                          old->config.peer_session_id == session.peer_session_id &&
                          old->config.peer_port == session.peer_port;
    if (!same_ids) continue;
    uint32_t sa_in_old = shm::kNone;
    const bool rekeyed = old->config.sa_in != session.sa_in || old->config.sa_out != session.sa_out;
    if (rekeyed) {
      if (old->config.sa_in != session.sa_in) sa_in_old = old->config.sa_in;
      new_rekeys.push_back({session.identity, old->config.sa_in, old->config.sa_out, 0});
    } else if (old->sa_in_old != shm::kNone) {
      sa_in_old = old->sa_in_old;  // a rekey in progress goes on
    }
    if (sa_in_old != shm::kNone || rekeyed) {
      // Keep the old SAs until the grace time is over.
      for (const SaId id :
           {SaId{sa_in_old, shm::Direction::kIn}, SaId{old->config.sa_out, shm::Direction::kOut}}) {
        if (id.spi == shm::kNone || next->find_sa(id) != nullptr) continue;
        if (const SaEntry* keep = current.find_sa(id)) next->add_sa(keep->config, keep->origin);
      }
      next->set_session_sas(session.identity, session.sa_in, sa_in_old, session.sa_out);
    }
  }
  // Dynamic objects stay unless they now conflict with static ones.
  for (const auto& [id, sa] : current.sas()) {
    if (sa.origin != Origin::kDynamic || next->find_sa(id) != nullptr) continue;
    next->add_sa(sa.config, Origin::kDynamic);
  }
  for (const auto& [identity, s] : current.sessions()) {
    if (s.origin != Origin::kDynamic) continue;
    config::SessionConfig copy = s.config;
    std::string e = next->check_session_add(copy);
    if (!e.empty()) {
      result.dropped.push_back("session \"" + identity + "\": " + e);
      continue;
    }
    SessionEntry& entry = next->add_session(std::move(copy), Origin::kDynamic);
    entry.state = s.state;
    if (s.sa_in_old != shm::kNone) {
      const SaId old_id{s.sa_in_old, shm::Direction::kIn};
      if (next->find_sa(old_id) == nullptr)
        if (const SaEntry* keep = current.find_sa(old_id)) next->add_sa(keep->config, keep->origin);
      if (next->find_sa(old_id) != nullptr)
        next->set_session_sas(identity, s.config.sa_in, s.sa_in_old, s.config.sa_out);
    }
  }
  // A dynamic SA that a dropped session referenced stays: the operator owns it.
  for (const std::string& d : result.dropped) log_line("reload drops " + d);

  std::vector<Command> commands = reconcile(next->image(), current.image());
  result.commands = commands.size();
  result.rekeys = new_rekeys.size();
  next->set_metrics(&metrics_);
  state_->set_metrics(nullptr);
  state_ = std::move(next);
  for (const Command& c : commands) {
    const CommandInfo info = info_of(c);
    if (!info.identity.empty() && c.type() == shm::MessageType::kSessionAdd)
      state_->set_state(info.identity, SessionStateCode::kPending);
  }
  for (const RekeyTimer& r : new_rekeys)
    schedule_rekey(r.identity, r.old_in, r.old_out, options_.rekey_grace_seconds);
  metrics_.config_reloads.fetch_add(1, std::memory_order_relaxed);
  log_line("configuration reloaded: " + std::to_string(result.commands) + " commands, " +
           std::to_string(result.rekeys) + " rekeys");
  dispatch(std::move(commands), {});
  return result;
}

}  // namespace softwire::cp
