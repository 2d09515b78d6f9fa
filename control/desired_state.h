// The control plane's state: what the data plane's tables should hold. SAs
// by (direction, SPI) with their key material (config::KeyMaterial wipes
// itself), sessions by identity with their make-before-break inbound SA
// (sa_in_old), where they came from (the configuration file or softwire-ctl)
// and whether the data plane has acknowledged them. Owned and used by the
// cp's main loop thread only; the session state gauges in CpMetrics follow
// every change.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.h"
#include "control/cp_metrics.h"
#include "control/reconciler.h"

namespace softwire::cp {

// Static: from the configuration file; dynamic: added with softwire-ctl (or
// adopted from a data plane's dump after a cp restart).
using Origin = shm::Origin;
const char* origin_name(Origin origin);

struct SaEntry {
  config::SaConfig config;
  Origin origin = Origin::kDynamic;
};

struct SessionEntry {
  config::SessionConfig config;  // prefixes sorted with PrefixLess
  uint32_t sa_in_old = shm::kNone;
  Origin origin = Origin::kDynamic;
  SessionStateCode state = SessionStateCode::kPending;

  shm::SessionKey key() const { return {config.tunnel_id, config.session_id}; }
};

class DesiredState {
 public:
  // `metrics` (may be null: a scratch state) gets the session state and SA
  // gauges.
  explicit DesiredState(CpMetrics* metrics) : metrics_(metrics) {}
  DesiredState(const DesiredState&) = delete;
  DesiredState& operator=(const DesiredState&) = delete;
  ~DesiredState();

  // Checks against the current state. Empty when the object can be added;
  // otherwise the reason, starting with the argument's name ("spi: ...").
  std::string check_sa_add(const config::SaConfig& sa) const;
  std::string check_session_add(const config::SessionConfig& session) const;
  // Why an SA cannot be deleted now ("" when it can).
  std::string check_sa_delete(SaId id) const;

  // Adders assume the check passed.
  void add_sa(config::SaConfig sa, Origin origin);
  void remove_sa(SaId id);
  SessionEntry& add_session(config::SessionConfig session, Origin origin);
  void remove_session(const std::string& identity);
  void set_session_sas(const std::string& identity, uint32_t sa_in, uint32_t sa_in_old,
                       uint32_t sa_out);
  void set_state(const std::string& identity, SessionStateCode state);
  void set_all_states(SessionStateCode state);
  // Moves the gauges' contribution of this state to `metrics` (or none).
  void set_metrics(CpMetrics* metrics);

  const SaEntry* find_sa(SaId id) const;
  const SessionEntry* find_session(const std::string& identity) const;
  const SessionEntry* find_session(shm::SessionKey key) const;
  // Sessions that reference the SA as sa_in, sa_in_old or sa_out.
  uint32_t sa_references(SaId id) const;
  // The identity owning `spi` as its (current or old) inbound SA, if any.
  const std::string* identity_for_inbound_spi(uint32_t spi) const;

  const std::map<SaId, SaEntry>& sas() const { return sas_; }
  const std::map<std::string, SessionEntry>& sessions() const { return sessions_; }

  // The tables as the data plane should hold them (SA records with keys).
  TableImage image() const;
  static SessionImage image_of(const SessionEntry& session);
  static shm::SaRecord record_of(const SaEntry& sa);  // with key and origin

 private:
  // `identity`: the session's key in sessions_.
  void reference(const std::string* identity, const SessionEntry& s, int delta);
  void count_state(SessionStateCode state, int delta);
  // The identity of a session owning a prefix that overlaps `p`, if any.
  const std::string* overlapping_owner(const config::IpPrefix& p) const;

  CpMetrics* metrics_;
  std::map<SaId, SaEntry> sas_;
  std::map<std::string, SessionEntry> sessions_;
  // Indexes into sessions_: pointers to its keys (stable while the session exists).
  std::unordered_map<uint32_t, const std::string*> identity_by_key_;  // key_of(SessionKey)
  std::map<SaId, uint32_t> references_;
  std::map<config::IpPrefix, const std::string*, PrefixLess> prefix_owner_;
  // Inbound SPI -> the first session that took it as sa_in/sa_in_old
  // (security log identities); gone when that session leaves it.
  std::unordered_map<uint32_t, const std::string*> identity_by_inbound_spi_;
};

}  // namespace softwire::cp
