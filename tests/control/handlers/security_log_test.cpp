#include "control/security_log.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "json_lines.h"

namespace softwire::cp {
namespace {

using softwire::testing::JsonObject;
using softwire::testing::parse_json_lines;

// 2026-11-22T13:55:01.123456789Z
constexpr uint64_t kStart = 1795355701'123456789ull;
constexpr uint64_t kSecond = 1'000'000'000ull;

// The data plane's first drop reasons, in its order (dataplane/drop_reason.h).
const std::vector<std::string> kDropReasonNames = {
    "unknown_spi",     "auth_failed",   "replay",          "bad_padding",         "bad_next_header",
    "malformed_ip",    "malformed_esp", "malformed_udp",   "malformed_l2tp",      "malformed_ppp",
    "malformed_inner", "not_for_us",    "unknown_session", "session_sa_mismatch", "spoofed_source",
    "ttl_expired",     "no_route"};
constexpr uint8_t kUnknownSpi = 0, kAuthFailed = 1, kReplay = 2, kSpoofedSource = 14, kNoRoute = 16;

uint64_t get(const std::atomic<uint64_t>& counter) {
  return counter.load();
}

shm::Address ipv4(const char* text) {
  shm::Address a{};
  a.family = shm::Family::kIpv4;
  EXPECT_EQ(inet_pton(AF_INET, text, a.bytes), 1);
  return a;
}

shm::Address ipv6(const char* text) {
  shm::Address a{};
  a.family = shm::Family::kIpv6;
  EXPECT_EQ(inet_pton(AF_INET6, text, a.bytes), 1);
  return a;
}

std::unique_ptr<shm::PacketRecord> sample(uint8_t reason) {
  auto r = std::make_unique<shm::PacketRecord>();
  std::memset(r.get(), 0, sizeof *r);
  r->kind = shm::PacketKind::kSecuritySample;
  r->drop_reason = reason;
  r->layer = shm::Layer::kIp;
  r->sa_index = shm::kNone;
  r->spi = shm::kNone;
  r->session_index = shm::kNone;
  r->outer_src = ipv4("192.0.2.7");
  r->outer_dst = ipv4("198.51.100.1");
  // Payload the log must never show.
  const char payload[] = "PAYLOAD-MUST-NOT-APPEAR";
  std::memcpy(r->data, payload, sizeof payload);
  r->length = sizeof payload;
  r->original_length = 1400;
  return r;
}

shm::SessionStats session_stats(uint16_t tunnel_id, uint16_t session_id, uint64_t spoofed) {
  shm::SessionStats s{};
  s.in_use = 1;
  s.tunnel_id = tunnel_id;
  s.session_id = session_id;
  s.spoofed = spoofed;
  return s;
}

shm::SaStats sa_stats(shm::SaStateCode state, shm::Direction direction, uint32_t spi,
                      uint64_t auth_failed = 0, uint64_t replayed = 0) {
  shm::SaStats s{};
  s.state = state;
  s.direction = direction;
  s.spi = spi;
  s.auth_failed = auth_failed;
  s.replayed = replayed;
  return s;
}

shm::StatsSnapshot snapshot(uint32_t workers, size_t sas, size_t sessions) {
  shm::StatsSnapshot s;
  s.generation = 77;
  s.header.workers = workers;
  s.sas.resize(sas);
  s.sessions.resize(sessions);
  return s;
}

struct SecurityLogTest : ::testing::Test {
  SecurityLogTest() { make_log({.instance = "sc1"}); }

  void make_log(SecurityLog::Options options) {
    log = std::make_unique<SecurityLog>(out, metrics, std::move(options), [this] { return now; });
    log->set_drop_reason_names(kDropReasonNames);
  }

  // The lines written since the last call, parsed by Python.
  std::vector<JsonObject> lines() {
    const std::string text = out.str().substr(consumed);
    consumed = out.str().size();
    return parse_json_lines(text);
  }

  uint64_t now = kStart;
  std::ostringstream out;
  size_t consumed = 0;
  CpMetrics metrics;
  std::unique_ptr<SecurityLog> log;
};

const std::string& str(const JsonObject& o, const std::string& key) {
  static const std::string missing = "<missing>";
  const auto it = o.find(key);
  if (it == o.end() || it->second.type != 's') return missing;
  return it->second.text;
}

std::string num(const JsonObject& o, const std::string& key) {
  const auto it = o.find(key);
  if (it == o.end() || it->second.type != 'n') return "<missing>";
  return it->second.text;
}

std::string obj(const JsonObject& o, const std::string& key) {
  const auto it = o.find(key);
  if (it == o.end() || it->second.type != 'o') return "<missing>";
  return it->second.text;
}

TEST_F(SecurityLogTest, EachSampleKindBecomesItsEventWithDetail) {
  auto spoofed = sample(kSpoofedSource);
  spoofed->outer_src_port = 4500;
  spoofed->sa_index = 3;
  spoofed->spi = 0x1001;
  spoofed->session_index = 9;
  spoofed->session = {.tunnel_id = 5, .session_id = 6};
  log->on_sample(*spoofed, "alice@example.net");

  auto replayed = sample(kReplay);
  replayed->outer_src = ipv6("2001:db8::7");
  replayed->sa_index = 4;
  replayed->spi = 4097;
  log->on_sample(*replayed, "bob");

  auto auth = sample(kAuthFailed);
  auth->sa_index = 4;
  auth->spi = 4097;
  log->on_sample(*auth, "");

  auto unknown = sample(kUnknownSpi);
  unknown->spi = 0xdeadbeef;
  log->on_sample(*unknown, "");

  const auto l = lines();
  ASSERT_EQ(l.size(), 4u);
  for (const auto& line : l) {
    EXPECT_EQ(str(line, "time"), "2026-11-22T13:55:01.123Z");
    EXPECT_EQ(str(line, "instance"), "sc1");
    EXPECT_EQ(num(line, "count"), "1");
    EXPECT_EQ(line.count("suppressed"), 0u);
  }
  EXPECT_EQ(str(l[0], "event"), "spoofing");
  EXPECT_EQ(str(l[0], "identity"), "alice@example.net");
  EXPECT_EQ(str(l[0], "peer"), "192.0.2.7");
  EXPECT_EQ(num(l[0], "peer_port"), "4500");
  EXPECT_EQ(num(l[0], "spi"), "4097");
  EXPECT_EQ(num(l[0], "sa_index"), "3");
  EXPECT_EQ(obj(l[0], "session"), R"({"session_id":6,"tunnel_id":5})");
  EXPECT_EQ(str(l[0], "reason"), "spoofed_source");
  EXPECT_EQ(l[0].size(), 11u);  // all keys but "suppressed"

  EXPECT_EQ(str(l[1], "event"), "replay_burst");
  EXPECT_EQ(str(l[1], "identity"), "bob");
  EXPECT_EQ(str(l[1], "peer"), "2001:db8::7");
  EXPECT_EQ(l[1].count("peer_port"), 0u);  // not UDP
  EXPECT_EQ(num(l[1], "spi"), "4097");
  EXPECT_EQ(l[1].count("session"), 0u);
  EXPECT_EQ(str(l[1], "reason"), "replay");

  EXPECT_EQ(str(l[2], "event"), "auth_failure");
  EXPECT_EQ(l[2].count("identity"), 0u);
  EXPECT_EQ(str(l[2], "reason"), "auth_failed");

  EXPECT_EQ(str(l[3], "event"), "unknown_spi");
  EXPECT_EQ(l[3].count("identity"), 0u);
  EXPECT_EQ(num(l[3], "spi"), "3735928559");
  EXPECT_EQ(l[3].count("sa_index"), 0u);
  EXPECT_EQ(str(l[3], "peer"), "192.0.2.7");

  EXPECT_EQ(out.str().find("PAYLOAD"), std::string::npos);
  EXPECT_EQ(get(metrics.security_events), 4u);
  EXPECT_EQ(get(metrics.security_suppressed), 0u);
}

TEST_F(SecurityLogTest, SamplesOfOtherReasonsOrKindsAreIgnored) {
  log->on_sample(*sample(kNoRoute), "x");
  log->on_sample(*sample(200), "x");  // beyond the name table
  auto capture = sample(kReplay);
  capture->kind = shm::PacketKind::kDropCapture;
  log->on_sample(*capture, "x");
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(get(metrics.security_events), 0u);

  SecurityLog unnamed(out, metrics, {.instance = "sc1"}, [this] { return now; });
  unnamed.on_sample(*sample(kReplay), "x");  // no names yet: nothing is recognised
  EXPECT_EQ(out.str(), "");
}

TEST_F(SecurityLogTest, TimeIsUtcWithMilliseconds) {
  now = 0;
  log->on_sample(*sample(kReplay), "a");
  now = 951782400'000000000ull + 999'999'999ull;  // 2000-02-29T00:00:00.999999999Z
  log->on_sample(*sample(kReplay), "b");
  const auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(str(l[0], "time"), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(str(l[1], "time"), "2000-02-29T00:00:00.999Z");
}

TEST_F(SecurityLogTest, PerKeyRateLimitCountsAndReportsSuppressed) {
  // burst 5, 1 per second (the defaults).
  for (int i = 0; i < 10; ++i) log->on_sample(*sample(kReplay), "alice");
  log->on_sample(*sample(kReplay), "bob");        // another identity: its own bucket
  log->on_sample(*sample(kAuthFailed), "alice");  // another event: its own bucket
  auto l = lines();
  ASSERT_EQ(l.size(), 7u);
  EXPECT_EQ(str(l[5], "identity"), "bob");
  EXPECT_EQ(str(l[6], "event"), "auth_failure");
  EXPECT_EQ(get(metrics.security_suppressed), 5u);
  EXPECT_EQ(get(metrics.security_events), 7u);

  now += kSecond / 2;  // half a token
  log->on_sample(*sample(kReplay), "alice");
  EXPECT_TRUE(lines().empty());
  EXPECT_EQ(get(metrics.security_suppressed), 6u);

  now += kSecond / 2;  // one token: the next record carries the six suppressed ones
  log->on_sample(*sample(kReplay), "alice");
  l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(num(l[0], "suppressed"), "6");
  EXPECT_EQ(num(l[0], "count"), "7");  // its own drop and the six suppressed ones

  now += 2 * kSecond;
  log->on_sample(*sample(kReplay), "alice");
  l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].count("suppressed"), 0u);
  EXPECT_EQ(num(l[0], "count"), "1");
}

TEST_F(SecurityLogTest, UnknownIdentityIsLimitedPerPeer) {
  for (int i = 0; i < 6; ++i) log->on_sample(*sample(kUnknownSpi), "");
  auto other = sample(kUnknownSpi);
  other->outer_src = ipv4("192.0.2.8");
  log->on_sample(*other, "");
  const auto l = lines();
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(str(l[5], "peer"), "192.0.2.8");
  EXPECT_EQ(get(metrics.security_suppressed), 1u);
}

TEST_F(SecurityLogTest, GlobalCapLimitsAllKeysTogether) {
  make_log({.instance = "sc1", .per_key_per_second = 1000, .burst = 1000, .global_per_second = 3});
  for (int i = 0; i < 5; ++i) log->on_sample(*sample(kReplay), "id" + std::to_string(i));
  EXPECT_EQ(lines().size(), 3u);
  EXPECT_EQ(get(metrics.security_suppressed), 2u);
  now += kSecond / 3 + 1;  // one global token
  log->on_sample(*sample(kReplay), "id4");
  log->on_sample(*sample(kReplay), "id0");
  const auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(str(l[0], "identity"), "id4");
  EXPECT_EQ(num(l[0], "suppressed"), "1");
  EXPECT_EQ(num(l[0], "count"), "2");
  EXPECT_EQ(get(metrics.security_suppressed), 3u);
}

TEST_F(SecurityLogTest, StringsAreEscaped) {
  make_log({.instance = "sc\"1\\"});
  // Quotes, backslash, control characters, DEL, UTF-8, and a byte that is
  // not UTF-8 (becomes U+FFFD).
  const std::string identity =
      std::string("a\"b\\c\nd\te\x01\x1f\x7f") + "\xc3\xa9" + "\xff" + "\xe2\x82" + "z";
  log->on_sample(*sample(kReplay), identity);
  const auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(str(l[0], "identity"), std::string("a\"b\\c\nd\te\x01\x1f\x7f") + "\xc3\xa9" +
                                       "\xef\xbf\xbd" + "\xef\xbf\xbd\xef\xbf\xbd" + "z");
  EXPECT_EQ(str(l[0], "instance"), "sc\"1\\");
  // One record is one line.
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

// ---- Counter deltas.

struct SecurityLogStatsTest : SecurityLogTest {
  SecurityLogStatsTest() {
    make_log(
        {.instance = "sc1", .per_key_per_second = 100, .burst = 100, .global_per_second = 1000});
    before = snapshot(2, 4, 3);
    before.sessions[0] = session_stats(1, 10, 100);
    before.sessions[1] = session_stats(2, 20, 5);
    before.sas[0] = sa_stats(shm::SaStateCode::kActive, shm::Direction::kIn, 4097, 1, 2);
    before.sas[1] = sa_stats(shm::SaStateCode::kActive, shm::Direction::kOut, 4098);
    before.header.worker_stats[0].drops[kUnknownSpi] = 50;
    before.header.worker_stats[1].drops[kUnknownSpi] = 60;
    after = before;
    who.session = [](shm::SessionKey key) {
      return key.tunnel_id == 1 ? std::string("alice") : std::string();
    };
    who.sa = [](uint32_t spi) { return spi == 4097 ? std::string("alice") : std::string(); };
  }
  shm::StatsSnapshot before, after;
  IdentityResolver who;
};

TEST_F(SecurityLogStatsTest, NoGrowthWritesNothing) {
  log->on_stats(before, after, who);
  EXPECT_EQ(out.str(), "");
}

TEST_F(SecurityLogStatsTest, SpoofedGrowthPerSessionWithIdentityWhenKnown) {
  after.sessions[0].spoofed = 107;
  after.sessions[1].spoofed = 6;
  after.sessions[2] = session_stats(3, 30, 4);  // new
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(str(l[0], "event"), "spoofing");
  EXPECT_EQ(str(l[0], "identity"), "alice");
  EXPECT_EQ(obj(l[0], "session"), R"({"session_id":10,"tunnel_id":1})");
  EXPECT_EQ(num(l[0], "count"), "7");
  EXPECT_EQ(str(l[0], "reason"), "spoofed_source");
  EXPECT_EQ(l[0].count("peer"), 0u);
  EXPECT_EQ(l[1].count("identity"), 0u);
  EXPECT_EQ(num(l[1], "count"), "1");
  EXPECT_EQ(num(l[2], "count"), "4");
}

TEST_F(SecurityLogStatsTest, ReusedEntriesCountFromZero) {
  after.sessions[0] = session_stats(9, 90, 2);
  after.sas[0].spi = 5000;  // another SA in the same slot
  after.sas[0].replayed = 1;
  after.sas[0].auth_failed = 0;
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(obj(l[0], "session"), R"({"session_id":90,"tunnel_id":9})");
  EXPECT_EQ(num(l[0], "count"), "2");
  EXPECT_EQ(str(l[1], "event"), "replay_burst");
  EXPECT_EQ(num(l[1], "spi"), "5000");
  EXPECT_EQ(num(l[1], "count"), "1");
  EXPECT_EQ(l[1].count("identity"), 0u);
}

TEST_F(SecurityLogStatsTest, ReplayAndAuthPerInboundSa) {
  after.sas[0].replayed = 12;
  after.sas[0].auth_failed = 4;
  after.sas[1].replayed = 99;  // outbound: never counts
  after.sas[2] = sa_stats(shm::SaStateCode::kFree, shm::Direction::kIn, 7, 5);  // free slot
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(str(l[0], "event"), "replay_burst");
  EXPECT_EQ(str(l[0], "identity"), "alice");
  EXPECT_EQ(num(l[0], "spi"), "4097");
  EXPECT_EQ(num(l[0], "sa_index"), "0");
  EXPECT_EQ(num(l[0], "count"), "10");
  EXPECT_EQ(str(l[0], "reason"), "replay");
  EXPECT_EQ(str(l[1], "event"), "auth_failure");
  EXPECT_EQ(num(l[1], "count"), "3");
  EXPECT_EQ(str(l[1], "reason"), "auth_failed");
}

TEST_F(SecurityLogStatsTest, UnknownSpiAndPuntFloodFromWorkers) {
  after.header.worker_stats[0].drops[kUnknownSpi] = 53;
  after.header.worker_stats[1].drops[kUnknownSpi] = 64;
  after.header.worker_stats[0].punt_policed_peer = 10;
  after.header.worker_stats[0].last_policed_peer = ipv4("203.0.113.9");
  after.header.worker_stats[1].punt_policed_peer = 30;
  after.header.worker_stats[1].last_policed_peer = ipv6("2001:db8::66");
  after.header.worker_stats[1].punt_policed_global = 8;
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(str(l[0], "event"), "unknown_spi");
  EXPECT_EQ(num(l[0], "count"), "7");
  EXPECT_EQ(l[0].count("identity"), 0u);
  EXPECT_EQ(l[0].count("peer"), 0u);
  EXPECT_EQ(str(l[1], "event"), "punt_flood");
  EXPECT_EQ(str(l[1], "reason"), "punt_policed_peer");
  EXPECT_EQ(num(l[1], "count"), "40");
  EXPECT_EQ(str(l[1], "peer"), "2001:db8::66");  // the worker that policed most
  EXPECT_EQ(str(l[2], "reason"), "punt_policed_global");
  EXPECT_EQ(num(l[2], "count"), "8");
  EXPECT_EQ(l[2].count("peer"), 0u);
}

TEST_F(SecurityLogStatsTest, SampledDropsAreNotCountedTwice) {
  auto spoofed = sample(kSpoofedSource);
  spoofed->session_index = 0;
  spoofed->session = {.tunnel_id = 1, .session_id = 10};
  auto replayed = sample(kReplay);
  replayed->spi = 4097;
  log->on_sample(*spoofed, "alice");
  log->on_sample(*spoofed, "alice");
  log->on_sample(*replayed, "alice");
  log->on_sample(*sample(kUnknownSpi), "");
  EXPECT_EQ(lines().size(), 4u);

  after.sessions[0].spoofed = 105;                       // 5 drops, 2 sampled
  after.sas[0].replayed = 3;                             // 1 drop, sampled
  after.header.worker_stats[1].drops[kUnknownSpi] = 63;  // 3 drops, 1 sampled
  log->on_stats(before, after, who);
  auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(str(l[0], "event"), "spoofing");
  EXPECT_EQ(num(l[0], "count"), "3");
  EXPECT_EQ(str(l[1], "event"), "unknown_spi");
  EXPECT_EQ(num(l[1], "count"), "2");

  // A sample that arrives after the delta that counted its drop: its credit
  // absorbs one drop of the next delta.
  log->on_sample(*replayed, "alice");
  EXPECT_EQ(lines().size(), 1u);
  before = after;
  after.sas[0].replayed = 5;
  log->on_stats(before, after, who);
  l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(num(l[0], "count"), "1");
}

TEST_F(SecurityLogStatsTest, SuppressedDeltasCarryTheirCounts) {
  make_log({.instance = "sc1", .per_key_per_second = 1, .burst = 1, .global_per_second = 100});
  after.sessions[0].spoofed = 110;
  log->on_stats(before, after, who);
  before = after;
  after.sessions[0].spoofed = 130;
  log->on_stats(before, after, who);  // no token left: suppressed
  EXPECT_EQ(lines().size(), 1u);
  EXPECT_EQ(get(metrics.security_suppressed), 1u);
  now += kSecond;
  before = after;
  after.sessions[0].spoofed = 131;
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(num(l[0], "count"), "21");
  EXPECT_EQ(num(l[0], "suppressed"), "1");
}

TEST_F(SecurityLogStatsTest, GenerationChangeWritesNothingAndForgetsCredits) {
  auto replayed = sample(kReplay);
  replayed->spi = 4097;
  log->on_sample(*replayed, "alice");
  EXPECT_EQ(lines().size(), 1u);
  after.generation = 78;
  after.sas[0].replayed = 50;
  log->on_stats(before, after, who);
  EXPECT_TRUE(lines().empty());
  // Same generation again: the credit of the old generation is gone.
  before = after;
  after.sas[0].replayed = 51;
  log->on_stats(before, after, who);
  const auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(num(l[0], "count"), "1");
}

TEST_F(SecurityLogStatsTest, EmptyResolversMeanUnknownIdentity) {
  after.sessions[0].spoofed = 101;
  after.sas[0].replayed = 3;
  log->on_stats(before, after, IdentityResolver{});
  const auto l = lines();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].count("identity"), 0u);
  EXPECT_EQ(l[1].count("identity"), 0u);
}

TEST_F(SecurityLogTest, ManyKeysStayBoundedAndKeepLogging) {
  make_log({.instance = "sc1", .per_key_per_second = 1, .burst = 1, .global_per_second = 1e9});
  const size_t keys = SecurityLog::kMaxKeys * 2 + 10;
  for (size_t i = 0; i < keys; ++i) log->on_sample(*sample(kReplay), "id" + std::to_string(i));
  EXPECT_EQ(get(metrics.security_events), keys);
  // A key seen long ago was forgotten or refilled: it logs again.
  log->on_sample(*sample(kReplay), "id0");
  EXPECT_EQ(get(metrics.security_events), keys + 1);
  // A key just used is still limited.
  log->on_sample(*sample(kReplay), "id0");
  EXPECT_EQ(get(metrics.security_suppressed), 1u);
  EXPECT_EQ(lines().size(), keys + 1);
}

}  // namespace
}  // namespace softwire::cp
