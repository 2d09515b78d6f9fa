// Every kind of configuration error: each test checks file, line, setting
// path, and that the message says what is wrong.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "tests/config/test_support.h"

namespace softwire::config {
namespace {

using testing::expect_error;
using testing::insert_after;
using testing::kBaseConfig;
using testing::line_of;
using testing::remove_line;
using testing::replace_once;

// Replaces `from` (unique) with `to` and expects an error at the line of `to`.
void expect_replaced_error(std::string_view from, std::string_view to, std::string_view path,
                           std::string_view message_part) {
  const std::string text = replace_once(kBaseConfig, from, to);
  expect_error(text, line_of(text, to), path, message_part);
}

// Adds `line` after `anchor` and expects an error at the added line.
void expect_added_error(std::string_view anchor, std::string_view line, std::string_view path,
                        std::string_view message_part) {
  const std::string text = insert_after(kBaseConfig, anchor, line);
  expect_error(text, line_of(text, line), path, message_part);
}

// Removes the line of `anchor`, a member of a group whose opening line is
// `group_line`, and expects a missing-setting error there.
void expect_missing(std::string_view anchor, int group_line, std::string_view path) {
  expect_error(remove_line(kBaseConfig, anchor), group_line, path, "missing required setting");
}

// --- file and syntax level -----------------------------------------------------------------

TEST(ConfigErrors, SyntaxErrorCarriesFileAndLine) {
  expect_error("instance = \"a\";\ndataplane = {\n  workers [ 1 ];\n};\n", 3, "", "syntax error");
}

TEST(ConfigErrors, DuplicateSettingName) {
  expect_error("instance = \"a\";\ninstance = \"b\";\n", 2, "", "duplicate setting name");
}

TEST(ConfigErrors, DecimalIntegerBeyond32BitsNeedsSuffix) {
  // libconfig 1.5 would silently read 4294967296 as 0.
  const std::string text =
      insert_after(kBaseConfig, "spi = 0x2001;", "    life_bytes = 4294967296;");
  expect_error(text, line_of(text, "life_bytes"), "",
               "integer 4294967296 does not fit in 32 bits: libconfig needs the L suffix");
}

TEST(ConfigErrors, HexIntegerBeyond32BitsIsRejected) {
  // libconfig 1.5 would silently read 0x100001001 as 0x1001.
  expect_replaced_error("sa_in = 0x1001;", "sa_in = 0x100001001;", "",
                        "integer 0x100001001 does not fit in 32 bits");
}

TEST(ConfigErrors, IntegerBeyond64BitsIsRejected) {
  const std::string text =
      insert_after(kBaseConfig, "spi = 0x2001;", "    life_bytes = 99999999999999999999L;");
  expect_error(text, line_of(text, "life_bytes"), "", "does not fit in 64 bits");
}

TEST(ConfigErrors, IncludeIsRejected) {
  expect_error("instance = \"a\";\n@include \"other.conf\"\n", 2, "", "@include is not supported");
}

TEST(ConfigErrors, NulByteIsRejected) {
  expect_error(std::string_view("instance = \"a\";\n\0\n", 18), 2, "", "NUL byte");
}

// --- top level -----------------------------------------------------------------------------

TEST(ConfigErrors, UnknownTopLevelSetting) {
  expect_replaced_error("sessions = (", "session = (", "session",
                        "unknown setting (expected one of: instance, dataplane");
}

TEST(ConfigErrors, MissingDataplaneIsReportedOnTheFile) {
  std::string text(kBaseConfig);
  const size_t start = text.find("dataplane = {");
  text.erase(start, text.find("};\n", start) + 3 - start);
  expect_error(text, 0, "dataplane", "missing required setting");
}

TEST(ConfigErrors, MissingPorts) {
  expect_error("dataplane = { workers = [ 1 ]; };\n", 0, "ports", "missing required setting");
}

TEST(ConfigErrors, InstanceWithInvalidCharacters) {
  expect_replaced_error("instance = \"sc0\";", "instance = \"sc 0\";", "instance",
                        "is not 1..32 characters");
}

TEST(ConfigErrors, InstanceTooLong) {
  expect_replaced_error("instance = \"sc0\";", "instance = \"" + std::string(33, 'a') + "\";",
                        "instance", "is not 1..32 characters");
}

TEST(ConfigErrors, InstanceOfWrongType) {
  expect_replaced_error("instance = \"sc0\";", "instance = 7;", "instance",
                        "expected a string, got an integer");
}

// --- dataplane ------------------------------------------------------------------------------

TEST(ConfigErrors, DataplaneNotAGroup) {
  std::string text(kBaseConfig);
  const size_t start = text.find("dataplane = {");
  text.replace(start, text.find("};\n", start) + 3 - start, "dataplane = [ 1 ];\n");
  expect_error(text, 2, "dataplane", "expected a group { ... }, got an array");
}

TEST(ConfigErrors, UnknownDataplaneSetting) {
  expect_added_error("burst = 64;", "  bursts = 64;", "dataplane.bursts", "unknown setting");
}

TEST(ConfigErrors, MissingWorkers) {
  expect_missing("workers = [ 1, 2 ];", 2, "dataplane.workers");
}

TEST(ConfigErrors, EmptyWorkers) {
  expect_replaced_error("workers = [ 1, 2 ];", "workers = [ ];", "dataplane.workers",
                        "needs at least one worker lcore");
}

TEST(ConfigErrors, DuplicateWorker) {
  expect_replaced_error("workers = [ 1, 2 ];", "workers = [ 3, 3 ];", "dataplane.workers.[1]",
                        "lcore 3 is listed twice");
}

TEST(ConfigErrors, WorkerOutOfRange) {
  expect_replaced_error("workers = [ 1, 2 ];", "workers = [ 1, 128 ];", "dataplane.workers.[1]",
                        "must be 0..127, got 128");
}

TEST(ConfigErrors, WorkerOfWrongType) {
  expect_replaced_error("workers = [ 1, 2 ];", "workers = [ \"1\" ];", "dataplane.workers.[0]",
                        "expected an integer, got a string");
}

TEST(ConfigErrors, WorkersNotAList) {
  expect_replaced_error("workers = [ 1, 2 ];", "workers = 1;", "dataplane.workers",
                        "expected a list [ ... ], got an integer");
}

TEST(ConfigErrors, BurstTooSmall) {
  expect_replaced_error("burst = 64;", "burst = 0;", "dataplane.burst", "must be 1..256, got 0");
}

TEST(ConfigErrors, BurstTooLarge) {
  expect_replaced_error("burst = 64;", "burst = 257;", "dataplane.burst",
                        "must be 1..256, got 257");
}

TEST(ConfigErrors, BurstAsFloat) {
  expect_replaced_error("burst = 64;", "burst = 64.0;", "dataplane.burst",
                        "expected an integer, got a floating-point number");
}

TEST(ConfigErrors, MempoolOutOfRange) {
  expect_added_error("burst = 64;", "  mempool_mbufs = 1000;", "dataplane.mempool_mbufs",
                     "must be 1023..4194303, got 1000");
}

TEST(ConfigErrors, MaxSasOutOfRange) {
  expect_added_error("burst = 64;", "  max_sas = 1;", "dataplane.max_sas",
                     "must be 2..8388608, got 1");
}

TEST(ConfigErrors, MaxSessionsOutOfRange) {
  expect_added_error("burst = 64;", "  max_sessions = 2097152;", "dataplane.max_sessions",
                     "must be 1..2097151, got 2097152");
}

TEST(ConfigErrors, MaxSasBelowConfiguredSas) {
  expect_added_error("burst = 64;", "  max_sas = 3;", "dataplane.max_sas",
                     "3 is less than the 4 SAs configured");
}

TEST(ConfigErrors, MaxSessionsBelowConfiguredSessions) {
  expect_added_error("burst = 64;", "  max_sessions = 1;", "dataplane.max_sessions",
                     "1 is less than the 2 sessions configured");
}

TEST(ConfigErrors, MaxSessionsOfWrongType) {
  expect_added_error("burst = 64;", "  max_sessions = \"many\";", "dataplane.max_sessions",
                     "expected an integer, got a string");
}

TEST(ConfigErrors, EalArgumentOfWrongType) {
  expect_replaced_error("eal = [ \"--no-huge\", \"--no-pci\" ];", "eal = [ \"-m\", 1024 ];", "",
                        "mismatched element type in array");
}

TEST(ConfigErrors, EalArgumentOfWrongTypeInList) {
  expect_replaced_error("eal = [ \"--no-huge\", \"--no-pci\" ];", "eal = ( \"-m\", 1024 );",
                        "dataplane.eal.[1]", "expected a string, got an integer");
}

// --- ports ----------------------------------------------------------------------------------

TEST(ConfigErrors, PortsNotAList) {
  std::string text(kBaseConfig);
  const size_t start = text.find("ports = (");
  text.replace(start, text.find(");\n", start) + 3 - start, "ports = \"access\";\n");
  expect_error(text, line_of(text, "ports = "), "ports",
               "expected a list ( { ... }, ... ), got a string");
}

TEST(ConfigErrors, PortNotAGroup) {
  expect_replaced_error("ports = (", "ports = ( \"eth0\",", "ports.[0]",
                        "expected a group { ... }, got a string");
}

TEST(ConfigErrors, UnknownPortSetting) {
  expect_added_error("device = \"net_null1\";", "    gateway = \"02:00:00:00:01:01\";",
                     "ports.[1].gateway", "unknown setting");
}

TEST(ConfigErrors, MissingPortDevice) {
  expect_missing("device = \"net_null0\";", 8, "ports.[0].device");
}

TEST(ConfigErrors, EmptyPortDevice) {
  expect_replaced_error("device = \"net_null1\";", "device = \"\";", "ports.[1].device",
                        "must not be empty");
}

TEST(ConfigErrors, DuplicatePortName) {
  const std::string text = replace_once(kBaseConfig, "name = \"core\";", "name = \"access\";");
  expect_error(text, line_of(text, "name = \"access\";\n    role = \"core\""), "ports.[1].name",
               "port \"access\" is already defined at line 8");
}

TEST(ConfigErrors, InvalidPortName) {
  expect_replaced_error("name = \"core\";", "name = \"core port\";", "ports.[1].name",
                        "is not 1..32 characters");
}

TEST(ConfigErrors, InvalidPortRole) {
  expect_replaced_error("role = \"core\";", "role = \"edge\";", "ports.[1].role",
                        "\"edge\" is not one of \"access\", \"core\"");
}

TEST(ConfigErrors, NoCorePort) {
  const std::string text = replace_once(kBaseConfig, "role = \"core\";", "role = \"access\";");
  expect_error(text, line_of(text, "ports = ("), "ports", "needs a port with role = \"core\"");
}

TEST(ConfigErrors, NoAccessPort) {
  const std::string text = replace_once(kBaseConfig, "role = \"access\";", "role = \"core\";");
  expect_error(text, line_of(text, "ports = ("), "ports", "needs a port with role = \"access\"");
}

TEST(ConfigErrors, InvalidMac) {
  expect_replaced_error("mac = \"02:00:00:00:00:02\";", "mac = \"02:00:00:00:00\";",
                        "ports.[0].mac", "is not a MAC address");
}

TEST(ConfigErrors, MulticastMac) {
  expect_replaced_error("mac = \"02:00:00:00:00:02\";", "mac = \"01:00:5e:00:00:01\";",
                        "ports.[0].mac", "is not a unicast MAC address");
}

TEST(ConfigErrors, ZeroGatewayMac) {
  expect_replaced_error("gateway_mac = \"02:00:00:00:01:01\";",
                        "gateway_mac = \"00:00:00:00:00:00\";", "ports.[1].gateway_mac",
                        "is not a unicast MAC address");
}

TEST(ConfigErrors, EmptyPortAddresses) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];", "addresses = [ ];",
                        "ports.[1].addresses", "needs at least one address");
}

TEST(ConfigErrors, InvalidPortAddress) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];",
                        "addresses = [ \"203.0.113.300/24\" ];", "ports.[1].addresses.[0]",
                        "'203.0.113.300' is not a valid IPv4 or IPv6 address");
}

TEST(ConfigErrors, PortAddressWithoutLength) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];", "addresses = [ \"203.0.113.1\" ];",
                        "ports.[1].addresses.[0]", "has no prefix length");
}

TEST(ConfigErrors, PortAddressLengthTooLong) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];",
                        "addresses = [ \"203.0.113.1/33\" ];", "ports.[1].addresses.[0]",
                        "prefix length must be 0..32");
}

TEST(ConfigErrors, PortAddressOnTwoPorts) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];",
                        "addresses = [ \"203.0.113.1/24\", \"198.51.100.1/25\" ];",
                        "ports.[1].addresses.[1]",
                        "198.51.100.1 is already an address of port \"access\"");
}

TEST(ConfigErrors, MulticastPortAddress) {
  expect_replaced_error("addresses = [ \"203.0.113.1/24\" ];", "addresses = [ \"224.0.0.1/4\" ];",
                        "ports.[1].addresses.[0]", "224.0.0.1 is not a unicast address");
}

// --- neighbors ------------------------------------------------------------------------------

TEST(ConfigErrors, NeighborOnUnknownPort) {
  expect_replaced_error("port = \"access\";", "port = \"acess\";", "neighbors.[0].port",
                        "no port named \"acess\"");
}

TEST(ConfigErrors, NeighborFamilyNotOnPort) {
  // The core port has IPv4 addresses only.
  const std::string text =
      replace_once(replace_once(kBaseConfig, "port = \"access\";", "port = \"core\";"),
                   "address = \"192.0.2.1\";", "address = \"2001:db8:c::9\";");
  expect_error(text, line_of(text, "2001:db8:c::9"), "neighbors.[0].address",
               "IPv6 neighbor 2001:db8:c::9 but port \"core\" has no IPv6 address");
}

TEST(ConfigErrors, DuplicateNeighbor) {
  const std::string text = insert_after(kBaseConfig, "mac = \"02:00:00:00:00:09\";",
                                        "  },\n  {\n    port = \"access\";\n    address = "
                                        "\"192.0.2.1\";\n    mac = \"02:00:00:00:00:0a\";");
  expect_error(text, line_of(text, "mac = \"02:00:00:00:00:09\";") + 4, "neighbors.[1].address",
               "neighbor 192.0.2.1 on port \"access\" is already defined");
}

TEST(ConfigErrors, NeighborInvalidMac) {
  expect_replaced_error("mac = \"02:00:00:00:00:09\";", "mac = \"02:00:00:00:00:0g\";",
                        "neighbors.[0].mac", "is not a MAC address");
}

TEST(ConfigErrors, MissingNeighborAddress) {
  expect_missing("address = \"192.0.2.1\";", line_of(kBaseConfig, "port = \"access\";") - 1,
                 "neighbors.[0].address");
}

TEST(ConfigErrors, UnknownNeighborSetting) {
  expect_added_error("mac = \"02:00:00:00:00:09\";", "    ttl = 5;", "neighbors.[0].ttl",
                     "unknown setting");
}

// --- SAs ------------------------------------------------------------------------------------

TEST(ConfigErrors, ReservedSpi) {
  expect_replaced_error("spi = 0x2001;", "spi = 255;", "sas.[1].spi",
                        "SPI 255 is reserved (0..255, RFC 4303)");
}

TEST(ConfigErrors, NegativeSpi) {
  expect_replaced_error("spi = 0x2001;", "spi = -5;", "sas.[1].spi",
                        "must be 0..4294967295, got -5");
}

TEST(ConfigErrors, SpiAsString) {
  expect_replaced_error("spi = 0x2001;", "spi = \"0x2001\";", "sas.[1].spi",
                        "expected an integer, got a string");
}

TEST(ConfigErrors, DuplicateInboundSpi) {
  const std::string text = replace_once(kBaseConfig, "spi = 0x1002;", "spi = 0x1001;");
  expect_error(text, line_of(text, "key = \"0x2021") - 5, "sas.[2].spi",
               "duplicate inbound SPI 0x1001 (first defined at line " +
                   std::to_string(line_of(text, "key = \"0x0001") - 6) + ")");
}

TEST(ConfigErrors, DuplicateOutboundSpi) {
  const std::string text = replace_once(kBaseConfig, "spi = 0x2002;", "spi = 0x2001;");
  expect_error(text, line_of(text, "key = \"0x4041") - 5, "sas.[3].spi",
               "duplicate outbound SPI 0x2001");
}

TEST(ConfigErrors, InvalidDirection) {
  expect_replaced_error("direction = \"out\";\n    local = \"198",
                        "direction = \"both\";\n    local = \"198", "sas.[1].direction",
                        "\"both\" is not one of \"in\", \"out\"");
}

TEST(ConfigErrors, MissingSaKey) {
  expect_missing("key = \"0x1011", line_of(kBaseConfig, "spi = 0x2001;") - 1, "sas.[1].key");
}

TEST(ConfigErrors, UnknownSaSetting) {
  expect_added_error("spi = 0x1001;", "    replay = 64;", "sas.[0].replay", "unknown setting");
}

TEST(ConfigErrors, SaLocalNotOnAccessPort) {
  // 203.0.113.1 belongs to the core port.
  const std::string text = replace_once(
      kBaseConfig, "spi = 0x1001;\n    direction = \"in\";\n    local = \"198.51.100.1\";",
      "spi = 0x1001;\n    direction = \"in\";\n    local = \"203.0.113.1\";");
  expect_error(text, line_of(text, "local = \"203.0.113.1\";"), "sas.[0].local",
               "203.0.113.1 is not an address of an access port");
}

TEST(ConfigErrors, SaLocalInvalid) {
  const std::string text = replace_once(
      kBaseConfig, "spi = 0x1001;\n    direction = \"in\";\n    local = \"198.51.100.1\";",
      "spi = 0x1001;\n    direction = \"in\";\n    local = \"198.51.100\";");
  expect_error(text, line_of(text, "local = \"198.51.100\";"), "sas.[0].local",
               "'198.51.100' is not a valid IPv4 or IPv6 address");
}

TEST(ConfigErrors, SaFamiliesDiffer) {
  const std::string text = replace_once(
      kBaseConfig,
      "remote = \"2001:db8:f::2\";\n    proposal = \"aes256gcm16\";\n    key = \"0x2021",
      "remote = \"192.0.2.2\";\n    proposal = \"aes256gcm16\";\n    key = \"0x2021");
  expect_error(text, line_of(text, "192.0.2.2"), "sas.[2].remote",
               "remote 192.0.2.2 is IPv4 but local 2001:db8:a::1 is IPv6");
}

TEST(ConfigErrors, SaRemoteMulticast) {
  const std::string text = replace_once(
      kBaseConfig,
      "remote = \"2001:db8:f::2\";\n    proposal = \"aes256gcm16\";\n    key = \"0x2021",
      "remote = \"ff02::1\";\n    proposal = \"aes256gcm16\";\n    key = \"0x2021");
  expect_error(text, line_of(text, "ff02::1"), "sas.[2].remote",
               "ff02::1 is not a unicast address");
}

TEST(ConfigErrors, UnknownProposal) {
  const std::string text =
      replace_once(kBaseConfig, "proposal = \"aes128gcm16\";\n    key = \"0x0001",
                   "proposal = \"aes128gcm12\";\n    key = \"0x0001");
  expect_error(text, line_of(text, "aes128gcm12"), "sas.[0].proposal",
               "\"aes128gcm12\" is not one of \"aes128gcm16\", \"aes256gcm16\", \"aes128gmac\", "
               "\"aes256gmac\"");
}

TEST(ConfigErrors, ProposalIsCaseSensitive) {
  const std::string text =
      replace_once(kBaseConfig, "proposal = \"aes128gcm16\";\n    key = \"0x0001",
                   "proposal = \"AES128GCM16\";\n    key = \"0x0001");
  expect_error(text, line_of(text, "AES128GCM16"), "sas.[0].proposal", "is not one of");
}

TEST(ConfigErrors, KeyTooShortForAes128) {
  expect_replaced_error("key = \"0x000102030405060708090a0b0c0d0e0faabbccdd\";",
                        "key = \"0x000102030405060708090a0b0c0d0e0f\";", "sas.[0].key",
                        "must be 20 bytes for aes128gcm16 (16-byte AES key + 4-byte salt), got 16 "
                        "bytes");
}

TEST(ConfigErrors, Aes128KeyForAes256Proposal) {
  expect_replaced_error(
      "key = \"0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fc0c1c2c3\";",
      "key = \"0x202122232425262728292a2b2c2d2e2fc0c1c2c3\";", "sas.[2].key",
      "must be 36 bytes for aes256gcm16 (32-byte AES key + 4-byte salt), got 20 bytes");
}

TEST(ConfigErrors, KeyWithBadHexNeverQuotesTheKey) {
  const std::string text =
      replace_once(kBaseConfig, "key = \"0x000102030405060708090a0b0c0d0e0faabbccdd\";",
                   "key = \"0x000102030405060708090a0b0c0d0e0faabbccdz\";");
  expect_error(text, line_of(text, "ccdz"), "sas.[0].key",
               "not a valid hex key: not a hex digit at position 40");
  try {
    load_config_text(text, testing::kTestFile);
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()).find("0a0b0c"), std::string::npos) << error.what();
  }
}

TEST(ConfigErrors, KeyWithOddDigits) {
  expect_replaced_error("key = \"0x000102030405060708090a0b0c0d0e0faabbccdd\";",
                        "key = \"0x000102030405060708090a0b0c0d0e0faabbccd\";", "sas.[0].key",
                        "odd number of hex digits");
}

TEST(ConfigErrors, KeyAsInteger) {
  expect_replaced_error("key = \"0x000102030405060708090a0b0c0d0e0faabbccdd\";", "key = 0x1234;",
                        "sas.[0].key", "expected a hex string, got an integer");
}

TEST(ConfigErrors, ReplayWindowNotPowerOfTwo) {
  expect_replaced_error("replay_window = 512;", "replay_window = 100;", "sas.[0].replay_window",
                        "must be 0 (off) or a power of two in 64..4096, got 100");
}

TEST(ConfigErrors, ReplayWindowTooSmall) {
  expect_replaced_error("replay_window = 512;", "replay_window = 32;", "sas.[0].replay_window",
                        "power of two in 64..4096, got 32");
}

TEST(ConfigErrors, ReplayWindowTooLarge) {
  expect_replaced_error("replay_window = 512;", "replay_window = 8192;", "sas.[0].replay_window",
                        "must be 0..4096, got 8192");
}

TEST(ConfigErrors, ReplayWindowOnOutboundSa) {
  expect_added_error("spi = 0x2001;", "    replay_window = 64;", "sas.[1].replay_window",
                     "replay_window applies to inbound SAs only");
}

TEST(ConfigErrors, EsnOfWrongType) {
  expect_replaced_error("esn = false;", "esn = 0;", "sas.[0].esn",
                        "expected a boolean (true/false), got an integer");
}

TEST(ConfigErrors, NatPortWithoutNatT) {
  expect_added_error("spi = 0x2001;", "    remote_port = 31337;", "sas.[1].remote_port",
                     "UDP encapsulation ports need nat_t = true");
}

TEST(ConfigErrors, NatPortZero) {
  const std::string text =
      insert_after(kBaseConfig, "spi = 0x2001;", "    nat_t = true;\n    local_port = 0;");
  expect_error(text, line_of(text, "local_port"), "sas.[1].local_port", "must be 1..65535, got 0");
}

TEST(ConfigErrors, NatPortTooLarge) {
  const std::string text =
      insert_after(kBaseConfig, "spi = 0x2001;", "    nat_t = true;\n    remote_port = 65536;");
  expect_error(text, line_of(text, "remote_port"), "sas.[1].remote_port",
               "must be 1..65535, got 65536");
}

TEST(ConfigErrors, InvalidMode) {
  expect_added_error("spi = 0x2001;", "    mode = \"beet\";", "sas.[1].mode",
                     "\"beet\" is not one of \"transport\", \"tunnel\"");
}

TEST(ConfigErrors, TrafficSelectorInTransportMode) {
  expect_added_error("spi = 0x2001;", "    remote_ts = \"10.0.0.5/32\";", "sas.[1].remote_ts",
                     "traffic selectors need mode = \"tunnel\"");
}

TEST(ConfigErrors, TrafficSelectorWithHostBits) {
  const std::string text = insert_after(kBaseConfig, "spi = 0x2001;",
                                        "    mode = \"tunnel\";\n    remote_ts = \"10.0.0.5/24\";");
  expect_error(text, line_of(text, "remote_ts"), "sas.[1].remote_ts",
               "'10.0.0.5/24' has host bits set (the network is 10.0.0.0/24)");
}

TEST(ConfigErrors, TrafficSelectorFamiliesDiffer) {
  const std::string text = insert_after(
      kBaseConfig, "spi = 0x2001;", "    mode = \"tunnel\";\n    remote_ts = \"2001:db8::/64\";");
  expect_error(text, line_of(text, "remote_ts"), "sas.[1].remote_ts",
               "local_ts 198.51.100.1/32 and remote_ts 2001:db8::/64 are of different families");
}

TEST(ConfigErrors, SoftLifetimeAboveHard) {
  const std::string text = insert_after(kBaseConfig, "spi = 0x2001;",
                                        "    life_bytes = 1000;\n    soft_life_bytes = 2000;");
  expect_error(text, line_of(text, "soft_life_bytes"), "sas.[1].soft_life_bytes",
               "soft_life_bytes 2000 exceeds life_bytes 1000");
}

TEST(ConfigErrors, NegativeLifetime) {
  expect_added_error("spi = 0x2001;", "    life_packets = -1;", "sas.[1].life_packets",
                     "must be 0..9223372036854775807, got -1");
}

TEST(ConfigErrors, SasNotAList) {
  std::string text(kBaseConfig);
  const size_t start = text.find("sas = (");
  text.replace(start, text.find(");\n", start) + 3 - start, "sas = { };\n");
  expect_error(text, line_of(text, "sas = "), "sas",
               "expected a list ( { ... }, ... ), got a group");
}

// --- sessions -------------------------------------------------------------------------------

TEST(ConfigErrors, MissingIdentity) {
  expect_missing("identity = \"si2@example.net\";",
                 line_of(kBaseConfig, "identity = \"si2@example.net\";") - 1,
                 "sessions.[1].identity");
}

TEST(ConfigErrors, EmptyIdentity) {
  expect_replaced_error("identity = \"si2@example.net\";", "identity = \"\";",
                        "sessions.[1].identity", "must not be empty");
}

TEST(ConfigErrors, IdentityTooLong) {
  expect_replaced_error("identity = \"si2@example.net\";",
                        "identity = \"" + std::string(128, 'i') + "\";", "sessions.[1].identity",
                        "is 128 bytes long, at most 127 allowed");
}

TEST(ConfigErrors, DuplicateIdentity) {
  const std::string text = replace_once(kBaseConfig, "identity = \"si2@example.net\";",
                                        "identity = \"si1@example.net\";");
  expect_error(text, line_of(text, "sa_in = 0x1002;") - 1, "sessions.[1].identity",
               "identity \"si1@example.net\" is already used by the session at line " +
                   std::to_string(line_of(text, "sa_in = 0x1001;") - 2));
}

TEST(ConfigErrors, SaInWithoutSa) {
  expect_replaced_error("sa_in = 0x1001;", "sa_in = 0x1003;", "sessions.[0].sa_in",
                        "sa_in 0x1003: no inbound SA with this SPI");
}

TEST(ConfigErrors, SaInNamesAnOutboundSa) {
  expect_replaced_error("sa_in = 0x1001;", "sa_in = 0x2001;", "sessions.[0].sa_in",
                        "sa_in 0x2001: no inbound SA with this SPI");
}

TEST(ConfigErrors, SaOutWithoutSa) {
  expect_replaced_error("sa_out = 0x2002;", "sa_out = 0x1002;", "sessions.[1].sa_out",
                        "sa_out 0x1002: no outbound SA with this SPI");
}

TEST(ConfigErrors, SaPairJoinsDifferentAddresses) {
  const std::string text = replace_once(kBaseConfig, "sa_out = 0x2002;", "sa_out = 0x2001;");
  expect_error(text, line_of(text, "sa_in = 0x1002;") + 1, "sessions.[1].sa_out",
               "sa_out 0x2001 (198.51.100.1 <-> 192.0.2.1) does not join the same "
               "addresses as sa_in 0x1002 (2001:db8:a::1 <-> 2001:db8:f::2)");
}

TEST(ConfigErrors, SaPairDiffersInNatT) {
  const std::string text = insert_after(kBaseConfig, "spi = 0x2001;", "    nat_t = true;");
  expect_error(text, line_of(text, "sa_out = 0x2001;"), "sessions.[0].sa_out",
               "sa_out 0x2001 and sa_in 0x1001 differ in NAT-T");
}

TEST(ConfigErrors, TunnelIdZero) {
  expect_replaced_error("tunnel_id = 7;\n    session_id = 9;",
                        "tunnel_id = 0;\n    session_id = 9;", "sessions.[0].tunnel_id",
                        "must be 1..65535, got 0");
}

TEST(ConfigErrors, PeerSessionIdTooLarge) {
  expect_replaced_error("peer_session_id = 201;", "peer_session_id = 65536;",
                        "sessions.[1].peer_session_id", "must be 1..65535, got 65536");
}

TEST(ConfigErrors, MissingPeerTunnelId) {
  expect_missing("peer_tunnel_id = 101;", line_of(kBaseConfig, "identity = \"si2") - 1,
                 "sessions.[1].peer_tunnel_id");
}

TEST(ConfigErrors, DuplicateTunnelAndSessionId) {
  const std::string text = replace_once(kBaseConfig, "session_id = 10;", "session_id = 9;");
  expect_error(text, line_of(text, "session_id = 9;\n    peer_tunnel_id = 101;"),
               "sessions.[1].session_id",
               "tunnel_id 7 with session_id 9 is already used by session \"si1@example.net\"");
}

TEST(ConfigErrors, EmptyPrefixes) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];", "prefixes = [ ];",
                        "sessions.[1].prefixes", "needs at least one prefix");
}

TEST(ConfigErrors, PrefixWithHostBits) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];", "prefixes = [ \"10.2.0.1/24\" ];",
                        "sessions.[1].prefixes.[0]", "'10.2.0.1/24' has host bits set");
}

TEST(ConfigErrors, InvalidPrefix) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];", "prefixes = [ \"10.2.0.0/40\" ];",
                        "sessions.[1].prefixes.[0]", "prefix length must be 0..32");
}

TEST(ConfigErrors, PrefixEqualToAnotherSessions) {
  const int si1_line = line_of(kBaseConfig, "identity = \"si1@example.net\";") - 1;
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];", "prefixes = [ \"10.1.0.0/30\" ];",
                        "sessions.[1].prefixes.[0]",
                        "10.1.0.0/30 equals 10.1.0.0/30, a prefix of session \"si1@example.net\" "
                        "(line " +
                            std::to_string(si1_line) + ")");
}

TEST(ConfigErrors, PrefixContainingAnotherSessions) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];", "prefixes = [ \"10.0.0.0/8\" ];",
                        "sessions.[1].prefixes.[0]",
                        "10.0.0.0/8 overlaps 10.1.0.0/30, a prefix of session \"si1@example.net\"");
}

TEST(ConfigErrors, PrefixInsideAnotherSessions) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];",
                        "prefixes = [ \"10.9.0.0/16\", \"2001:db8:1:0:8000::/65\" ];",
                        "sessions.[1].prefixes.[1]",
                        "2001:db8:1:0:8000::/65 overlaps 2001:db8:1::/64, a prefix of session "
                        "\"si1@example.net\"");
}

TEST(ConfigErrors, PrefixesOverlapWithinOneSession) {
  expect_replaced_error("prefixes = [ \"10.2.0.0/24\" ];",
                        "prefixes = [ \"10.2.0.0/24\", \"10.2.0.128/25\" ];",
                        "sessions.[1].prefixes.[1]",
                        "10.2.0.128/25 overlaps 10.2.0.0/24, another prefix of the same session");
}

TEST(ConfigErrors, MtuTooSmall) {
  expect_replaced_error("mtu = 1400;", "mtu = 575;", "sessions.[0].mtu",
                        "must be 576..9000, got 575");
}

TEST(ConfigErrors, MtuTooLarge) {
  expect_replaced_error("mtu = 1400;", "mtu = 9001;", "sessions.[0].mtu",
                        "must be 576..9000, got 9001");
}

TEST(ConfigErrors, PeerPortZero) {
  expect_added_error("mtu = 1400;", "    peer_port = 0;", "sessions.[0].peer_port",
                     "must be 1..65535, got 0");
}

TEST(ConfigErrors, UnknownSessionSetting) {
  expect_added_error("mtu = 1400;", "    prefix = \"10.9.0.0/16\";", "sessions.[0].prefix",
                     "unknown setting (expected one of: identity, sa_in");
}

TEST(ConfigErrors, SessionNotAGroup) {
  expect_replaced_error("sessions = (", "sessions = ( 5,", "sessions.[0]",
                        "expected a group { ... }, got an integer");
}

// --- control --------------------------------------------------------------------------------

TEST(ConfigErrors, UnknownControlSetting) {
  expect_added_error("session_metrics = true;", "  metrics = true;", "control.metrics",
                     "unknown setting");
}

TEST(ConfigErrors, RelativeSocketPath) {
  expect_replaced_error("socket = \"/run/softwire/sc0.sock\";", "socket = \"sc0.sock\";",
                        "control.socket", "must be an absolute path");
}

TEST(ConfigErrors, SocketPathTooLong) {
  expect_replaced_error("socket = \"/run/softwire/sc0.sock\";",
                        "socket = \"/" + std::string(107, 's') + "\";", "control.socket",
                        "of at most 107 characters");
}

TEST(ConfigErrors, MetricsListenWithoutPort) {
  expect_replaced_error("metrics_listen = \"127.0.0.1:9550\";", "metrics_listen = \"127.0.0.1\";",
                        "control.metrics_listen", "is not HOST:PORT");
}

TEST(ConfigErrors, MetricsListenPortZero) {
  expect_replaced_error("metrics_listen = \"127.0.0.1:9550\";", "metrics_listen = \"127.0.0.1:0\";",
                        "control.metrics_listen", "is not HOST:PORT");
}

TEST(ConfigErrors, MetricsListenUnbracketedIpv6) {
  expect_replaced_error("metrics_listen = \"127.0.0.1:9550\";", "metrics_listen = \"::1:9550\";",
                        "control.metrics_listen", "is not HOST:PORT");
}

TEST(ConfigErrors, SessionMetricsOfWrongType) {
  expect_replaced_error("session_metrics = true;", "session_metrics = \"yes\";",
                        "control.session_metrics", "expected a boolean (true/false), got a string");
}

TEST(ConfigErrors, SessionMetricsTopOutOfRange) {
  expect_added_error("session_metrics = true;", "  session_metrics_top = 100001;",
                     "control.session_metrics_top", "must be 0..100000, got 100001");
}

TEST(ConfigErrors, SaMetricsLimitOutOfRange) {
  expect_added_error("session_metrics = true;", "  sa_metrics_limit = 1000001;",
                     "control.sa_metrics_limit", "must be 0..1000000, got 1000001");
}

TEST(ConfigErrors, PuntRatePerPeerOutOfRange) {
  expect_added_error("session_metrics = true;", "  punt_rate_per_peer = 0;",
                     "control.punt_rate_per_peer", "must be 1..1000000, got 0");
}

TEST(ConfigErrors, PuntBurstPerPeerOutOfRange) {
  expect_added_error("session_metrics = true;", "  punt_burst_per_peer = 1000001;",
                     "control.punt_burst_per_peer", "must be 1..1000000, got 1000001");
}

TEST(ConfigErrors, PuntRateGlobalOutOfRange) {
  expect_added_error("session_metrics = true;", "  punt_rate_global = 0;",
                     "control.punt_rate_global", "must be 1..100000000, got 0");
}

TEST(ConfigErrors, PuntBurstGlobalOfWrongType) {
  expect_added_error("session_metrics = true;", "  punt_burst_global = 2.5;",
                     "control.punt_burst_global", "expected an integer, got a floating-point");
}

TEST(ConfigErrors, SecurityLogRelativePath) {
  expect_added_error("session_metrics = true;", "  security_log = \"security.log\";",
                     "control.security_log", "must be an absolute path");
}

TEST(ConfigErrors, SecurityLogOfWrongType) {
  expect_added_error("session_metrics = true;", "  security_log = true;", "control.security_log",
                     "expected a string, got a boolean");
}

TEST(ConfigErrors, RekeyGraceZero) {
  expect_added_error("session_metrics = true;", "  rekey_grace = 0.0;", "control.rekey_grace",
                     "must be more than 0 and at most 3600 seconds");
}

TEST(ConfigErrors, RekeyGraceTooLong) {
  expect_added_error("session_metrics = true;", "  rekey_grace = 3601;", "control.rekey_grace",
                     "must be more than 0 and at most 3600 seconds");
}

TEST(ConfigErrors, RekeyGraceOfWrongType) {
  expect_added_error("session_metrics = true;", "  rekey_grace = \"5s\";", "control.rekey_grace",
                     "expected a number, got a string");
}

// --- through a file -------------------------------------------------------------------------

TEST(ConfigErrors, MissingFile) {
  const std::string path = "/nonexistent-softwire-dir/none.conf";
  try {
    load_config_file(path);
    ADD_FAILURE() << "loaded a missing file";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), path);
    EXPECT_EQ(error.line(), 0);
    EXPECT_EQ(error.path(), "");
    EXPECT_EQ(error.message(), "cannot open: No such file or directory");
    EXPECT_EQ(std::string(error.what()), path + ": cannot open: No such file or directory");
  }
}

TEST(ConfigErrors, DirectoryInsteadOfFile) {
  try {
    load_config_file("/");
    ADD_FAILURE() << "loaded a directory";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), "/");
    EXPECT_EQ(error.line(), 0);
    EXPECT_EQ(error.message(), "cannot read: Is a directory");
  }
}

}  // namespace
}  // namespace softwire::config
