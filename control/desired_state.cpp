#include "control/desired_state.h"

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "common/hex_text.h"
#include "config/addresses.h"
#include "shm/records.h"

namespace softwire::cp {

const char* origin_name(Origin origin) {
  return origin == Origin::kStatic ? "static" : "dynamic";
}

DesiredState::~DesiredState() {
  set_metrics(nullptr);
}

void DesiredState::set_metrics(CpMetrics* metrics) {
  if (metrics_ != nullptr) {
    for (const auto& [identity, s] : sessions_) count_state(s.state, -1);
    metrics_->sas_desired.fetch_sub(sas_.size(), std::memory_order_relaxed);
  }
  metrics_ = metrics;
  if (metrics_ != nullptr) {
    for (const auto& [identity, s] : sessions_) count_state(s.state, +1);
    metrics_->sas_desired.fetch_add(sas_.size(), std::memory_order_relaxed);
  }
}

std::string DesiredState::check_sa_add(const config::SaConfig& sa) const {
  const SaId id = sa_id_of(sa);
  if (sas_.count(id))
    return "spi: an " + std::string(id.direction == shm::Direction::kIn ? "inbound" : "outbound") +
           " SA " + hex32(sa.spi) + " exists";
  return "";
}

std::string DesiredState::check_sa_delete(SaId id) const {
  if (!sas_.count(id)) return "spi: no SA " + to_string(id);
  if (const uint32_t n = sa_references(id); n != 0) {
    for (const auto& [identity, s] : sessions_) {
      if ((id.direction == shm::Direction::kIn &&
           (s.config.sa_in == id.spi || s.sa_in_old == id.spi)) ||
          (id.direction == shm::Direction::kOut && s.config.sa_out == id.spi))
        return "spi: SA " + to_string(id) + " is in use by session \"" + identity + "\"" +
               (n > 1 ? " and " + std::to_string(n - 1) + " more" : "");
    }
  }
  return "";
}

std::string DesiredState::check_session_add(const config::SessionConfig& s) const {
  if (s.identity.empty() || s.identity.size() >= shm::kIdentityLength)
    return "identity: must be 1.." + std::to_string(shm::kIdentityLength - 1) + " bytes";
  if (sessions_.count(s.identity)) return "identity: session \"" + s.identity + "\" exists";
  const SaEntry* in = find_sa({s.sa_in, shm::Direction::kIn});
  if (in == nullptr) return "sa_in: no inbound SA " + hex32(s.sa_in);
  const SaEntry* out = find_sa({s.sa_out, shm::Direction::kOut});
  if (out == nullptr) return "sa_out: no outbound SA " + hex32(s.sa_out);
  // Both SAs of a session protect one conversation with one SI (as the loader checks).
  if (in->config.local != out->config.local || in->config.remote != out->config.remote)
    return "sa_out: " + hex32(s.sa_out) + " does not join the same addresses as sa_in " +
           hex32(s.sa_in);
  if (in->config.nat_t != out->config.nat_t || in->config.mode != out->config.mode ||
      (in->config.nat_t && (in->config.local_port != out->config.local_port ||
                            in->config.remote_port != out->config.remote_port)))
    return "sa_out: " + hex32(s.sa_out) + " and sa_in " + hex32(s.sa_in) +
           " differ in NAT-T or mode";
  if (const SessionEntry* other = find_session(shm::SessionKey{s.tunnel_id, s.session_id}))
    return "session_id: tunnel_id " + std::to_string(s.tunnel_id) + " with session_id " +
           std::to_string(s.session_id) + " is already used by session \"" +
           other->config.identity + "\"";
  for (size_t i = 0; i < s.prefixes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (s.prefixes[j].contains(s.prefixes[i].address) ||
          s.prefixes[i].contains(s.prefixes[j].address))
        return "prefixes: " + s.prefixes[i].to_string() + " overlaps " + s.prefixes[j].to_string() +
               " of the same session";
    }
    if (const std::string* owner = overlapping_owner(s.prefixes[i]))
      return "prefixes: " + s.prefixes[i].to_string() + " overlaps a prefix of session \"" +
             *owner + "\"";
  }
  return "";
}

void DesiredState::add_sa(config::SaConfig sa, Origin origin) {
  const SaId id = sa_id_of(sa);
  auto [it, inserted] = sas_.insert_or_assign(id, SaEntry{std::move(sa), origin});
  if (inserted && metrics_ != nullptr)
    metrics_->sas_desired.fetch_add(1, std::memory_order_relaxed);
}

void DesiredState::remove_sa(SaId id) {
  if (sas_.erase(id) && metrics_ != nullptr)
    metrics_->sas_desired.fetch_sub(1, std::memory_order_relaxed);
}

SessionEntry& DesiredState::add_session(config::SessionConfig session, Origin origin) {
  std::sort(session.prefixes.begin(), session.prefixes.end(), PrefixLess{});
  std::string identity = session.identity;
  SessionEntry entry;
  entry.config = std::move(session);
  entry.origin = origin;
  auto [it, inserted] = sessions_.emplace(std::move(identity), std::move(entry));
  SessionEntry& s = it->second;
  // The indexes point at the map's key: stable until the session goes.
  const std::string* key = &it->first;
  identity_by_key_[key_of(s.key())] = key;
  for (const auto& p : s.config.prefixes) prefix_owner_[p] = key;
  reference(key, s, +1);
  count_state(s.state, +1);
  return s;
}

void DesiredState::remove_session(const std::string& identity) {
  auto it = sessions_.find(identity);
  if (it == sessions_.end()) return;
  const SessionEntry& s = it->second;
  reference(&it->first, s, -1);
  count_state(s.state, -1);
  for (const auto& p : s.config.prefixes) prefix_owner_.erase(p);
  identity_by_key_.erase(key_of(s.key()));
  sessions_.erase(it);
}

void DesiredState::set_session_sas(const std::string& identity, uint32_t sa_in, uint32_t sa_in_old,
                                   uint32_t sa_out) {
  auto it = sessions_.find(identity);
  if (it == sessions_.end()) return;
  SessionEntry& s = it->second;
  reference(&it->first, s, -1);
  s.config.sa_in = sa_in;
  s.sa_in_old = sa_in_old;
  s.config.sa_out = sa_out;
  reference(&it->first, s, +1);
}

void DesiredState::set_state(const std::string& identity, SessionStateCode state) {
  auto it = sessions_.find(identity);
  if (it == sessions_.end() || it->second.state == state) return;
  count_state(it->second.state, -1);
  it->second.state = state;
  count_state(state, +1);
}

void DesiredState::set_all_states(SessionStateCode state) {
  for (auto& [identity, s] : sessions_) {
    count_state(s.state, -1);
    s.state = state;
    count_state(state, +1);
  }
}

const SaEntry* DesiredState::find_sa(SaId id) const {
  auto it = sas_.find(id);
  return it == sas_.end() ? nullptr : &it->second;
}

const SessionEntry* DesiredState::find_session(const std::string& identity) const {
  auto it = sessions_.find(identity);
  return it == sessions_.end() ? nullptr : &it->second;
}

const SessionEntry* DesiredState::find_session(shm::SessionKey key) const {
  auto it = identity_by_key_.find(key_of(key));
  return it == identity_by_key_.end() ? nullptr : find_session(*it->second);
}

uint32_t DesiredState::sa_references(SaId id) const {
  auto it = references_.find(id);
  return it == references_.end() ? 0 : it->second;
}

const std::string* DesiredState::identity_for_inbound_spi(uint32_t spi) const {
  auto it = identity_by_inbound_spi_.find(spi);
  return it == identity_by_inbound_spi_.end() ? nullptr : it->second;
}

TableImage DesiredState::image() const {
  TableImage image;
  for (const auto& [id, sa] : sas_) image.sas.emplace(id, record_of(sa));
  for (const auto& [identity, s] : sessions_) image.sessions.emplace(identity, image_of(s));
  return image;
}

shm::SaRecord DesiredState::record_of(const SaEntry& sa) {
  shm::SaRecord record = shm::to_record(sa.config);
  record.origin = sa.origin;
  return record;
}

SessionImage DesiredState::image_of(const SessionEntry& s) {
  SessionImage image;
  image.record = shm::to_record(s.config);
  image.record.origin = s.origin;
  image.record.sa_in_old_spi = s.sa_in_old;
  image.prefixes = s.config.prefixes;
  return image;
}

void DesiredState::reference(const std::string* identity, const SessionEntry& s, int delta) {
  const auto bump = [&](SaId id) {
    uint32_t& n = references_[id];
    n += static_cast<uint32_t>(delta);
    if (n == 0) references_.erase(id);
  };
  const auto own = [&](uint32_t spi) {
    if (delta > 0) {
      identity_by_inbound_spi_.try_emplace(spi, identity);  // the first owner names it
    } else if (auto it = identity_by_inbound_spi_.find(spi);
               it != identity_by_inbound_spi_.end() && it->second == identity) {
      identity_by_inbound_spi_.erase(it);
    }
  };
  bump({s.config.sa_in, shm::Direction::kIn});
  own(s.config.sa_in);
  if (s.sa_in_old != shm::kNone && s.sa_in_old != s.config.sa_in) {
    bump({s.sa_in_old, shm::Direction::kIn});
    own(s.sa_in_old);
  }
  bump({s.config.sa_out, shm::Direction::kOut});
}

void DesiredState::count_state(SessionStateCode state, int delta) {
  if (metrics_ == nullptr) return;
  auto& gauge = metrics_->sessions[static_cast<size_t>(state)];
  if (delta > 0)
    gauge.fetch_add(1, std::memory_order_relaxed);
  else
    gauge.fetch_sub(1, std::memory_order_relaxed);
}

const std::string* DesiredState::overlapping_owner(const config::IpPrefix& p) const {
  // Owned prefixes never overlap each other, so at most one of them can
  // contain p: the last one sorting at or before p's address (any other
  // container would contain that one too). Prefixes inside p sort right at
  // or after p itself. Two lookups instead of one per prefix length.
  const auto same_family = [&](const config::IpPrefix& q) {
    return q.address.family == p.address.family;
  };
  auto after = prefix_owner_.upper_bound(config::IpPrefix{p.address, 255});
  if (after != prefix_owner_.begin()) {
    const auto& [q, owner] = *std::prev(after);
    if (same_family(q) && (q.contains(p.address) || p.contains(q.address))) return owner;
  }
  auto inside = prefix_owner_.lower_bound(p);
  if (inside != prefix_owner_.end() && same_family(inside->first) &&
      p.contains(inside->first.address))
    return inside->second;
  return nullptr;
}

}  // namespace softwire::cp
