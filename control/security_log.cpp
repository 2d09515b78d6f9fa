#include "control/security_log.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <utility>

namespace softwire::cp {
namespace {

constexpr std::array<const char*, 5> kEventNames = {"spoofing", "replay_burst", "auth_failure",
                                                    "unknown_spi", "punt_flood"};

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs,
// no surrogates, at most U+10FFFF), or 0 when it is not one.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(i);
  size_t n;
  uint8_t low = 0x80, high = 0xbf;  // range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) low = 0xa0;
    if (b0 == 0xed) high = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) low = 0x90;
    if (b0 == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

// A JSON string literal. Control characters are escaped; bytes that are not
// well-formed UTF-8 become U+FFFD so that every line stays valid JSON text.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else if (const size_t n = utf8_sequence_length(s, i); n != 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\\ufffd";
      ++i;
    }
  }
  out += '"';
}

void append_key(std::string& out, const char* key) {
  out += out.size() > 1 ? ", \"" : "\"";
  out += key;
  out += "\": ";
}

std::string rfc3339_utc_ms(uint64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1000000000u);
  const unsigned ms = static_cast<unsigned>(ns / 1000000u % 1000u);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char text[96];  // room for any int the format may print
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
  return text;
}

// "" for Family::kNone (or anything unknown).
std::string address_string(const shm::Address& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.family == shm::Family::kIpv4) {
    inet_ntop(AF_INET, address.bytes, text, sizeof text);
  } else if (address.family == shm::Family::kIpv6) {
    inet_ntop(AF_INET6, address.bytes, text, sizeof text);
  }
  return text;
}

// Counter growth between two snapshots; a counter that went backwards was
// reset (its entry reused) and counts from zero.
uint64_t growth(uint64_t before, uint64_t after) {
  return after >= before ? after - before : after;
}

uint32_t session_key_value(shm::SessionKey key) {
  return static_cast<uint32_t>(key.tunnel_id) << 16 | key.session_id;
}

}  // namespace

void SecurityLog::Bucket::refill(uint64_t now_ns, double rate, double capacity) {
  if (now_ns > last_ns)
    tokens = std::min(capacity, tokens + double(now_ns - last_ns) * 1e-9 * rate);
  last_ns = now_ns;  // a clock that went backwards restarts from here, without refill
}

SecurityLog::SecurityLog(std::ostream& out, CpMetrics& metrics, Options options, Clock clock)
    : out_(out), metrics_(metrics), options_(std::move(options)), clock_(std::move(clock)) {
  global_.tokens = std::max(1.0, options_.global_per_second);
  global_.last_ns = clock_();
}

void SecurityLog::set_drop_reason_names(std::vector<std::string> names) {
  drop_reason_names_ = std::move(names);
}

size_t SecurityLog::reason_index(std::string_view name) const {
  for (size_t i = 0; i < drop_reason_names_.size(); ++i) {
    if (drop_reason_names_[i] == name) return i;
  }
  return SIZE_MAX;
}

void SecurityLog::add_credit(CreditKey key) {
  const auto it = credits_.find(key);
  if (it != credits_.end()) {
    ++it->second;
  } else if (credits_.size() < kMaxCredits) {
    credits_.emplace(key, 1);
  }
}

uint64_t SecurityLog::take_credit(CreditKey key, uint64_t drops) {
  const auto it = credits_.find(key);
  if (it == credits_.end()) return drops;
  const uint64_t covered = std::min(drops, it->second);
  it->second -= covered;
  if (it->second == 0) credits_.erase(it);
  return drops - covered;
}

SecurityLog::KeyState& SecurityLog::key_state(Event event, std::string_view identity_or_peer,
                                              uint64_t now_ns) {
  std::string key(kEventNames[static_cast<size_t>(event)]);
  key += '\0';
  key += identity_or_peer;
  const double capacity = std::max(1.0, options_.burst);
  if (const auto it = keys_.find(key); it != keys_.end()) return it->second;
  if (keys_.size() >= kMaxKeys) {
    // Forget idle keys first (full bucket, nothing suppressed: a new key
    // starts the same way), then any key without a pending suppressed count,
    // then everything (the suppressed counts stay in metrics).
    for (auto it = keys_.begin(); it != keys_.end();) {
      it->second.bucket.refill(now_ns, options_.per_key_per_second, capacity);
      const bool idle = it->second.suppressed_records == 0 && it->second.bucket.tokens >= capacity;
      it = idle ? keys_.erase(it) : std::next(it);
    }
    if (keys_.size() >= kMaxKeys) {
      std::erase_if(keys_, [](const auto& entry) { return entry.second.suppressed_records == 0; });
    }
    if (keys_.size() >= kMaxKeys) keys_.clear();
  }
  KeyState& state = keys_[std::move(key)];
  state.bucket.tokens = capacity;
  state.bucket.last_ns = now_ns;
  return state;
}

void SecurityLog::emit(const Record& record) {
  const uint64_t now = clock_();
  const std::string peer = record.peer ? address_string(*record.peer) : std::string();
  KeyState& key = key_state(record.event, record.identity.empty() ? peer : record.identity, now);
  key.bucket.refill(now, options_.per_key_per_second, std::max(1.0, options_.burst));
  global_.refill(now, options_.global_per_second, std::max(1.0, options_.global_per_second));
  if (key.bucket.tokens < 1 || global_.tokens < 1) {
    ++key.suppressed_records;
    key.suppressed_count += record.count;
    metrics_.security_suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  key.bucket.tokens -= 1;
  global_.tokens -= 1;

  std::string line = "{";
  append_key(line, "time");
  append_json_string(line, rfc3339_utc_ms(now));
  append_key(line, "event");
  append_json_string(line, kEventNames[static_cast<size_t>(record.event)]);
  append_key(line, "instance");
  append_json_string(line, options_.instance);
  if (!record.identity.empty()) {
    append_key(line, "identity");
    append_json_string(line, record.identity);
  }
  if (!peer.empty()) {
    append_key(line, "peer");
    append_json_string(line, peer);
    if (record.peer_port != 0) {
      append_key(line, "peer_port");
      line += std::to_string(record.peer_port);
    }
  }
  if (record.spi != shm::kNone) {
    append_key(line, "spi");
    line += std::to_string(record.spi);
  }
  if (record.sa_index != shm::kNone) {
    append_key(line, "sa_index");
    line += std::to_string(record.sa_index);
  }
  if (record.has_session) {
    append_key(line, "session");
    line += "{\"tunnel_id\": " + std::to_string(record.session.tunnel_id) +
            ", \"session_id\": " + std::to_string(record.session.session_id) + "}";
  }
  if (!record.reason.empty()) {
    append_key(line, "reason");
    append_json_string(line, record.reason);
  }
  append_key(line, "count");
  line += std::to_string(record.count + key.suppressed_count);
  if (key.suppressed_records != 0) {
    append_key(line, "suppressed");
    line += std::to_string(key.suppressed_records);
  }
  line += "}\n";
  key.suppressed_records = 0;
  key.suppressed_count = 0;
  out_ << line;
  metrics_.security_events.fetch_add(1, std::memory_order_relaxed);
}

void SecurityLog::on_sample(const shm::PacketRecord& sample, std::string_view identity) {
  if (sample.kind != shm::PacketKind::kSecuritySample ||
      sample.drop_reason >= drop_reason_names_.size()) {
    return;
  }
  const std::string_view reason = drop_reason_names_[sample.drop_reason];
  Record record{.event = Event::kSpoofing, .identity = identity, .reason = reason};
  if (reason == "spoofed_source") {
    record.event = Event::kSpoofing;
  } else if (reason == "replay") {
    record.event = Event::kReplayBurst;
  } else if (reason == "auth_failed") {
    record.event = Event::kAuthFailure;
  } else if (reason == "unknown_spi") {
    record.event = Event::kUnknownSpi;
  } else {
    return;
  }
  if (sample.outer_src.family != shm::Family::kNone) {
    record.peer = &sample.outer_src;
    record.peer_port = sample.outer_src_port;
  }
  record.spi = sample.spi;
  record.sa_index = sample.sa_index;
  record.has_session = sample.session_index != shm::kNone;
  record.session = sample.session;

  switch (record.event) {
    case Event::kSpoofing:
      if (record.has_session) add_credit({record.event, session_key_value(sample.session)});
      break;
    case Event::kReplayBurst:
    case Event::kAuthFailure:
      if (sample.spi != shm::kNone) add_credit({record.event, sample.spi});
      break;
    default:
      add_credit({record.event, 0});
      break;
  }
  emit(record);
  out_.flush();
}

void SecurityLog::on_stats(const shm::StatsSnapshot& before, const shm::StatsSnapshot& after,
                           const IdentityResolver& who) {
  if (before.generation != after.generation) {
    credits_.clear();  // the counters restarted; credits refer to the old ones
    return;
  }

  for (size_t i = 0; i < after.sessions.size(); ++i) {
    const shm::SessionStats& now = after.sessions[i];
    if (!now.in_use) continue;
    uint64_t base = 0;
    if (i < before.sessions.size()) {
      const shm::SessionStats& then = before.sessions[i];
      if (then.in_use && then.tunnel_id == now.tunnel_id && then.session_id == now.session_id) {
        base = then.spoofed;
      }
    }
    const shm::SessionKey key{now.tunnel_id, now.session_id};
    const uint64_t drops =
        take_credit({Event::kSpoofing, session_key_value(key)}, growth(base, now.spoofed));
    if (drops == 0) continue;
    const std::string identity = who.session ? who.session(key) : std::string();
    emit({.event = Event::kSpoofing,
          .identity = identity,
          .has_session = true,
          .session = key,
          .reason = "spoofed_source",
          .count = drops});
  }

  for (size_t i = 0; i < after.sas.size(); ++i) {
    const shm::SaStats& now = after.sas[i];
    if (now.state == shm::SaStateCode::kFree || now.direction != shm::Direction::kIn) continue;
    const shm::SaStats* then = nullptr;
    if (i < before.sas.size() && before.sas[i].state != shm::SaStateCode::kFree &&
        before.sas[i].spi == now.spi && before.sas[i].direction == now.direction) {
      then = &before.sas[i];
    }
    const uint64_t replayed = take_credit({Event::kReplayBurst, now.spi},
                                          growth(then ? then->replayed : 0, now.replayed));
    const uint64_t auth_failed = take_credit({Event::kAuthFailure, now.spi},
                                             growth(then ? then->auth_failed : 0, now.auth_failed));
    if (replayed == 0 && auth_failed == 0) continue;
    const std::string identity = who.sa ? who.sa(now.spi) : std::string();
    const Record base{.event = Event::kReplayBurst,
                      .identity = identity,
                      .spi = now.spi,
                      .sa_index = static_cast<uint32_t>(i)};
    if (replayed != 0) {
      Record record = base;
      record.reason = "replay";
      record.count = replayed;
      emit(record);
    }
    if (auth_failed != 0) {
      Record record = base;
      record.event = Event::kAuthFailure;
      record.reason = "auth_failed";
      record.count = auth_failed;
      emit(record);
    }
  }

  const size_t workers =
      std::min<size_t>(std::min(before.header.workers, after.header.workers), shm::kMaxWorkers);
  const size_t unknown_spi = reason_index("unknown_spi");
  uint64_t unknown_spi_drops = 0, policed_peer = 0, policed_global = 0;
  const shm::Address* last_policed_peer = nullptr;
  uint64_t largest_peer_growth = 0;
  for (size_t w = 0; w < workers; ++w) {
    const shm::WorkerStats& then = before.header.worker_stats[w];
    const shm::WorkerStats& now = after.header.worker_stats[w];
    if (unknown_spi < shm::kMaxDropReasons) {
      unknown_spi_drops += growth(then.drops[unknown_spi], now.drops[unknown_spi]);
    }
    const uint64_t peer_growth = growth(then.punt_policed_peer, now.punt_policed_peer);
    policed_peer += peer_growth;
    policed_global += growth(then.punt_policed_global, now.punt_policed_global);
    if (peer_growth > largest_peer_growth) {
      largest_peer_growth = peer_growth;
      last_policed_peer = &now.last_policed_peer;
    }
  }
  unknown_spi_drops = take_credit({Event::kUnknownSpi, 0}, unknown_spi_drops);
  if (unknown_spi_drops != 0) {
    emit({.event = Event::kUnknownSpi, .reason = "unknown_spi", .count = unknown_spi_drops});
  }
  if (policed_peer != 0) {
    Record record{.event = Event::kPuntFlood, .reason = "punt_policed_peer", .count = policed_peer};
    if (last_policed_peer && last_policed_peer->family != shm::Family::kNone) {
      record.peer = last_policed_peer;
    }
    emit(record);
  }
  if (policed_global != 0) {
    emit({.event = Event::kPuntFlood, .reason = "punt_policed_global", .count = policed_global});
  }
  out_.flush();
}

}  // namespace softwire::cp
