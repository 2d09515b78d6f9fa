// Valid configurations: values, defaults and derived fields come out right.
#include "config/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "config/addresses.h"
#include "tests/config/test_support.h"

namespace softwire::config {
namespace {

using testing::insert_after;
using testing::kBaseConfig;
using testing::kTestFile;
using testing::remove_line;
using testing::replace_once;

IpAddress address(const char* text) {
  return parse_ip_address(text).value.value();
}
IpPrefix prefix(const char* text) {
  return parse_interface_address(text).value.value();
}
MacAddress mac(const char* text) {
  return parse_mac_address(text).value.value();
}
std::vector<uint8_t> hex(const char* text) {
  return parse_hex(text).value.value();
}

// Smallest valid file: everything optional left out.
constexpr std::string_view kMinimalConfig = R"(
dataplane = { workers = [ 0 ]; };
ports = (
  { name = "a"; role = "access"; device = "0000:01:00.0"; mac = "02:00:00:00:00:02";
    addresses = [ "2001:db8:a::1/64" ]; gateway_mac = "02:00:00:00:00:01"; },
  { name = "c"; role = "core"; device = "0000:01:00.1"; mac = "02:00:00:00:01:02";
    addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }
);
sas = (
  { spi = 0xffffffff; direction = "in"; local = "2001:db8:a::1"; remote = "2001:db8:f::2";
    proposal = "aes128gmac"; key = "000102030405060708090A0B0C0D0E0F10111213"; },
  { spi = 256; direction = "out"; local = "2001:db8:a::1"; remote = "2001:db8:f::2";
    proposal = "aes256gmac";
    key = "0X000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"; }
);
sessions = (
  { identity = "x"; sa_in = 0xffffffff; sa_out = 256; tunnel_id = 65535; session_id = 1;
    peer_tunnel_id = 1; peer_session_id = 65535; prefixes = [ "0.0.0.0/0", "::/0" ]; }
);
)";

TEST(ConfigLoader, BaseConfigValues) {
  const Config config = load_config_text(kBaseConfig, kTestFile);
  EXPECT_EQ(config.source_file, kTestFile);
  EXPECT_EQ(config.instance, "sc0");

  EXPECT_EQ(config.dataplane.eal, (std::vector<std::string>{"--no-huge", "--no-pci"}));
  EXPECT_EQ(config.dataplane.workers, (std::vector<unsigned>{1, 2}));
  EXPECT_EQ(config.dataplane.burst, 64u);
  EXPECT_EQ(config.dataplane.mempool_mbufs, 16383u);

  ASSERT_EQ(config.ports.size(), 2u);
  const PortConfig& access = config.ports[0];
  EXPECT_EQ(access.name, "access");
  EXPECT_EQ(access.role, PortRole::kAccess);
  EXPECT_EQ(access.device, "net_null0");
  EXPECT_EQ(access.mac, mac("02:00:00:00:00:02"));
  EXPECT_EQ(access.gateway_mac, mac("02:00:00:00:00:01"));
  ASSERT_EQ(access.addresses.size(), 2u);
  EXPECT_EQ(access.addresses[0].to_string(), "198.51.100.1/24");  // host bits kept
  EXPECT_EQ(access.addresses[1].to_string(), "2001:db8:a::1/64");
  EXPECT_EQ(access.line, 8);
  EXPECT_EQ(config.ports[1].role, PortRole::kCore);
  EXPECT_EQ(config.ports[1].line, 16);

  ASSERT_EQ(config.neighbors.size(), 1u);
  EXPECT_EQ(config.neighbors[0].port, "access");
  EXPECT_EQ(config.neighbors[0].address, address("192.0.2.1"));
  EXPECT_EQ(config.neighbors[0].mac, mac("02:00:00:00:00:09"));

  ASSERT_TRUE(config.control.has_value());
  EXPECT_EQ(config.control->socket, "/run/softwire/sc0.sock");
  EXPECT_EQ(config.control->metrics_listen, "127.0.0.1:9550");
  EXPECT_TRUE(config.control->session_metrics);
}

TEST(ConfigLoader, SasAreSortedByDirectionAndSpi) {
  const Config config = load_config_text(kBaseConfig, kTestFile);
  ASSERT_EQ(config.sas.size(), 4u);
  EXPECT_TRUE(config.sas_sorted);
  EXPECT_EQ(config.sas[0].spi, 0x1001u);
  EXPECT_EQ(config.sas[0].direction, Direction::kIn);
  EXPECT_EQ(config.sas[1].spi, 0x1002u);
  EXPECT_EQ(config.sas[1].direction, Direction::kIn);
  EXPECT_EQ(config.sas[2].spi, 0x2001u);
  EXPECT_EQ(config.sas[2].direction, Direction::kOut);
  EXPECT_EQ(config.sas[3].spi, 0x2002u);
  // Lines still point into the file.
  EXPECT_EQ(config.sas[0].line, 33);
  EXPECT_EQ(config.sas[2].line, 43);

  ASSERT_NE(config.find_sa(0x2002, Direction::kOut), nullptr);
  EXPECT_EQ(config.find_sa(0x2002, Direction::kOut)->remote, address("2001:db8:f::2"));
  EXPECT_EQ(config.find_sa(0x2002, Direction::kIn), nullptr);
  EXPECT_EQ(config.find_sa(0x9999, Direction::kIn), nullptr);
}

TEST(ConfigLoader, KeyAndSaltAreSplit) {
  const Config config = load_config_text(kBaseConfig, kTestFile);
  const SaConfig* sa128 = config.find_sa(0x1001, Direction::kIn);
  ASSERT_NE(sa128, nullptr);
  EXPECT_EQ(sa128->proposal, Proposal::kAes128Gcm16);
  EXPECT_EQ(sa128->key.bytes(), hex("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(sa128->salt, (std::array<uint8_t, 4>{0xaa, 0xbb, 0xcc, 0xdd}));

  const SaConfig* sa256 = config.find_sa(0x2002, Direction::kOut);
  ASSERT_NE(sa256, nullptr);
  EXPECT_EQ(sa256->proposal, Proposal::kAes256Gcm16);
  EXPECT_EQ(sa256->key.bytes(),
            hex("404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"));
  EXPECT_EQ(sa256->salt, (std::array<uint8_t, 4>{0xd0, 0xd1, 0xd2, 0xd3}));
}

TEST(ConfigLoader, SaValuesAndDefaults) {
  const Config config = load_config_text(kBaseConfig, kTestFile);
  const SaConfig& in = *config.find_sa(0x1001, Direction::kIn);
  EXPECT_EQ(in.local, address("198.51.100.1"));
  EXPECT_EQ(in.remote, address("192.0.2.1"));
  EXPECT_FALSE(in.esn);
  EXPECT_EQ(in.replay_window, 512u);
  EXPECT_FALSE(in.nat_t);
  EXPECT_EQ(in.local_port, 4500);
  EXPECT_EQ(in.remote_port, 4500);
  EXPECT_EQ(in.mode, SaMode::kTransport);
  EXPECT_EQ(in.local_ts.to_string(), "198.51.100.1/32");
  EXPECT_EQ(in.remote_ts.to_string(), "192.0.2.1/32");
  EXPECT_EQ(in.life_bytes, 0u);
  EXPECT_EQ(in.life_packets, 0u);
  EXPECT_EQ(in.soft_life_bytes, 0u);
  EXPECT_EQ(in.soft_life_packets, 0u);

  const SaConfig& in6 = *config.find_sa(0x1002, Direction::kIn);
  EXPECT_EQ(in6.replay_window, 1024u);  // default
  EXPECT_EQ(in6.local_ts.to_string(), "2001:db8:a::1/128");
  EXPECT_EQ(in6.remote_ts.to_string(), "2001:db8:f::2/128");

  // No anti-replay on what the SC sends.
  EXPECT_EQ(config.find_sa(0x2001, Direction::kOut)->replay_window, 0u);
}

TEST(ConfigLoader, NatTTunnelModeAndLifetimes) {
  std::string text = insert_after(kBaseConfig, "spi = 0x1001;",
                                  "    nat_t = true;\n"
                                  "    remote_port = 31337;\n"
                                  "    mode = \"tunnel\";\n"
                                  "    remote_ts = \"10.0.0.5/32\";\n"
                                  "    life_bytes = 100000000000L;\n"
                                  "    soft_life_bytes = 0x1000000000L;\n"
                                  "    life_packets = 1000;\n"
                                  "    soft_life_packets = 1000;");
  text = insert_after(text, "spi = 0x2001;",
                      "    nat_t = true;\n    remote_port = 31337;\n    mode = \"tunnel\";\n"
                      "    esn = true;");
  const Config config = load_config_text(text, kTestFile);
  const SaConfig& in = *config.find_sa(0x1001, Direction::kIn);
  EXPECT_TRUE(in.nat_t);
  EXPECT_EQ(in.local_port, 4500);
  EXPECT_EQ(in.remote_port, 31337);
  EXPECT_EQ(in.mode, SaMode::kTunnel);
  EXPECT_EQ(in.local_ts.to_string(), "198.51.100.1/32");
  EXPECT_EQ(in.remote_ts.to_string(), "10.0.0.5/32");
  EXPECT_EQ(in.life_bytes, 100000000000u);
  EXPECT_EQ(in.soft_life_bytes, 0x1000000000u);
  EXPECT_EQ(in.life_packets, 1000u);
  EXPECT_EQ(in.soft_life_packets, 1000u);
  EXPECT_TRUE(config.find_sa(0x2001, Direction::kOut)->esn);
}

TEST(ConfigLoader, SessionValuesAndDefaults) {
  const Config config = load_config_text(kBaseConfig, kTestFile);
  ASSERT_EQ(config.sessions.size(), 2u);
  const SessionConfig& first = config.sessions[0];
  EXPECT_EQ(first.identity, "si1@example.net");
  EXPECT_EQ(first.sa_in, 0x1001u);
  EXPECT_EQ(first.sa_out, 0x2001u);
  EXPECT_EQ(first.tunnel_id, 7);
  EXPECT_EQ(first.session_id, 9);
  EXPECT_EQ(first.peer_tunnel_id, 100);
  EXPECT_EQ(first.peer_session_id, 200);
  ASSERT_EQ(first.prefixes.size(), 2u);
  EXPECT_EQ(first.prefixes[0], prefix("2001:db8:1::/64"));
  EXPECT_EQ(first.prefixes[1], prefix("10.1.0.0/30"));
  EXPECT_EQ(first.mtu, 1400);
  EXPECT_EQ(first.peer_port, 1701);  // default
  EXPECT_EQ(first.line, testing::line_of(kBaseConfig, "identity = \"si1@example.net\";") - 1);

  const SessionConfig& second = config.sessions[1];
  EXPECT_EQ(second.identity, "si2@example.net");
  EXPECT_EQ(second.mtu, 1500);  // default
}

TEST(ConfigLoader, MinimalConfigDefaultsAndExtremes) {
  const Config config = load_config_text(kMinimalConfig, kTestFile);
  EXPECT_EQ(config.instance, "softwire");
  EXPECT_TRUE(config.dataplane.eal.empty());
  EXPECT_EQ(config.dataplane.workers, std::vector<unsigned>{0});
  EXPECT_EQ(config.dataplane.burst, 32u);
  EXPECT_EQ(config.dataplane.mempool_mbufs, 16383u);
  EXPECT_TRUE(config.neighbors.empty());
  EXPECT_FALSE(config.control.has_value());

  // 0xffffffff survives libconfig 1.5, which stores it as a negative int.
  const SaConfig* top = config.find_sa(0xffffffff, Direction::kIn);
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->proposal, Proposal::kAes128Gmac);
  EXPECT_EQ(top->key.bytes(), hex("000102030405060708090a0b0c0d0e0f"));
  EXPECT_EQ(top->salt, (std::array<uint8_t, 4>{0x10, 0x11, 0x12, 0x13}));
  const SaConfig* bottom = config.find_sa(256, Direction::kOut);
  ASSERT_NE(bottom, nullptr);
  EXPECT_EQ(bottom->proposal, Proposal::kAes256Gmac);
  EXPECT_EQ(bottom->key.size(), 32u);
  EXPECT_EQ(bottom->salt, (std::array<uint8_t, 4>{0x20, 0x21, 0x22, 0x23}));

  ASSERT_EQ(config.sessions.size(), 1u);
  EXPECT_EQ(config.sessions[0].sa_in, 0xffffffffu);
  EXPECT_EQ(config.sessions[0].tunnel_id, 65535);
  EXPECT_EQ(config.sessions[0].peer_session_id, 65535);
  EXPECT_EQ(config.sessions[0].prefixes[0].to_string(), "0.0.0.0/0");
  EXPECT_EQ(config.sessions[0].prefixes[1].to_string(), "::/0");
}

TEST(ConfigLoader, TablesMayBeLeftToTheControlPlane) {
  std::string text(kMinimalConfig);
  text = text.substr(0, text.find("sas = ("));
  text += "control = { };\n";
  const Config config = load_config_text(text, kTestFile);
  EXPECT_TRUE(config.sas.empty());
  EXPECT_TRUE(config.sessions.empty());
  ASSERT_TRUE(config.control.has_value());
  EXPECT_EQ(config.control->socket, "/run/softwire/softwire.sock");  // from the instance name
  EXPECT_EQ(config.control->metrics_listen, "");
  EXPECT_FALSE(config.control->session_metrics);
  EXPECT_EQ(config.control->punt_rate_per_peer, 200u);
  EXPECT_EQ(config.control->punt_burst_per_peer, 50u);
  EXPECT_EQ(config.control->punt_rate_global, 20000u);
  EXPECT_EQ(config.control->punt_burst_global, 2000u);
  EXPECT_EQ(config.control->security_log, "");
  EXPECT_EQ(config.control->rekey_grace_seconds, 5.0);
  EXPECT_EQ(config.dataplane.max_sas, 0u);
  EXPECT_EQ(config.dataplane.max_sessions, 0u);
}

TEST(ConfigLoader, CapacitiesAndControlSettings) {
  std::string text(kMinimalConfig);
  text = text.substr(0, text.find("sas = ("));
  text = testing::replace_once(text, "workers = [ 0 ];",
                               "workers = [ 0 ]; max_sas = 100; max_sessions = 50;");
  text +=
      "control = { punt_rate_per_peer = 10; punt_burst_per_peer = 20; punt_rate_global = 30;\n"
      "  punt_burst_global = 40; security_log = \"/var/log/sec.log\"; rekey_grace = 2.5; };\n";
  const Config config = load_config_text(text, kTestFile);
  EXPECT_EQ(config.dataplane.max_sas, 100u);
  EXPECT_EQ(config.dataplane.max_sessions, 50u);
  ASSERT_TRUE(config.control.has_value());
  EXPECT_EQ(config.control->punt_rate_per_peer, 10u);
  EXPECT_EQ(config.control->punt_burst_per_peer, 20u);
  EXPECT_EQ(config.control->punt_rate_global, 30u);
  EXPECT_EQ(config.control->punt_burst_global, 40u);
  EXPECT_EQ(config.control->security_log, "/var/log/sec.log");
  EXPECT_EQ(config.control->rekey_grace_seconds, 2.5);

  text = testing::replace_once(text, "rekey_grace = 2.5;", "rekey_grace = 7;");
  EXPECT_EQ(load_config_text(text, kTestFile).control->rekey_grace_seconds, 7.0);
}

TEST(ConfigLoader, SameSpiInBothDirectionsIsAllowed) {
  const std::string text = replace_once(replace_once(kBaseConfig, "spi = 0x2001;", "spi = 0x1001;"),
                                        "sa_out = 0x2001;", "sa_out = 0x1001;");
  const Config config = load_config_text(text, kTestFile);
  EXPECT_NE(config.find_sa(0x1001, Direction::kIn), nullptr);
  EXPECT_NE(config.find_sa(0x1001, Direction::kOut), nullptr);
}

TEST(ConfigLoader, OneSaPairCarriesManySessions) {
  const std::string text =
      replace_once(replace_once(kBaseConfig, "sa_in = 0x1002;", "sa_in = 0x1001;"),
                   "sa_out = 0x2002;", "sa_out = 0x2001;");
  const Config config = load_config_text(text, kTestFile);
  EXPECT_EQ(config.sessions[1].sa_in, 0x1001u);
}

TEST(ConfigLoader, ReplayWindowZeroTurnsAntiReplayOff) {
  const std::string text = replace_once(kBaseConfig, "replay_window = 512;", "replay_window = 0;");
  EXPECT_EQ(load_config_text(text, kTestFile).find_sa(0x1001, Direction::kIn)->replay_window, 0u);
}

TEST(ConfigLoader, AdjacentPrefixesDoNotOverlap) {
  const std::string text = replace_once(kBaseConfig, "prefixes = [ \"10.2.0.0/24\" ];",
                                        "prefixes = [ \"10.1.0.4/30\", \"10.0.255.252/30\" ];");
  EXPECT_EQ(load_config_text(text, kTestFile).sessions[1].prefixes.size(), 2u);
}

TEST(ConfigLoader, BracketedIpv6MetricsListen) {
  const std::string text = replace_once(kBaseConfig, "metrics_listen = \"127.0.0.1:9550\";",
                                        "metrics_listen = \"[::1]:9550\";");
  EXPECT_EQ(load_config_text(text, kTestFile).control->metrics_listen, "[::1]:9550");
}

TEST(ConfigLoader, LibconfigSyntaxVariantsAreAccepted) {
  // ':' instead of '=', ',' as terminator, comments of all three kinds,
  // numbers inside strings and comments (not literals).
  std::string text =
      replace_once(kBaseConfig, "burst = 64;",
                   "burst : 64, # 99999999999\n  // 0x123456789\n  /* 4294967296 */");
  text = replace_once(text, "device = \"net_null0\";", "device = \"net_pcap0,iface=99999999999\";");
  const Config config = load_config_text(text, kTestFile);
  EXPECT_EQ(config.dataplane.burst, 64u);
  EXPECT_EQ(config.ports[0].device, "net_pcap0,iface=99999999999");
}

class TempFile {
 public:
  explicit TempFile(std::string_view contents) {
    char name[] = "/tmp/softwire-config-test-XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigLoader, LoadsFromFile) {
  const TempFile file(kBaseConfig);
  const Config config = load_config_file(file.path());
  EXPECT_EQ(config.source_file, file.path());
  EXPECT_EQ(config.sessions.size(), 2u);
  EXPECT_EQ(config.sas.size(), 4u);
}

TEST(ConfigLoader, FileErrorsNameTheFile) {
  const TempFile file(remove_line(kBaseConfig, "device = \"net_null1\";"));
  try {
    load_config_file(file.path());
    ADD_FAILURE() << "loaded without a device";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), file.path());
    EXPECT_EQ(error.line(), 16);
    EXPECT_EQ(error.path(), "ports.[1].device");
    EXPECT_EQ(error.message(), "missing required setting");
    EXPECT_EQ(std::string(error.what()),
              file.path() + ":16: ports.[1].device: missing required setting");
  }
}

TEST(ConfigLoader, FileSyntaxErrorsNameTheFile) {
  const TempFile file("instance = \"a\";\n\ndataplane = {\n  workers = [ 1 ];\n  burst = ;\n};\n");
  try {
    load_config_file(file.path());
    ADD_FAILURE() << "loaded a file with a syntax error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), file.path());
    EXPECT_EQ(error.line(), 5);
    EXPECT_EQ(error.path(), "");
    EXPECT_EQ(std::string(error.what()), file.path() + ":5: syntax error");
  }
}

TEST(ConfigLoader, ErrorTextFormat) {
  const ConfigError error("a.conf", 12, "sas.[1].key", "bad");
  EXPECT_EQ(std::string(error.what()), "a.conf:12: sas.[1].key: bad");
  EXPECT_EQ(std::string(ConfigError("a.conf", 0, "ports", "x").what()), "a.conf: ports: x");
  EXPECT_EQ(std::string(ConfigError("a.conf", 3, "", "y").what()), "a.conf:3: y");
}

// Many sessions must load in O(n log n); a quadratic check would take minutes here.
TEST(ConfigLoader, ManySessions) {
  constexpr int kSessions = 100000;
  std::string text(kMinimalConfig);
  text = text.substr(0, text.find("sessions = ("));
  text += "sessions = (\n";
  for (int i = 0; i < kSessions; ++i) {
    char line[256];
    std::snprintf(line, sizeof(line),
                  "  { identity = \"si%d\"; sa_in = 0xffffffff; sa_out = 256; tunnel_id = %d; "
                  "session_id = %d; peer_tunnel_id = 1; peer_session_id = 1; "
                  "prefixes = [ \"10.%d.%d.%d/32\", \"2001:db8:%x:%x::/64\" ]; }%s\n",
                  i, 1 + i / 65535, 1 + i % 65535, i >> 16, (i >> 8) & 255, i & 255, i >> 16,
                  i & 0xffff, i + 1 < kSessions ? "," : "");
    text += line;
  }
  text += ");\n";
  const Config config = load_config_text(text, kTestFile);
  ASSERT_EQ(config.sessions.size(), static_cast<size_t>(kSessions));
  EXPECT_EQ(config.sessions.back().identity, "si" + std::to_string(kSessions - 1));

  // And an overlap between the first and the last session is still found.
  const int last = kSessions - 1;
  const std::string last_prefix = "\"10." + std::to_string(last >> 16) + "." +
                                  std::to_string((last >> 8) & 255) + "." +
                                  std::to_string(last & 255) + "/32\"";
  const std::string broken = replace_once(text, last_prefix, "\"10.0.0.0/31\"");
  try {
    load_config_text(broken, kTestFile);
    ADD_FAILURE() << "overlap not found";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.line(), testing::line_of(broken, "10.0.0.0/31"));
    EXPECT_EQ(error.path(), "sessions.[" + std::to_string(last) + "].prefixes.[0]");
    EXPECT_EQ(error.message(),
              "10.0.0.0/31 overlaps 10.0.0.0/32, a prefix of session \"si0\" (line " +
                  std::to_string(testing::line_of(broken, "\"si0\"")) + ")");
  }
}

}  // namespace
}  // namespace softwire::config
