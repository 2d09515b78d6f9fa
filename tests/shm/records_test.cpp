// Records from shared memory are untrusted: every field the loader would
// reject is rejected, and the error names the field.
#include "shm/records.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include "config/loader.h"

namespace softwire::shm {
namespace {

const char* kConfig = R"(
ports = ( { name = "access"; role = "access"; device = "net_null0"; mac = "02:00:00:00:00:01";
            addresses = [ "192.0.2.1/24", "2001:db8::1/64" ]; gateway_mac = "02:00:00:00:00:02"; },
          { name = "core"; role = "core"; device = "net_null1"; mac = "02:00:00:00:01:01";
            addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:01:02"; } );
dataplane = { workers = [ 1 ]; };
sas = (
  { spi = 0x1001; direction = "in"; local = "192.0.2.1"; remote = "203.0.113.7";
    proposal = "aes128gcm16"; key = "0x000102030405060708090a0b0c0d0e0fcafebabe";
    esn = true; replay_window = 128; nat_t = true; remote_port = 40000;
    mode = "tunnel"; local_ts = "10.0.0.0/8"; remote_ts = "172.16.0.0/12";
    life_bytes = 1000000; soft_life_bytes = 900000; },
  { spi = 0x2001; direction = "out"; local = "192.0.2.1"; remote = "203.0.113.7";
    proposal = "aes128gcm16"; key = "0x101112131415161718191a1b1c1d1e1fdeadbeef";
    esn = true; nat_t = true; remote_port = 40000;
    mode = "tunnel"; local_ts = "10.0.0.0/8"; remote_ts = "172.16.0.0/12"; } );
sessions = (
  { identity = "si-1@example.net"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 10;
    session_id = 20; peer_tunnel_id = 30; peer_session_id = 40; mtu = 1400; peer_port = 1702;
    prefixes = [ "2001:db8:100::/56", "100.64.0.0/30", "100.64.0.8/29", "100.64.1.0/24",
                 "100.64.2.0/24", "100.64.3.0/24", "100.64.4.0/24", "100.64.5.0/24",
                 "100.64.6.0/24" ]; } );
)";

const config::Config& cfg() {
  static const config::Config c = config::load_config_text(kConfig, "records_test.conf");
  return c;
}

TEST(Records, SaSurvivesTheTripWithKeyAndEveryField) {
  const config::SaConfig& sa = cfg().sas[0];
  const SaRecord r = to_record(sa);
  EXPECT_EQ(r.key_length, 16);
  auto back = to_config(r);
  ASSERT_TRUE(std::holds_alternative<config::SaConfig>(back)) << std::get<std::string>(back);
  const config::SaConfig& b = std::get<config::SaConfig>(back);
  EXPECT_EQ(b.spi, sa.spi);
  EXPECT_EQ(b.local, sa.local);
  EXPECT_EQ(b.remote, sa.remote);
  EXPECT_EQ(b.local_ts, sa.local_ts);
  EXPECT_EQ(b.remote_ts, sa.remote_ts);
  EXPECT_TRUE(b.key == sa.key);
  EXPECT_EQ(b.salt, sa.salt);
  EXPECT_EQ(b.esn, true);
  EXPECT_EQ(b.nat_t, true);
  EXPECT_EQ(b.remote_port, 40000);
  EXPECT_EQ(b.replay_window, 128u);
  EXPECT_EQ(b.life_bytes, 1000000u);
  EXPECT_EQ(b.soft_life_bytes, 900000u);
  EXPECT_EQ(b.mode, config::SaMode::kTunnel);
  EXPECT_EQ(to_record_without_key(sa).key_length, 0);
  for (uint8_t byte : to_record_without_key(sa).key) EXPECT_EQ(byte, 0);
}

struct Corruption {
  const char* field;
  std::function<void(SaRecord&)> apply;
};

TEST(Records, EveryInvalidSaFieldIsNamed) {
  const std::vector<Corruption> cases = {
      {"spi", [](SaRecord& r) { r.spi = 255; }},
      {"direction", [](SaRecord& r) { r.direction = static_cast<Direction>(7); }},
      {"proposal", [](SaRecord& r) { r.proposal = static_cast<Proposal>(9); }},
      {"mode", [](SaRecord& r) { r.mode = static_cast<SaMode>(5); }},
      {"flags", [](SaRecord& r) { r.flags = 0x80; }},
      {"replay_window", [](SaRecord& r) { r.replay_window = 100; }},
      {"replay_window", [](SaRecord& r) { r.replay_window = 8192; }},
      {"replay_window", [](SaRecord& r) { r.direction = Direction::kOut; }},
      {"local_port", [](SaRecord& r) { r.remote_port = 0; }},
      {"local", [](SaRecord& r) { r.local.family = Family::kNone; }},
      {"remote", [](SaRecord& r) { r.remote.family = static_cast<Family>(5); }},
      {"remote", [](SaRecord& r) { r.remote.bytes[0] = 224; }},
      {"remote", [](SaRecord& r) { r.remote = to_shm(cfg().ports[0].addresses[1].address); }},
      {"local_ts", [](SaRecord& r) { r.local_ts.length = 33; }},
      {"local_ts", [](SaRecord& r) { r.local_ts.length = 4; }},  // host bits of 10.0.0.0/4
      {"remote_ts", [](SaRecord& r) { r.remote_ts.family = Family::kIpv6; }},
      {"local_ts/remote_ts", [](SaRecord& r) { r.mode = SaMode::kTransport; }},
      {"soft_life", [](SaRecord& r) { r.soft_life_bytes = r.life_bytes + 1; }},
      {"key", [](SaRecord& r) { r.key_length = 32; }},
      {"key", [](SaRecord& r) { r.proposal = Proposal::kAes256Gmac; }},
  };
  for (const auto& c : cases) {
    SaRecord r = to_record(cfg().sas[0]);
    c.apply(r);
    auto result = to_config(r);
    ASSERT_TRUE(std::holds_alternative<std::string>(result)) << c.field;
    EXPECT_EQ(std::get<std::string>(result).rfind(c.field, 0), 0u)
        << c.field << ": " << std::get<std::string>(result);
  }
}

TEST(Records, SessionCarriesTheFirstEightPrefixesAndTheTotal) {
  const config::SessionConfig& s = cfg().sessions[0];
  const SessionRecord r = to_record(s);
  EXPECT_EQ(r.prefix_count, kPrefixesPerRecord);
  EXPECT_EQ(r.total_prefixes, 9u);
  EXPECT_EQ(r.sa_in_old_spi, kNone);
  auto back = to_config(r);
  ASSERT_TRUE(std::holds_alternative<config::SessionConfig>(back));
  const config::SessionConfig& b = std::get<config::SessionConfig>(back);
  EXPECT_EQ(b.identity, s.identity);
  EXPECT_EQ(b.sa_in, s.sa_in);
  EXPECT_EQ(b.sa_out, s.sa_out);
  EXPECT_EQ(b.tunnel_id, 10);
  EXPECT_EQ(b.peer_session_id, 40);
  EXPECT_EQ(b.mtu, 1400);
  EXPECT_EQ(b.peer_port, 1702);
  ASSERT_EQ(b.prefixes.size(), kPrefixesPerRecord);
  for (unsigned i = 0; i < kPrefixesPerRecord; ++i) EXPECT_EQ(b.prefixes[i], s.prefixes[i]);
}

TEST(Records, EveryInvalidSessionFieldIsNamed) {
  const std::vector<std::pair<const char*, std::function<void(SessionRecord&)>>> cases = {
      {"identity", [](SessionRecord& r) { std::memset(r.identity, 'x', sizeof r.identity); }},
      {"identity", [](SessionRecord& r) { r.identity[0] = 0; }},
      {"tunnel_id", [](SessionRecord& r) { r.tunnel_id = 0; }},
      {"session_id", [](SessionRecord& r) { r.session_id = 0; }},
      {"peer_tunnel_id", [](SessionRecord& r) { r.peer_tunnel_id = 0; }},
      {"peer_session_id", [](SessionRecord& r) { r.peer_session_id = 0; }},
      {"peer_port", [](SessionRecord& r) { r.peer_port = 0; }},
      {"mtu", [](SessionRecord& r) { r.mtu = 575; }},
      {"mtu", [](SessionRecord& r) { r.mtu = 9001; }},
      {"prefix_count", [](SessionRecord& r) { r.prefix_count = kPrefixesPerRecord + 1; }},
      {"prefixes[2]", [](SessionRecord& r) { r.prefixes[2].length = 20; }},
      {"prefixes[0]", [](SessionRecord& r) { r.prefixes[0].family = Family::kNone; }},
  };
  for (const auto& [field, apply] : cases) {
    SessionRecord r = to_record(cfg().sessions[0]);
    apply(r);
    auto result = to_config(r);
    ASSERT_TRUE(std::holds_alternative<std::string>(result)) << field;
    EXPECT_EQ(std::get<std::string>(result).rfind(field, 0), 0u)
        << field << ": " << std::get<std::string>(result);
  }
}

TEST(Records, StringsAreTerminatedAndTruncated) {
  char field[8];
  copy_string(field, sizeof field, "0123456789");
  std::string out;
  ASSERT_TRUE(read_string(field, sizeof field, out));
  EXPECT_EQ(out, "0123456");
  std::memset(field, 'a', sizeof field);
  EXPECT_FALSE(read_string(field, sizeof field, out));
}

}  // namespace
}  // namespace softwire::shm
