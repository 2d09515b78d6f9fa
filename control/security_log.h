// The security event log: attacks and anomalies the data plane reports, as
// JSON lines (one object per line) for a SIEM, rate limited so that an attack
// cannot turn into a disk-filling or log-shipping flood.
//
// Keys, in this order, each only when known:
//   "time"      RFC 3339 UTC with milliseconds, when the record was written
//   "event"     spoofing | replay_burst | auth_failure | unknown_spi | punt_flood
//   "instance"  Options::instance
//   "identity"  the authenticated identity that owns the session / SA
//   "peer", "peer_port"  outer source address (and UDP source port)
//   "spi", "sa_index"    inbound SA (SPI as a number, like --stats-json)
//   "session"   {"tunnel_id": T, "session_id": S}
//   "reason"    the data plane's counter: drop reason name (spoofed_source,
//               replay, auth_failed, unknown_spi) or punt_policed_peer /
//               punt_policed_global
//   "count"     dropped packets this record stands for (see below)
//   "suppressed" records the rate limit suppressed for this key since its
//               last record (only when > 0)
// Never key material, never packet bytes.
//
// Samples and counter deltas describe the same drops; each drop is counted
// once:
// - a security sample (dp: a few per second per worker) is written at once
//   with its detail (peer, SPI, session) and "count": 1, and leaves a credit
//   of one drop on its counter (the session's spoofed, the SA's replayed or
//   auth_failed, the workers' unknown_spi);
// - a counter delta between two snapshots first consumes that credit and is
//   written only for the rest ("count": drops no sample described), without
//   peer detail (punt_flood: the peer policer's last_policed_peer).
// A sample read after the snapshot that already counted its drop leaves a
// credit that a later delta of the same counter consumes; at most
// kMaxCredits counters hold credit (beyond that a sample's drop may be
// counted twice).
//
// Rate limit: token buckets on the clock, one per (event, identity — or the
// peer when the identity is unknown) with Options::per_key_per_second and
// Options::burst, and one global (global_per_second, burst of one second).
// A record denied by either is not written: metrics.security_suppressed
// counts it, and the key's next written record carries "suppressed": N and
// adds the suppressed records' counts to its own "count", so that the counts
// of a key's written records still add up to its drops. At most kMaxKeys
// keys are tracked; idle ones are forgotten first.
//
// Used by softwire-cp's main loop thread only (not thread-safe); it writes
// metrics.security_events / security_suppressed, which the metrics thread
// reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "control/cp_metrics.h"
#include "shm/protocol.h"
#include "shm/segment.h"

namespace softwire::cp {

// CLOCK_REALTIME in nanoseconds (shm::realtime_ns in production).
using Clock = std::function<uint64_t()>;

// Who owns a session / an inbound SA; "" (or an empty function) = unknown.
struct IdentityResolver {
  std::function<std::string(shm::SessionKey)> session;
  std::function<std::string(uint32_t spi)> sa;
};

class SecurityLog {
 public:
  struct Options {
    std::string instance;
    double per_key_per_second = 1;
    double burst = 5;
    double global_per_second = 100;
  };
  static constexpr size_t kMaxKeys = 4096;
  static constexpr size_t kMaxCredits = 65536;

  SecurityLog(std::ostream& out, CpMetrics& metrics, Options options, Clock clock);

  // The data plane's drop reason names (shm::StatsHeader::drop_reason_names,
  // in index order). Samples and deltas are recognised by these names.
  void set_drop_reason_names(std::vector<std::string> names);

  // A kSecuritySample record; identity resolved by the caller ("" if
  // unknown). Samples of other drop reasons are ignored.
  void on_sample(const shm::PacketRecord& sample, std::string_view identity);

  // Counter deltas between two snapshots of the same generation (otherwise
  // nothing is written and the credits are forgotten): per session spoofed
  // -> "spoofing"; per inbound SA replayed / auth_failed -> "replay_burst" /
  // "auth_failure"; workers' unknown_spi drops -> "unknown_spi"; workers'
  // punt_policed_peer / punt_policed_global -> "punt_flood". A table entry
  // that is free, or holds another session/SA, in `before` counts from zero.
  void on_stats(const shm::StatsSnapshot& before, const shm::StatsSnapshot& after,
                const IdentityResolver& who);

 private:
  enum class Event : uint8_t { kSpoofing, kReplayBurst, kAuthFailure, kUnknownSpi, kPuntFlood };

  // One record before rate limiting; optional fields are omitted when unset.
  struct Record {
    Event event = Event::kSpoofing;
    std::string_view identity = {};
    const shm::Address* peer = nullptr;
    uint16_t peer_port = 0;
    uint32_t spi = shm::kNone;
    uint32_t sa_index = shm::kNone;
    bool has_session = false;
    shm::SessionKey session{};
    std::string_view reason = {};
    uint64_t count = 1;
  };

  struct Bucket {
    double tokens = 0;
    uint64_t last_ns = 0;
    void refill(uint64_t now_ns, double rate, double capacity);
  };

  struct KeyState {
    Bucket bucket;
    uint64_t suppressed_records = 0;
    uint64_t suppressed_count = 0;  // drops the suppressed records stood for
  };

  // Which counter a credit belongs to: the event and the session key or SPI.
  using CreditKey = std::pair<Event, uint32_t>;

  void emit(const Record& record);
  KeyState& key_state(Event event, std::string_view identity_or_peer, uint64_t now_ns);
  void add_credit(CreditKey key);
  uint64_t take_credit(CreditKey key, uint64_t drops);
  size_t reason_index(std::string_view name) const;

  std::ostream& out_;
  CpMetrics& metrics_;
  Options options_;
  Clock clock_;
  std::vector<std::string> drop_reason_names_;
  std::unordered_map<std::string, KeyState> keys_;
  Bucket global_;
  std::map<CreditKey, uint64_t> credits_;
};

}  // namespace softwire::cp
