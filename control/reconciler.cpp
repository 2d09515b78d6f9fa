#include "control/reconciler.h"

#include <strings.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "shm/records.h"

namespace softwire::cp {

namespace {

void wipe_sa(shm::SaRecord& r) {
  explicit_bzero(r.key, sizeof r.key);
  explicit_bzero(r.salt, sizeof r.salt);
}

bool same_address(const shm::Address& a, const shm::Address& b) {
  if (a.family != b.family) return false;
  const size_t n = a.family == shm::Family::kIpv4 ? 4 : 16;
  return std::memcmp(a.bytes, b.bytes, n) == 0;
}

bool same_prefix(const shm::Prefix& a, const shm::Prefix& b) {
  if (a.family != b.family || a.length != b.length) return false;
  const size_t n = a.family == shm::Family::kIpv4 ? 4 : 16;
  return std::memcmp(a.bytes, b.bytes, n) == 0;
}

Command with_type(shm::MessageType type) {
  Command c;
  c.message.type = type;
  return c;
}

bool references(const shm::SessionRecord& s, const std::set<SaId>& sas) {
  return sas.count({s.sa_in_spi, shm::Direction::kIn}) ||
         (s.sa_in_old_spi != shm::kNone && sas.count({s.sa_in_old_spi, shm::Direction::kIn})) ||
         sas.count({s.sa_out_spi, shm::Direction::kOut});
}

}  // namespace

SaId sa_id_of(const config::SaConfig& sa) {
  return {sa.spi,
          sa.direction == config::Direction::kIn ? shm::Direction::kIn : shm::Direction::kOut};
}

std::string to_string(SaId id) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%s 0x%08x",
                id.direction == shm::Direction::kIn ? "in" : "out", id.spi);
  return buffer;
}

namespace {

// Network-order bytes [at, at + 8) as a number, so that comparing numbers
// compares the bytes lexicographically.
uint64_t big_endian64(const std::array<uint8_t, 16>& bytes, size_t at) {
  uint64_t v;
  std::memcpy(&v, bytes.data() + at, 8);
  return __builtin_bswap64(v);
}

}  // namespace

bool PrefixLess::operator()(const config::IpPrefix& a, const config::IpPrefix& b) const {
  if (a.address.family != b.address.family) return a.address.family < b.address.family;
  const uint64_t a_high = big_endian64(a.address.bytes, 0),
                 b_high = big_endian64(b.address.bytes, 0);
  if (a_high != b_high) return a_high < b_high;
  const uint64_t a_low = big_endian64(a.address.bytes, 8), b_low = big_endian64(b.address.bytes, 8);
  if (a_low != b_low) return a_low < b_low;
  return a.length < b.length;
}

Command& Command::operator=(const Command& other) {
  if (this != &other) {
    if (message.type == shm::MessageType::kSaAdd) wipe_sa(message.body.sa);
    message = other.message;
  }
  return *this;
}

Command::~Command() {
  if (message.type == shm::MessageType::kSaAdd) wipe_sa(message.body.sa);
}

Command Command::sa_add(const shm::SaRecord& record) {
  Command c = with_type(shm::MessageType::kSaAdd);
  c.message.body.sa = record;
  return c;
}

Command Command::sa_delete(SaId id) {
  Command c = with_type(shm::MessageType::kSaDelete);
  c.message.body.sa_key.spi = id.spi;
  c.message.body.sa_key.direction = id.direction;
  return c;
}

Command Command::session_add(const shm::SessionRecord& record) {
  Command c = with_type(shm::MessageType::kSessionAdd);
  c.message.body.session = record;
  return c;
}

Command Command::session_modify(const shm::SessionRecord& record) {
  Command c = with_type(shm::MessageType::kSessionModify);
  c.message.body.session = record;
  c.message.body.session.prefix_count = 0;
  return c;
}

Command Command::session_delete(shm::SessionKey key) {
  Command c = with_type(shm::MessageType::kSessionDelete);
  c.message.body.session_key = key;
  return c;
}

Command Command::bind(shm::SessionKey key, bool unbind, const config::IpPrefix* prefixes,
                      size_t count) {
  Command c = with_type(shm::MessageType::kBindPrefixes);
  auto& b = c.message.body.prefixes;
  b.session = key;
  b.unbind = unbind ? 1 : 0;
  b.count = static_cast<uint8_t>(std::min<size_t>(count, shm::kPrefixesPerRecord));
  for (unsigned i = 0; i < b.count; ++i) b.prefixes[i] = shm::to_shm(prefixes[i]);
  return c;
}

Command Command::dump() {
  return with_type(shm::MessageType::kDump);
}

Command Command::capture(const shm::CaptureRequest& request) {
  Command c = with_type(shm::MessageType::kCapture);
  c.message.body.capture = request;
  return c;
}

TableImage::~TableImage() {
  for (auto& [id, record] : sas) wipe_sa(record);
}

void DumpCollector::add(const shm::Message& entry) {
  switch (entry.type) {
    case shm::MessageType::kDumpSa: {
      // With its key when the data plane returns keys: a restarted cp adopts
      // dynamic SAs. The image wipes it.
      shm::SaRecord& record = image_.sas[{entry.body.sa.spi, entry.body.sa.direction}];
      record = entry.body.sa;
      break;
    }
    case shm::MessageType::kDumpSession: {
      const shm::SessionRecord& r = entry.body.session;
      std::string identity;
      if (!shm::read_string(r.identity, sizeof r.identity, identity) || identity.empty()) {
        errors_.push_back("dumped session " + std::to_string(r.tunnel_id) + "/" +
                          std::to_string(r.session_id) + ": bad identity");
        image_.duplicate_sessions.push_back({r.tunnel_id, r.session_id});
        break;
      }
      const uint32_t key = key_of({r.tunnel_id, r.session_id});
      if (image_.sessions.count(identity)) {
        image_.duplicate_sessions.push_back({r.tunnel_id, r.session_id});
        break;
      }
      SessionImage& s = image_.sessions[identity];
      s.record = r;
      identity_by_key_[key] = identity;
      const unsigned n = std::min<unsigned>(r.prefix_count, shm::kPrefixesPerRecord);
      for (unsigned i = 0; i < n; ++i) {
        auto p = shm::to_config(r.prefixes[i]);
        if (auto* e = std::get_if<std::string>(&p))
          errors_.push_back("dumped session \"" + identity + "\": " + *e);
        else
          s.prefixes.push_back(std::get<config::IpPrefix>(p));
      }
      break;
    }
    case shm::MessageType::kDumpPrefixes: {
      const auto& b = entry.body.prefixes;
      auto it = identity_by_key_.find(key_of(b.session));
      if (it == identity_by_key_.end()) {
        errors_.push_back("dumped prefixes for unknown session " +
                          std::to_string(b.session.tunnel_id) + "/" +
                          std::to_string(b.session.session_id));
        break;
      }
      SessionImage& s = image_.sessions[it->second];
      const unsigned n = std::min<unsigned>(b.count, shm::kPrefixesPerRecord);
      for (unsigned i = 0; i < n; ++i) {
        auto p = shm::to_config(b.prefixes[i]);
        if (auto* e = std::get_if<std::string>(&p))
          errors_.push_back("dumped session \"" + it->second + "\": " + *e);
        else
          s.prefixes.push_back(std::get<config::IpPrefix>(p));
      }
      break;
    }
    default:
      break;
  }
}

TableImage DumpCollector::take() {
  for (auto& [identity, s] : image_.sessions) {
    std::sort(s.prefixes.begin(), s.prefixes.end(), PrefixLess{});
    s.prefixes.erase(std::unique(s.prefixes.begin(), s.prefixes.end()), s.prefixes.end());
  }
  identity_by_key_.clear();
  return std::move(image_);
}

bool same_sa(const shm::SaRecord& a, const shm::SaRecord& b) {
  const bool nat_t = a.flags & shm::kSaFlagNatT;
  if (a.spi != b.spi || a.direction != b.direction || a.proposal != b.proposal ||
      a.mode != b.mode || a.flags != b.flags || a.replay_window != b.replay_window)
    return false;
  if (nat_t && (a.local_port != b.local_port || a.remote_port != b.remote_port)) return false;
  if (!same_address(a.local, b.local) || !same_address(a.remote, b.remote) ||
      !same_prefix(a.local_ts, b.local_ts) || !same_prefix(a.remote_ts, b.remote_ts))
    return false;
  if (a.life_bytes != b.life_bytes || a.life_packets != b.life_packets ||
      a.soft_life_bytes != b.soft_life_bytes || a.soft_life_packets != b.soft_life_packets)
    return false;
  if (a.key_length != 0 && b.key_length != 0) {
    // Constant time: a diff must not leak how much of a key matched.
    uint8_t difference = a.key_length ^ b.key_length;
    for (size_t i = 0; i < sizeof a.key; ++i) difference |= a.key[i] ^ b.key[i];
    for (size_t i = 0; i < sizeof a.salt; ++i) difference |= a.salt[i] ^ b.salt[i];
    if (difference != 0) return false;
  }
  return true;
}

bool same_session_ids(const shm::SessionRecord& a, const shm::SessionRecord& b) {
  return a.tunnel_id == b.tunnel_id && a.session_id == b.session_id &&
         a.peer_tunnel_id == b.peer_tunnel_id && a.peer_session_id == b.peer_session_id &&
         a.peer_port == b.peer_port;
}

bool same_session_sas_mtu(const shm::SessionRecord& a, const shm::SessionRecord& b) {
  return a.sa_in_spi == b.sa_in_spi && a.sa_in_old_spi == b.sa_in_old_spi &&
         a.sa_out_spi == b.sa_out_spi && a.mtu == b.mtu;
}

void append_bindings(shm::SessionKey key, bool unbind,
                     const std::vector<config::IpPrefix>& prefixes, std::vector<Command>& out) {
  for (size_t i = 0; i < prefixes.size(); i += shm::kPrefixesPerRecord) {
    const size_t n = std::min<size_t>(shm::kPrefixesPerRecord, prefixes.size() - i);
    out.push_back(Command::bind(key, unbind, prefixes.data() + i, n));
  }
}

void append_session_add(const SessionImage& session, std::vector<Command>& out) {
  shm::SessionRecord r = session.record;
  r.total_prefixes = static_cast<uint32_t>(session.prefixes.size());
  r.prefix_count =
      static_cast<uint8_t>(std::min<size_t>(session.prefixes.size(), shm::kPrefixesPerRecord));
  for (unsigned i = 0; i < r.prefix_count; ++i) r.prefixes[i] = shm::to_shm(session.prefixes[i]);
  out.push_back(Command::session_add(r));
  if (session.prefixes.size() > shm::kPrefixesPerRecord) {
    const std::vector<config::IpPrefix> rest(session.prefixes.begin() + shm::kPrefixesPerRecord,
                                             session.prefixes.end());
    append_bindings(session.key(), false, rest, out);
  }
}

std::vector<Command> reconcile(const TableImage& desired, const TableImage& actual) {
  std::vector<Command> out;

  std::set<SaId> replaced_sas;
  for (const auto& [id, want] : desired.sas) {
    auto it = actual.sas.find(id);
    if (it != actual.sas.end() && !same_sa(want, it->second)) replaced_sas.insert(id);
  }

  // 1. Session deletes.
  std::set<std::string> kept;  // identities present on both sides that stay
  for (const shm::SessionKey& key : actual.duplicate_sessions)
    out.push_back(Command::session_delete(key));
  for (const auto& [identity, have] : actual.sessions) {
    auto it = desired.sessions.find(identity);
    const bool stay = it != desired.sessions.end() &&
                      same_session_ids(it->second.record, have.record) &&
                      !references(have.record, replaced_sas);
    if (stay)
      kept.insert(identity);
    else
      out.push_back(Command::session_delete(have.key()));
  }
  // 2. Replaced SAs: delete (nothing references them after step 1).
  for (const SaId& id : replaced_sas) out.push_back(Command::sa_delete(id));
  // 3. Missing and replaced SAs.
  for (const auto& [id, want] : desired.sas)
    if (!actual.sas.count(id) || replaced_sas.count(id)) out.push_back(Command::sa_add(want));
  // 4. Modify kept sessions.
  for (const std::string& identity : kept) {
    const SessionImage& want = desired.sessions.at(identity);
    const SessionImage& have = actual.sessions.at(identity);
    if (!same_session_sas_mtu(want.record, have.record))
      out.push_back(Command::session_modify(want.record));
  }
  // 5. Unbind prefixes that kept sessions lose; collect what they gain.
  std::vector<std::pair<shm::SessionKey, std::vector<config::IpPrefix>>> gains;
  for (const std::string& identity : kept) {
    const SessionImage& want = desired.sessions.at(identity);
    const SessionImage& have = actual.sessions.at(identity);
    if (want.prefixes == have.prefixes) continue;
    std::vector<config::IpPrefix> lost, gained;
    std::set_difference(have.prefixes.begin(), have.prefixes.end(), want.prefixes.begin(),
                        want.prefixes.end(), std::back_inserter(lost), PrefixLess{});
    std::set_difference(want.prefixes.begin(), want.prefixes.end(), have.prefixes.begin(),
                        have.prefixes.end(), std::back_inserter(gained), PrefixLess{});
    append_bindings(want.key(), true, lost, out);
    if (!gained.empty()) gains.emplace_back(want.key(), std::move(gained));
  }
  // 6. Bind gains, add missing sessions.
  for (const auto& [key, prefixes] : gains) append_bindings(key, false, prefixes, out);
  for (const auto& [identity, want] : desired.sessions)
    if (!kept.count(identity)) append_session_add(want, out);
  // 7. Stale SAs.
  for (const auto& [id, have] : actual.sas)
    if (!desired.sas.count(id)) out.push_back(Command::sa_delete(id));
  return out;
}

}  // namespace softwire::cp
