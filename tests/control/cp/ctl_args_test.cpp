// softwire-ctl's argument parsing: every error names the argument.
#include "control/ctl_args.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace softwire::cp {
namespace {

const std::string kKey = "key=000102030405060708090a0b0c0d0e0f01020304";

std::vector<std::string> sa_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"spi=0x100",           "direction=in",         "local=192.0.2.1",
                                   "remote=198.51.100.2", "proposal=aes128gcm16", kKey};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string sa_error(std::vector<std::string> args) {
  auto r = parse_sa_add(args);
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  return "";
}

std::vector<std::string> without(std::vector<std::string> args, const std::string& prefix) {
  std::erase_if(args, [&](const std::string& a) { return a.rfind(prefix, 0) == 0; });
  return args;
}

// `args` without the argument starting with `prefix`, plus `extra`.
std::vector<std::string> replaced(std::vector<std::string> args, const std::string& prefix,
                                  std::vector<std::string> extra) {
  args = without(std::move(args), prefix);
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CtlArgs, SaAddParsesEverySetting) {
  auto r = parse_sa_add(
      sa_args({"esn=yes", "replay_window=128", "nat_t=yes", "local_port=4501", "remote_port=1234",
               "mode=tunnel", "local_ts=10.0.0.0/8", "remote_ts=10.1.0.0/16", "life_bytes=1000",
               "soft_life_bytes=900", "life_packets=10", "soft_life_packets=5"}));
  ASSERT_TRUE(std::holds_alternative<config::SaConfig>(r)) << std::get<std::string>(r);
  const auto& sa = std::get<config::SaConfig>(r);
  EXPECT_EQ(sa.spi, 0x100u);
  EXPECT_EQ(sa.key.size(), 16u);
  EXPECT_EQ(sa.key.bytes()[15], 0x0f);
  EXPECT_EQ(sa.salt[3], 4);
  EXPECT_TRUE(sa.esn);
  EXPECT_EQ(sa.replay_window, 128u);
  EXPECT_EQ(sa.local_port, 4501);
  EXPECT_EQ(sa.remote_port, 1234);
  EXPECT_EQ(sa.mode, config::SaMode::kTunnel);
  EXPECT_EQ(sa.local_ts.to_string(), "10.0.0.0/8");
  EXPECT_EQ(sa.soft_life_packets, 5u);
}

TEST(CtlArgs, SaAddErrorsNameTheArgument) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {without(sa_args(), "spi="), "spi: missing"},
      {sa_args({"spi=12"}), "spi: given twice"},
      {replaced(sa_args(), "spi=0x", {"spi=12"}), "spi: "},
      {replaced(sa_args(), "spi=0x", {"spi=abc"}), "spi: \"abc\" is not a number"},
      {replaced(sa_args(), "direction=in", {"direction=up"}),
       "direction: \"up\" is not one of in|out"},
      {replaced(sa_args(), "local=192", {"local=300.1.1.1"}), "local: "},
      {replaced(sa_args(), "remote=198", {"remote=224.0.0.1"}),
       "remote: 224.0.0.1 is not a unicast"},
      {replaced(sa_args(), "remote=198", {"remote=2001:db8::1"}),
       "remote: 2001:db8::1 is not of the"},
      {replaced(sa_args(), "proposal=", {"proposal=des"}), "proposal: \"des\" is not one of"},
      {without(sa_args(), "key="), "key: missing"},
      {replaced(sa_args(), "key=", {"key=0011"}), "key: must be 20 bytes for aes128gcm16"},
      {replaced(sa_args(), "key=", {"key=zz"}), "key: not a valid hex key"},
      {replaced(sa_args(), "key=", {"key=@/tmp/x"}), "key: softwire-ctl reads"},
      {sa_args({"esn=maybe"}), "esn: \"maybe\" is not yes/no"},
      {sa_args({"replay_window=100"}), "replay_window: must be 0 (off) or a power of two"},
      {replaced(sa_args(), "direction=in", {"direction=out", "replay_window=64"}),
       "replay_window: applies to inbound SAs only"},
      {sa_args({"local_port=4501"}), "local_port: UDP encapsulation ports need nat_t=yes"},
      {sa_args({"nat_t=yes", "remote_port=0"}), "remote_port: 0 is out of range"},
      {sa_args({"mode=tube"}), "mode: \"tube\" is not one of transport|tunnel"},
      {sa_args({"local_ts=10.0.0.0/8"}), "local_ts: traffic selectors need mode=tunnel"},
      {sa_args({"mode=tunnel", "remote_ts=10.0.0.1/8"}), "remote_ts: '10.0.0.1/8' has host bits"},
      {sa_args({"mode=tunnel", "remote_ts=2001:db8::/32"}), "remote_ts: not of the same family"},
      {sa_args({"life_bytes=x"}), "life_bytes: \"x\" is not a number"},
      {sa_args({"life_packets=10", "soft_life_packets=11"}), "soft_life_packets: exceeds"},
      {sa_args({"colour=red"}), "colour: unknown argument"},
      {sa_args({"stray"}), "stray: expected name=value"},
  };
  for (const auto& [args, expected] : cases) {
    const std::string e = sa_error(args);
    EXPECT_EQ(e.rfind(expected, 0), 0u) << "got \"" << e << "\", expected \"" << expected << "\"";
  }
}

std::vector<std::string> session_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"identity=si-1",     "sa_in=256",
                                   "sa_out=0x101",      "tunnel_id=1",
                                   "session_id=2",      "peer_tunnel_id=3",
                                   "peer_session_id=4", "prefixes=10.0.0.0/24,2001:db8::/56"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string session_error(std::vector<std::string> args) {
  auto r = parse_session_add(args);
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  return "";
}

TEST(CtlArgs, SessionAddParses) {
  auto r = parse_session_add(session_args({"mtu=1400", "peer_port=40000"}));
  ASSERT_TRUE(std::holds_alternative<config::SessionConfig>(r)) << std::get<std::string>(r);
  const auto& s = std::get<config::SessionConfig>(r);
  EXPECT_EQ(s.identity, "si-1");
  EXPECT_EQ(s.sa_out, 0x101u);
  EXPECT_EQ(s.peer_session_id, 4);
  ASSERT_EQ(s.prefixes.size(), 2u);
  EXPECT_EQ(s.prefixes[1].to_string(), "2001:db8::/56");
  EXPECT_EQ(s.mtu, 1400);
  EXPECT_EQ(s.peer_port, 40000);
}

TEST(CtlArgs, SessionAddErrorsNameTheArgument) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {without(session_args(), "identity="), "identity: missing"},
      {replaced(session_args(), "identity=si", {"identity=" + std::string(128, 'x')}),
       "identity: must be 1..127 bytes"},
      {without(session_args(), "sa_in="), "sa_in: missing"},
      {replaced(session_args(), "sa_out=0x", {"sa_out=-1"}), "sa_out: \"-1\" is not a number"},
      {replaced(session_args(), "tunnel_id=1", {"tunnel_id=0"}), "tunnel_id: 0 is out of range"},
      {replaced(session_args(), "session_id=2", {"session_id=65536"}), "session_id: 65536 is out"},
      {without(session_args(), "peer_tunnel_id="), "peer_tunnel_id: missing"},
      {without(session_args(), "peer_session_id="), "peer_session_id: missing"},
      {without(session_args(), "prefixes="), "prefixes: missing"},
      {replaced(session_args(), "prefixes=10", {"prefixes=10.0.0.1/24"}),
       "prefixes: '10.0.0.1/24' has host bits set"},
      {replaced(session_args(), "prefixes=10", {"prefixes=10.0.0.0/24,,"}),
       "prefixes: empty entry"},
      {replaced(session_args(), "prefixes=10", {"prefixes=10.0.0.0/16,10.0.1.0/24"}),
       "prefixes: 10.0.1.0/24 overlaps 10.0.0.0/16"},
      {session_args({"mtu=100"}), "mtu: 100 is out of range 576..9000"},
      {session_args({"peer_port=x"}), "peer_port: \"x\" is not a number"},
  };
  for (const auto& [args, expected] : cases) {
    const std::string e = session_error(args);
    EXPECT_EQ(e.rfind(expected, 0), 0u) << "got \"" << e << "\", expected \"" << expected << "\"";
  }
}

// Found by fuzz_ctl_args: an identity with a NUL (which the operator
// socket's JSON can carry as \u0000) was accepted, but the session record
// carried only the part before it. No argument may contain a NUL.
TEST(CtlArgs, ArgumentsWithNulAreRefused) {
  using namespace std::string_literals;
  EXPECT_EQ(session_error(replaced(session_args(), "identity=", {"identity=si\0x"s})),
            "identity: contains a NUL character");
  EXPECT_EQ(session_error(replaced(session_args(), "identity=", {"identity=\0"s})),
            "identity: contains a NUL character");
  EXPECT_EQ(sa_error(replaced(sa_args(), "local=", {"local=192.0.2.1\0junk"s})),
            "local: contains a NUL character");
  EXPECT_EQ(std::get<std::string>(parse_rekey({"si-1\0x"s, "sa_in=512", "sa_out=513"})),
            "identity: contains a NUL character");
  EXPECT_EQ(std::get<std::string>(parse_sa_delete({"256\0"s})), "spi: contains a NUL character");
  EXPECT_EQ(std::get<std::string>(parse_capture({"--identity", "si\0"s, "--write", "x.pcapng"})),
            "--identity: contains a NUL character");
}

TEST(CtlArgs, DeleteRekeyCapture) {
  auto d = parse_sa_delete({"0x100", "direction=out"});
  ASSERT_TRUE(std::holds_alternative<SaDeleteArgs>(d));
  EXPECT_EQ(std::get<SaDeleteArgs>(d).spi, 0x100u);
  EXPECT_EQ(std::get<SaDeleteArgs>(d).direction, shm::Direction::kOut);
  EXPECT_EQ(std::get<std::string>(parse_sa_delete({"5"})).rfind("spi: 5 is out of range", 0), 0u);
  EXPECT_EQ(std::get<std::string>(parse_sa_delete({"256", "direction=sideways"})),
            "direction: \"sideways\" is not one of in|out");

  auto r = parse_rekey({"si-1", "sa_in=0x200", "sa_out=0x201", "grace=2.5"});
  ASSERT_TRUE(std::holds_alternative<RekeyArgs>(r));
  EXPECT_EQ(std::get<RekeyArgs>(r).identity, "si-1");
  EXPECT_EQ(std::get<RekeyArgs>(r).sa_out, 0x201u);
  EXPECT_EQ(*std::get<RekeyArgs>(r).grace_seconds, 2.5);
  EXPECT_EQ(std::get<std::string>(parse_rekey({"si-1", "sa_in=0x200"})), "sa_out: missing");
  EXPECT_EQ(std::get<std::string>(parse_rekey({"si-1", "sa_in=512", "sa_out=512", "grace=-1"})),
            "grace: \"-1\" is not a number of seconds in 0..86400");

  auto c = parse_capture({"--reason", "esp_auth_failed", "--count", "5", "--write", "x.pcapng"});
  ASSERT_TRUE(std::holds_alternative<CaptureArgs>(c));
  EXPECT_EQ(std::get<CaptureArgs>(c).reason, "esp_auth_failed");
  EXPECT_EQ(std::get<CaptureArgs>(c).count, 5u);
  EXPECT_EQ(std::get<std::string>(parse_capture({"--count", "5"})),
            "--write: missing (the pcapng file to write)");
  EXPECT_EQ(std::get<std::string>(parse_capture({"--count", "0", "--write", "x"}))
                .rfind("--count: 0 is out of range", 0),
            0u);
  EXPECT_EQ(std::get<std::string>(parse_capture({"--timeout"})), "--timeout: needs a value");
}

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/softwire-ctl-key-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  void TearDown() override { unlink(path_.c_str()); }
  void write(const std::string& text, mode_t mode) {
    std::ofstream(path_) << text;
    chmod(path_.c_str(), mode);
  }
  std::string path_;
};

TEST_F(KeyFile, ReadsHexFromFileAndWarnsWhenOthersCanRead) {
  write("0x0001020304050607\n  08090a0b0c0d0e0f01020304\n", 0600);
  std::vector<std::string> args = {"spi=256", "key=@" + path_};
  std::istringstream in;
  std::string warning;
  EXPECT_EQ(resolve_key_argument(args, in, warning), std::nullopt);
  EXPECT_EQ(args[1], "key=0x000102030405060708090a0b0c0d0e0f01020304");
  EXPECT_EQ(warning, "");
  write("00", 0644);
  args = {"key=@" + path_};
  EXPECT_EQ(resolve_key_argument(args, in, warning), std::nullopt);
  EXPECT_NE(warning.find("readable by group or others"), std::string::npos);
}

TEST_F(KeyFile, StandardInputLiteralAndMissingFile) {
  std::vector<std::string> args = {"key=-"};
  std::istringstream in("aabb\n");
  std::string warning;
  EXPECT_EQ(resolve_key_argument(args, in, warning), std::nullopt);
  EXPECT_EQ(args[0], "key=aabb");
  args = {"key=00112233"};
  auto e = resolve_key_argument(args, in, warning);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->rfind("key: key material is never taken from the command line", 0), 0u);
  EXPECT_EQ(e->find("00112233"), std::string::npos);
  args = {"key=@/nonexistent/key"};
  e = resolve_key_argument(args, in, warning);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->rfind("key: cannot read /nonexistent/key", 0), 0u);
  write("", 0600);
  args = {"key=@" + path_};
  EXPECT_EQ(resolve_key_argument(args, in, warning), "key: the key source is empty");
}

}  // namespace
}  // namespace softwire::cp
