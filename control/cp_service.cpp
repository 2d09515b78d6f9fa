#include "control/cp_service.h"

#include <sched.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "common/hex_text.h"
#include "config/loader.h"
#include "control/ctl_args.h"
#include "shm/records.h"

namespace softwire::cp {

namespace {

constexpr size_t kMaxPuntsPerPoll = 256;                // per worker ring
constexpr uint64_t kSaStatsBytesEveryPeriod = 4 << 20;  // larger SA tables: once a second

std::string hex64(uint64_t v) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

std::vector<std::string> names_of(const char (*table)[shm::kNameLength], uint32_t count,
                                  uint32_t max) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < std::min(count, max); ++i) {
    std::string name;
    if (!shm::read_string(table[i], shm::kNameLength, name)) name.assign(1, '?');
    out.push_back(std::move(name));
  }
  return out;
}

const char* direction_name(shm::Direction d) {
  return d == shm::Direction::kIn ? "in" : "out";
}

}  // namespace

CpService::CpService(const config::Config& config, CpMetrics& metrics, Options options)
    : config_(config), metrics_(metrics), options_(std::move(options)), punt_handler_(metrics, 0) {
  options_.link.observe_only = options_.observe_only;
  options_.link.log = options_.log;
  link_ = std::make_unique<DataplaneLink>(metrics_, options_.link);
  if (!options_.observe_only) {
    Controller::Options co;
    co.rekey_grace_seconds = config.control ? config.control->rekey_grace_seconds : 5.0;
    co.now_ns = options_.now_ns;
    co.log = options_.log;
    controller_ = std::make_unique<Controller>(metrics_, *link_, co);
    controller_->load_static(config);
    // The controller installed its own on_attached; chain ours after it.
    auto controller_attached = link_->on_attached;
    link_->on_attached = [this, controller_attached](uint64_t generation, bool changed) {
      on_attached();
      controller_attached(generation, changed);
    };
    link_->on_event = [this](const shm::Message& m) {
      const char* what = m.type == shm::MessageType::kEventSaSoftExpired   ? "soft lifetime"
                         : m.type == shm::MessageType::kEventSaHardExpired ? "hard lifetime"
                         : m.type == shm::MessageType::kEventSeqExhausted
                             ? "sequence numbers exhausted"
                             : nullptr;
      if (what != nullptr && options_.log != nullptr)
        *options_.log << "softwire-cp: SA " << direction_name(m.body.sa_key.direction) << " "
                      << hex32(m.body.sa_key.spi) << ": " << what << std::endl;
    };
    std::ostream& out = options_.security_log != nullptr ? *options_.security_log : std::cerr;
    SecurityLog::Options so;
    so.instance = config.instance;
    security_log_ = std::make_unique<SecurityLog>(out, metrics_, so, shm::realtime_ns);
  } else {
    link_->on_attached = [this](uint64_t, bool) { on_attached(); };
  }
  metrics_.started_ns.store(shm::realtime_ns(), std::memory_order_relaxed);
}

CpService::~CpService() {
  if (link_) {
    link_->on_attached = nullptr;
    link_->on_event = nullptr;
  }
  controller_.reset();  // before the link it refers to
}

void CpService::on_attached() {
  const shm::Segment* segment = link_->segment();
  if (segment == nullptr) return;
  const shm::StatsHeader& s = segment->header().stats;
  // Written once at the segment's creation: safe to read without the epoch.
  drop_reason_names_ = names_of(s.drop_reason_names, s.drop_reason_count, shm::kMaxDropReasons);
  punt_kind_names_ = names_of(s.punt_kind_names, s.punt_kind_count, shm::kMaxPuntKinds);
  punt_handler_.set_punt_kind_names(punt_kind_names_);
  if (security_log_) security_log_->set_drop_reason_names(drop_reason_names_);
  previous_stats_.reset();
  latest_stats_.reset();
  next_stats_ns_ = 0;
  if (capture_) finish_capture("the data plane restarted");
}

bool CpService::busy() const {
  return link_->pending() != 0 || link_->in_flight() != 0 || capture_.has_value() ||
         !waiters_.empty();
}

// ---------------------------------------------------------------------------
// The loop's work.

bool CpService::poll() {
  bool moved = link_->poll();
  const uint64_t now = options_.now_ns();
  if (controller_) controller_->tick();
  if (link_->connected() && !options_.observe_only) moved |= drain_punts();
  read_stats_if_due(now);
  if (capture_ && now >= capture_->deadline_ns) finish_capture("timeout");
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    const bool synced = controller_ && controller_->synced();
    if (synced || now >= it->deadline_ns) {
      respond(it->request, synced ? 0 : 1, synced ? "in sync" : "timeout: not in sync",
              status_json());
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  return moved;
}

bool CpService::drain_punts() {
  const shm::Segment& segment = *link_->segment();
  const uint32_t workers = std::min<uint32_t>(segment.header().workers, shm::kMaxWorkers);
  bool moved = false;
  shm::PacketRecord record;
  for (uint32_t w = 0; w < workers; ++w) {
    const shm::RingView ring = segment.punt(w);
    for (size_t n = 0; n < kMaxPuntsPerPoll; ++n) {
      const uint8_t* slot = ring.peek();
      if (slot == nullptr) break;
      std::memcpy(&record, slot, sizeof record);
      ring.pop();
      moved = true;
      std::optional<shm::PacketRecord> reply = punt_handler_.handle(record);
      if (reply) {
        if (!segment.inject().push(&*reply, sizeof *reply))
          metrics_.inject_ring_full.fetch_add(1, std::memory_order_relaxed);
      }
      if (record.kind == shm::PacketKind::kSecuritySample && security_log_) {
        std::string identity;
        if (record.session.tunnel_id != 0 || record.session.session_id != 0)
          identity = identity_of_session(record.session);
        if (identity.empty() && record.spi != shm::kNone) identity = identity_of_spi(record.spi);
        security_log_->on_sample(record, identity);
      } else if (record.kind == shm::PacketKind::kDropCapture && capture_ && capture_->armed) {
        capture_->packets.push_back(record);
        if (capture_->packets.size() >= capture_->wanted) finish_capture("count reached");
      }
    }
  }
  return moved;
}

void CpService::read_stats_if_due(uint64_t now) {
  if (!link_->connected()) return;
  // Sequence numbers follow the data plane's 100 ms snapshots while the SA
  // table is small enough to copy that often (a replay resumes above them).
  const shm::Segment& segment = *link_->segment();
  const uint64_t sa_bytes = uint64_t{segment.header().stats.sa_capacity} * sizeof(shm::SaStats);
  if (controller_ && now >= next_seq_ns_ && sa_bytes <= kSaStatsBytesEveryPeriod) {
    next_seq_ns_ = now + options_.seq_period_ns;
    // A kept buffer: no allocation and no fresh pages ten times a second.
    if (shm::read_stats(segment, sa_scratch_, shm::StatsTables::kSas, 100))
      controller_->observe_stats(sa_scratch_);
  }
  if (now < next_stats_ns_) return;
  next_stats_ns_ = now + options_.stats_period_ns;
  // The oldest snapshot's buffers take the new one.
  shm::StatsSnapshot snapshot =
      previous_stats_ ? std::move(*previous_stats_) : shm::StatsSnapshot{};
  if (!shm::read_stats(*link_->segment(), snapshot)) return;
  if (controller_) controller_->observe_stats(snapshot);
  previous_stats_ = std::move(latest_stats_);
  latest_stats_ = std::move(snapshot);
  if (previous_stats_ && security_log_) {
    IdentityResolver who;
    who.session = [this](shm::SessionKey key) { return identity_of_session(key); };
    who.sa = [this](uint32_t spi) { return identity_of_spi(spi); };
    security_log_->on_stats(*previous_stats_, *latest_stats_, who);
  }
}

std::string CpService::identity_of_session(shm::SessionKey key) const {
  if (!controller_) return "";
  const SessionEntry* s = controller_->state().find_session(key);
  return s ? s->config.identity : "";
}

std::string CpService::identity_of_spi(uint32_t spi) const {
  if (!controller_) return "";
  const std::string* identity = controller_->state().identity_for_inbound_spi(spi);
  return identity ? *identity : "";
}

void CpService::reload(const std::string& path) {
  if (!controller_) return;
  try {
    const config::Config next = config::load_config_file(path);
    if (!next.control) {
      metrics_.config_reload_errors.fetch_add(1, std::memory_order_relaxed);
      if (options_.log)
        *options_.log << "softwire-cp: reload of " << path
                      << " refused: the control section is gone; keeping the old state"
                      << std::endl;
      return;
    }
    controller_->reload(next);
  } catch (const std::exception& e) {
    metrics_.config_reload_errors.fetch_add(1, std::memory_order_relaxed);
    if (options_.log)
      *options_.log << "softwire-cp: reload failed, keeping the old state: " << e.what()
                    << std::endl;
  }
}

// ---------------------------------------------------------------------------
// Operator requests.

void CpService::respond(const Request& r, int code, const std::string& text,
                        const std::string& result) {
  JsonWriter w;
  w.begin_object().key("id").value(r.id).key("ok").value(code == 0).key("code").value(code);
  if (code == 0) {
    w.key("text").value(text);
  } else {
    w.key("error").value(text);
  }
  if (!result.empty()) w.key("result").raw(result);
  w.end_object();
  r.respond(w.text());
}

void CpService::respond_error(const Request& r, int code, const std::string& error) {
  respond(r, code, error);
}

void CpService::handle(const std::string& line, std::function<void(const std::string&)> reply) {
  Request r;
  r.respond = std::move(reply);
  std::string error;
  std::optional<OperatorRequest> request = parse_operator_request(line, &error);
  if (!request) return respond_error(r, 2, "request: " + error);
  r.id = request->id;
  r.json = request->json;
  r.args = std::move(request->args);
  if (r.args.empty()) return respond_error(r, 2, "request: \"args\" must not be empty");
  dispatch(std::move(r));
}

void CpService::dispatch(Request r) {
  // The arguments after the two command words may hold a key: they move to
  // `args`, which is wiped on every way out.
  std::vector<std::string> args(
      std::make_move_iterator(r.args.begin() + std::min<size_t>(2, r.args.size())),
      std::make_move_iterator(r.args.end()));
  r.args.resize(2);
  struct Wipe {
    std::vector<std::string>& a;
    ~Wipe() { wipe(a); }
  } wipe_args{args};
  const std::string verb = r.args[0];
  const std::string sub = r.args[1];
  const std::vector<std::string>& rest = args;
  if (verb == "show") {
    if (std::find(rest.begin(), rest.end(), "--all") != rest.end()) r.args.push_back("--all");
    return show(r);
  }
  if (verb == "wait-synced") {
    if (!controller_) return respond_error(r, 1, "observe-only: nothing to synchronise");
    double seconds = 30;
    if (!sub.empty()) {
      char* end = nullptr;
      seconds = std::strtod(sub.c_str(), &end);
      if (end != sub.c_str() + sub.size() || !(seconds > 0))
        return respond_error(r, 2, "timeout: \"" + sub + "\" is not a number of seconds");
    }
    waiters_.push_back({std::move(r), options_.now_ns() + static_cast<uint64_t>(seconds * 1e9)});
    return;
  }
  if (!controller_)
    return respond_error(r, 1,
                         "softwire-cp runs with --observe-only: it serves show counters and "
                         "show drops only");
  // The answer once the operation is done; takes the request along (the
  // last use of `r` on each path).
  const auto done = [this](Request&& request) {
    return [this, request = std::move(request)](const OpResult& result) {
      respond(request, result.code,
              result.code == 0 ? (result.message.empty() ? "ok" : result.message) : result.message);
    };
  };
  if (verb == "sa" && sub == "add") {
    auto parsed = parse_sa_add(args);
    if (auto* e = std::get_if<std::string>(&parsed)) return respond_error(r, 2, *e);
    config::SaConfig& sa = std::get<config::SaConfig>(parsed);
    bool local_ok = false;
    for (const auto& port : config_.ports)
      if (port.role == config::PortRole::kAccess)
        for (const auto& a : port.addresses) local_ok |= a.address == sa.local;
    if (!local_ok)
      return respond_error(
          r, 2, "local: " + sa.local.to_string() + " is not an address of an access port");
    return controller_->add_sa(std::move(sa), done(std::move(r)));
  }
  if (verb == "sa" && (sub == "del" || sub == "delete")) {
    auto parsed = parse_sa_delete(args);
    if (auto* e = std::get_if<std::string>(&parsed)) return respond_error(r, 2, *e);
    const auto& d = std::get<SaDeleteArgs>(parsed);
    return controller_->delete_sa(d.spi, d.direction, done(std::move(r)));
  }
  if (verb == "session" && sub == "add") {
    auto parsed = parse_session_add(args);
    if (auto* e = std::get_if<std::string>(&parsed)) return respond_error(r, 2, *e);
    return controller_->add_session(std::move(std::get<config::SessionConfig>(parsed)),
                                    done(std::move(r)));
  }
  if (verb == "session" && (sub == "del" || sub == "delete")) {
    if (args.size() != 1) return respond_error(r, 2, "identity: exactly one identity expected");
    std::string identity = args[0];
    if (identity.rfind("identity=", 0) == 0) identity = identity.substr(9);
    return controller_->delete_session(identity, done(std::move(r)));
  }
  if (verb == "session" && sub == "rekey") {
    auto parsed = parse_rekey(args);
    if (auto* e = std::get_if<std::string>(&parsed)) return respond_error(r, 2, *e);
    const auto& k = std::get<RekeyArgs>(parsed);
    return controller_->rekey(k.identity, k.sa_in, k.sa_out, k.grace_seconds, done(std::move(r)));
  }
  if (verb == "capture" && sub == "drops") {
    auto parsed = parse_capture(args);
    if (auto* e = std::get_if<std::string>(&parsed)) return respond_error(r, 2, *e);
    r.args = args;
    return start_capture(std::move(r));
  }
  if (verb == "reload") {
    return respond_error(r, 1, "send SIGHUP to softwire-cp to reload its configuration");
  }
  respond_error(r, 2, "command: unknown: " + verb + (sub.empty() ? "" : " " + sub));
}

void CpService::show(const Request& r) {
  const std::string& what = r.args[1];
  if (what == "status") {
    std::ostringstream text;
    text << (link_->connected() ? "connected" : "not connected") << " to the data plane";
    if (link_->connected()) text << " (generation " << hex64(link_->generation()) << ")";
    if (controller_) {
      text << ", " << (controller_->synced() ? "in sync" : "not in sync") << "; "
           << link_->pending() << " commands queued, " << link_->in_flight()
           << " unanswered\nsessions: ";
      for (size_t i = 0; i < kSessionStateNames.size(); ++i)
        text << (i ? ", " : "") << metrics_.sessions[i].load(std::memory_order_relaxed) << " "
             << kSessionStateNames[i];
      text << "; " << metrics_.sas_desired.load(std::memory_order_relaxed) << " SAs; "
           << controller_->rekeys_in_progress() << " rekeys in progress";
    } else {
      text << " (observe only)";
    }
    return respond(r, 0, text.str(), status_json());
  }
  if (what == "counters") return show_counters(r, false, true);
  if (what == "drops") return show_counters(r, true, r.args.size() > 2 && r.args[2] == "--all");
  if (!controller_) return respond_error(r, 1, "observe-only: show " + what + " is not available");
  if (what == "sessions") return show_sessions(r);
  if (what == "sas") return show_sas(r);
  respond_error(r, 2, "show: \"" + what + "\" is not one of status|sessions|sas|counters|drops");
}

std::string CpService::status_json() const {
  JsonWriter w;
  w.begin_object();
  w.key("connected").value(link_->connected());
  w.key("responsive").value(link_->connected() && !link_->unresponsive());
  w.key("observe_only").value(options_.observe_only);
  w.key("generation").value(hex64(link_->generation()));
  w.key("synced").value(controller_ ? controller_->synced() : false);
  w.key("pending").value(uint64_t{link_->pending()});
  w.key("in_flight").value(uint64_t{link_->in_flight()});
  w.key("sessions").begin_object();
  for (size_t i = 0; i < kSessionStateNames.size(); ++i)
    w.key(kSessionStateNames[i]).value(metrics_.sessions[i].load(std::memory_order_relaxed));
  w.end_object();
  w.key("sas").value(metrics_.sas_desired.load(std::memory_order_relaxed));
  w.key("rekeys_in_progress").value(uint64_t{controller_ ? controller_->rekeys_in_progress() : 0});
  w.key("dp_pid").value(link_->segment() ? link_->segment()->header().dp_pid : uint64_t{0});
  w.key("reconciles").value(metrics_.reconciles.load(std::memory_order_relaxed));
  w.key("replays").value(metrics_.replays.load(std::memory_order_relaxed));
  w.end_object();
  return w.take();
}

void CpService::show_sessions(const Request& r) {
  // Counters from the last stats snapshot, by session key.
  std::unordered_map<uint32_t, const shm::SessionStats*> stats;
  if (latest_stats_)
    for (const auto& s : latest_stats_->sessions)
      if (s.in_use) stats[key_of({s.tunnel_id, s.session_id})] = &s;
  JsonWriter w;
  std::ostringstream text;
  w.begin_object().key("sessions").begin_array();
  for (const auto& [identity, s] : controller_->state().sessions()) {
    const auto& c = s.config;
    w.begin_object();
    w.key("identity").value(identity);
    w.key("state").value(kSessionStateNames[static_cast<size_t>(s.state)]);
    w.key("origin").value(origin_name(s.origin));
    w.key("tunnel_id").value(unsigned{c.tunnel_id}).key("session_id").value(unsigned{c.session_id});
    w.key("peer_tunnel_id").value(unsigned{c.peer_tunnel_id});
    w.key("peer_session_id").value(unsigned{c.peer_session_id});
    w.key("peer_port").value(unsigned{c.peer_port}).key("mtu").value(unsigned{c.mtu});
    w.key("sa_in").value(uint64_t{c.sa_in});
    if (s.sa_in_old != shm::kNone) w.key("sa_in_old").value(uint64_t{s.sa_in_old});
    w.key("sa_out").value(uint64_t{c.sa_out});
    w.key("prefixes").begin_array();
    std::string prefixes;
    for (const auto& p : c.prefixes) {
      w.value(p.to_string());
      if (!prefixes.empty()) prefixes.push_back(',');
      prefixes.append(p.to_string());
    }
    w.end_array();
    auto it = stats.find(key_of(s.key()));
    if (it != stats.end()) {
      const shm::SessionStats& st = *it->second;
      w.key("up_packets").value(st.up_packets).key("up_bytes").value(st.up_bytes);
      w.key("down_packets").value(st.down_packets).key("down_bytes").value(st.down_bytes);
      w.key("spoofed").value(st.spoofed);
    }
    w.end_object();
    text << identity << "  " << kSessionStateNames[static_cast<size_t>(s.state)] << " "
         << origin_name(s.origin) << "  ids " << c.tunnel_id << "/" << c.session_id << " peer "
         << c.peer_tunnel_id << "/" << c.peer_session_id << "  sa_in " << hex32(c.sa_in)
         << (s.sa_in_old != shm::kNone ? " (old " + hex32(s.sa_in_old) + ")" : "") << " sa_out "
         << hex32(c.sa_out) << "  mtu " << c.mtu << "  " << prefixes;
    if (it != stats.end())
      text << "  up " << it->second->up_packets << " pkts, down " << it->second->down_packets
           << " pkts";
    text << "\n";
  }
  w.end_array().end_object();
  respond(r, 0, text.str(), w.take());
}

void CpService::show_sas(const Request& r) {
  std::map<SaId, const shm::SaStats*> stats;
  if (latest_stats_)
    for (const auto& s : latest_stats_->sas)
      if (s.state != shm::SaStateCode::kFree) stats[{s.spi, s.direction}] = &s;
  static const char* const kStates[] = {"free", "active", "soft_expired", "hard_expired"};
  JsonWriter w;
  std::ostringstream text;
  w.begin_object().key("sas").begin_array();
  for (const auto& [id, sa] : controller_->state().sas()) {
    const auto& c = sa.config;  // never the key
    w.begin_object();
    w.key("spi").value(uint64_t{c.spi}).key("direction").value(direction_name(id.direction));
    w.key("origin").value(origin_name(sa.origin));
    w.key("local").value(c.local.to_string()).key("remote").value(c.remote.to_string());
    w.key("proposal").value(config::proposal_name(c.proposal));
    w.key("mode").value(c.mode == config::SaMode::kTunnel ? "tunnel" : "transport");
    w.key("esn").value(c.esn).key("nat_t").value(c.nat_t);
    if (c.nat_t)
      w.key("local_port")
          .value(unsigned{c.local_port})
          .key("remote_port")
          .value(unsigned{c.remote_port});
    w.key("replay_window").value(uint64_t{c.replay_window});
    w.key("sessions").value(uint64_t{controller_->state().sa_references(id)});
    auto it = stats.find(id);
    if (it != stats.end()) {
      const shm::SaStats& st = *it->second;
      w.key("state").value(kStates[static_cast<size_t>(st.state) & 3]);
      w.key("packets").value(st.packets).key("bytes").value(st.bytes);
      w.key("auth_failed").value(st.auth_failed).key("replayed").value(st.replayed);
      w.key("seq").value(st.seq);
    }
    w.end_object();
    text << direction_name(id.direction) << " " << hex32(c.spi) << "  " << origin_name(sa.origin)
         << "  " << c.local.to_string() << " <-> " << c.remote.to_string() << "  "
         << config::proposal_name(c.proposal) << "  sessions "
         << controller_->state().sa_references(id);
    if (it != stats.end()) text << "  " << it->second->packets << " pkts";
    text << "\n";
  }
  w.end_array().end_object();
  respond(r, 0, text.str(), w.take());
}

void CpService::show_counters(const Request& r, bool drops_only, bool all) {
  const bool want_all = all;
  std::optional<shm::StatsSnapshot> fresh;
  if (link_->connected()) {
    shm::StatsSnapshot s;
    if (shm::read_stats(*link_->segment(), s, shm::StatsTables::kNone)) fresh = std::move(s);
  }
  JsonWriter w;
  std::ostringstream text;
  w.begin_object();
  if (!drops_only) {
    w.key("dataplane").begin_object();
    w.key("connected").value(fresh.has_value());
  }
  std::vector<std::pair<std::string, uint64_t>> drops;
  if (fresh) {
    const shm::StatsHeader& h = fresh->header;
    const uint32_t workers = std::min<uint32_t>(h.workers, shm::kMaxWorkers);
    const auto reasons = names_of(h.drop_reason_names, h.drop_reason_count, shm::kMaxDropReasons);
    for (size_t i = 0; i < reasons.size(); ++i) {
      uint64_t sum = 0;
      for (uint32_t w2 = 0; w2 < workers; ++w2) sum += h.worker_stats[w2].drops[i];
      drops.emplace_back(reasons[i], sum);
    }
    if (!drops_only) {
      w.key("generation").value(hex64(fresh->generation));
      w.key("uptime_seconds").value(double(h.uptime_ns) * 1e-9);
      // Keyed by port name, with the stats area's field names.
      w.key("ports").begin_object();
      text << "data plane (generation " << hex64(fresh->generation) << ")\n";
      const auto ports = names_of(h.port_names, h.ports, shm::kMaxPorts);
      for (size_t p = 0; p < ports.size(); ++p) {
        const shm::PortStats& ps = h.port_stats[p];
        w.key(ports[p]).begin_object();
        w.key("role").value(h.port_roles[p] == 0 ? "access" : "core");
        w.key("rx_packets").value(ps.rx_packets).key("rx_bytes").value(ps.rx_bytes);
        w.key("tx_packets").value(ps.tx_packets).key("tx_bytes").value(ps.tx_bytes);
        w.key("nic_missed").value(ps.nic_missed).key("nic_errors").value(ps.nic_errors);
        w.end_object();
        text << "  port " << ports[p] << ": rx " << ps.rx_packets << " pkts " << ps.rx_bytes
             << " B, tx " << ps.tx_packets << " pkts " << ps.tx_bytes << " B, missed "
             << ps.nic_missed << ", errors " << ps.nic_errors << "\n";
      }
      w.end_object();
      w.key("drops").begin_object();
      for (const auto& [name, n] : drops) w.key(name).value(n);
      w.end_object();
      const auto kinds = names_of(h.punt_kind_names, h.punt_kind_count, shm::kMaxPuntKinds);
      w.key("punts").begin_object();
      text << "  punts:";
      for (size_t k = 0; k < kinds.size(); ++k) {
        uint64_t sum = 0;
        for (uint32_t w2 = 0; w2 < workers; ++w2) sum += h.worker_stats[w2].punts[k];
        w.key(kinds[k]).value(sum);
        text << " " << kinds[k] << "=" << sum;
      }
      w.end_object();
      uint64_t peer = 0, global = 0, ring_full = 0, arp = 0, nd = 0;
      for (uint32_t w2 = 0; w2 < workers; ++w2) {
        peer += h.worker_stats[w2].punt_policed_peer;
        global += h.worker_stats[w2].punt_policed_global;
        ring_full += h.worker_stats[w2].punt_ring_full;
        arp += h.worker_stats[w2].arp_replies;
        nd += h.worker_stats[w2].nd_replies;
      }
      w.key("workers").begin_array();
      for (uint32_t w2 = 0; w2 < workers; ++w2) {
        const shm::WorkerStats& ws = h.worker_stats[w2];
        w.begin_object().key("polls").value(ws.polls).key("busy_polls").value(ws.busy_polls);
        w.key("punt_policed_peer").value(ws.punt_policed_peer);
        w.key("punt_policed_global").value(ws.punt_policed_global);
        w.key("punt_ring_full").value(ws.punt_ring_full);
        w.key("arp_replies").value(ws.arp_replies).key("nd_replies").value(ws.nd_replies);
        w.key("handoff_up_depth").value(ws.handoff_up_depth);
        w.key("handoff_down_depth").value(ws.handoff_down_depth);
        w.end_object();
      }
      w.end_array();
      w.key("punt_policed_peer").value(peer).key("punt_policed_global").value(global);
      w.key("punt_ring_full").value(ring_full);
      w.key("arp_replies").value(arp).key("nd_replies").value(nd);
      w.key("mempool").begin_object().key("in_use").value(h.mempool_in_use);
      w.key("capacity").value(h.mempool_capacity).end_object();
      w.key("rings").begin_object();
      w.key("command_depth").value(h.command_ring_depth);
      w.key("reply_depth").value(h.reply_ring_depth);
      w.key("inject_depth").value(h.inject_ring_depth);
      w.key("inject_dropped").value(h.inject_dropped);
      w.end_object();
      w.key("sas_in_use").value(uint64_t{h.sas_in_use});
      w.key("sessions_in_use").value(uint64_t{h.sessions_in_use});
      w.key("ipv4_prefixes").value(uint64_t{h.ipv4_prefixes});
      w.key("ipv6_prefixes").value(uint64_t{h.ipv6_prefixes});
      w.key("commands_done").value(h.commands_done);
      text << "\n  policed punts: peer " << peer << ", global " << global << "; punt ring full "
           << ring_full << "\n  mempool " << h.mempool_in_use << "/" << h.mempool_capacity
           << "; rings: command " << h.command_ring_depth << ", reply " << h.reply_ring_depth
           << ", inject " << h.inject_ring_depth << " (dropped " << h.inject_dropped << ")\n"
           << "  tables: " << h.sas_in_use << " SAs, " << h.sessions_in_use << " sessions, "
           << h.ipv4_prefixes << " IPv4 + " << h.ipv6_prefixes << " IPv6 prefixes\n";
      text << "  drops:";
      for (const auto& [name, n] : drops)
        if (n != 0) text << " " << name << "=" << n;
      text << "\n";
    }
  } else if (!drops_only) {
    text << "data plane: not connected\n";
  }
  if (drops_only) {
    w.key("drops").begin_object();
    for (const auto& [name, n] : drops) {
      if (n == 0 && !want_all) continue;
      w.key(name).value(n);
      text << name << " " << n << "\n";
    }
    w.end_object().end_object();
    return respond(r, 0, text.str(), w.take());
  }
  w.end_object();  // dataplane
  const auto& m = metrics_;
  const auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  w.key("controlplane").begin_object();
  w.key("commands_sent").value(get(m.commands_sent));
  w.key("commands_failed").value(get(m.commands_failed));
  w.key("commands_queued").value(get(m.commands_queued));
  w.key("latency_count").value(get(m.latency_count));
  w.key("latency_sum_seconds").value(double(get(m.latency_sum_ns)) * 1e-9);
  w.key("punts_received").begin_object();
  for (size_t k = 0; k < shm::kMaxPuntKinds; ++k) {
    const uint64_t n = get(m.punts_received[k]);
    if (k < punt_kind_names_.size())
      w.key(punt_kind_names_[k]).value(n);
    else if (n != 0)
      w.key(std::to_string(k)).value(n);
  }
  w.end_object();
  w.key("security_samples").value(get(m.security_samples));
  w.key("drop_captures").value(get(m.drop_captures));
  w.key("lcp_echo_replies").value(get(m.lcp_echo_replies));
  w.key("punts_malformed").value(get(m.punts_malformed));
  w.key("inject_ring_full").value(get(m.inject_ring_full));
  w.key("security_events").value(get(m.security_events));
  w.key("security_suppressed").value(get(m.security_suppressed));
  w.key("sessions").begin_object();
  for (size_t i = 0; i < kSessionStateNames.size(); ++i)
    w.key(kSessionStateNames[i]).value(get(m.sessions[i]));
  w.end_object();
  w.key("sas_desired").value(get(m.sas_desired));
  w.key("dp_generation").value(hex64(get(m.dp_generation)));
  w.key("dp_connected").value(get(m.dp_connected));
  w.key("reconciles").value(get(m.reconciles));
  w.key("replays").value(get(m.replays));
  w.key("config_reloads").value(get(m.config_reloads));
  w.key("config_reload_errors").value(get(m.config_reload_errors));
  w.end_object().end_object();
  text << "control plane: " << get(m.commands_sent) << " commands sent, " << get(m.commands_failed)
       << " failed, " << get(m.commands_queued) << " queued; sessions " << get(m.sessions[0])
       << " pending, " << get(m.sessions[1]) << " active, " << get(m.sessions[2]) << " failed; "
       << get(m.sas_desired) << " SAs\n"
       << "  punts handled: " << get(m.lcp_echo_replies) << " LCP echo replies, "
       << get(m.punts_malformed) << " malformed, " << get(m.security_samples)
       << " security samples, " << get(m.security_events) << " security events ("
       << get(m.security_suppressed) << " suppressed)\n"
       << "  reconciles " << get(m.reconciles) << ", replays " << get(m.replays) << ", reloads "
       << get(m.config_reloads) << " (" << get(m.config_reload_errors) << " failed)\n";
  respond(r, 0, text.str(), w.take());
}

// ---------------------------------------------------------------------------
// Drop capture.

void CpService::start_capture(Request r) {
  auto parsed = parse_capture(r.args);
  const CaptureArgs args = std::get<CaptureArgs>(parsed);
  if (capture_) return respond_error(r, 1, "a capture is already running");
  if (!controller_->synced() && !link_->connected())
    return respond_error(r, 1, "the data plane is not connected");
  shm::CaptureRequest q{};
  q.reason = 0xff;
  q.count = args.count;
  if (!args.reason.empty()) {
    auto it = std::find(drop_reason_names_.begin(), drop_reason_names_.end(), args.reason);
    if (it == drop_reason_names_.end())
      return respond_error(r, 2,
                           "--reason: \"" + args.reason +
                               "\" is not a drop reason of this "
                               "data plane (see show drops --all)");
    q.reason = static_cast<uint8_t>(it - drop_reason_names_.begin());
  }
  if (!args.identity.empty()) {
    const SessionEntry* s = controller_->state().find_session(args.identity);
    if (s == nullptr)
      return respond_error(r, 2, "--identity: no session \"" + args.identity + "\"");
    // The data plane resolves the key (kNotFound if it has not got the
    // session yet).
    q.one_session = 1;
    q.session = shm::SessionKey{s->config.tunnel_id, s->config.session_id};
  }
  Capture c;
  c.request = std::move(r);
  c.wanted = args.count;
  c.deadline_ns = options_.now_ns() + static_cast<uint64_t>(args.timeout_seconds * 1e9);
  capture_ = std::move(c);
  link_->send(Command::capture(q), [this](const Reply& reply) {
    if (!capture_) return;
    if (!reply.ok()) {
      Request req = std::move(capture_->request);
      capture_.reset();
      respond_error(req, 1,
                    std::string("data plane refused the capture: ") +
                        (reply.abandoned ? reply.text : status_name(reply.status)) +
                        (reply.text.empty() || reply.abandoned ? "" : ": " + reply.text));
      return;
    }
    capture_->armed = true;
  });
}

void CpService::finish_capture(const std::string& why) {
  if (!capture_) return;
  Capture c = std::move(*capture_);
  capture_.reset();
  if (link_->connected()) {
    shm::CaptureRequest off{};
    off.reason = 0xff;
    off.count = 0;  // disarm
    link_->send(Command::capture(off));
  }
  JsonWriter w;
  w.begin_object().key("reason_names").begin_array();
  for (const auto& n : drop_reason_names_) w.value(n);
  w.end_array().key("packets").begin_array();
  static const char kHex[] = "0123456789abcdef";
  for (const auto& p : c.packets) {
    w.begin_object();
    w.key("timestamp_ns").value(p.timestamp_ns);
    w.key("layer").value(unsigned{static_cast<uint8_t>(p.layer)});
    w.key("port").value(unsigned{p.port});
    const std::string reason =
        p.drop_reason < drop_reason_names_.size() ? drop_reason_names_[p.drop_reason] : "";
    w.key("reason").value(reason);
    std::string identity;
    if (p.session.tunnel_id != 0 || p.session.session_id != 0)
      identity = identity_of_session(p.session);
    if (identity.empty() && p.spi != shm::kNone) identity = identity_of_spi(p.spi);
    if (!identity.empty()) w.key("identity").value(identity);
    w.key("original_length").value(unsigned{p.original_length});
    const uint16_t length = std::min<uint16_t>(p.length, shm::kPacketBytes);
    std::string hex;
    hex.reserve(length * 2u);
    for (uint16_t i = 0; i < length; ++i) {
      hex += kHex[p.data[i] >> 4];
      hex += kHex[p.data[i] & 15];
    }
    w.key("data").value(hex);
    w.end_object();
  }
  w.end_array().end_object();
  respond(c.request, 0, std::to_string(c.packets.size()) + " packets captured (" + why + ")",
          w.take());
}

}  // namespace softwire::cp
