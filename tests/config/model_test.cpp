// The model helpers and the text parsers under the loader.
#include "config/model.h"

#include <gtest/gtest.h>

#include "config/addresses.h"
#include "config/integer_literals.h"

namespace softwire::config {
namespace {

IpAddress address(const char* text) {
  return parse_ip_address(text).value.value();
}

// --- model ----------------------------------------------------------------------------------

TEST(ConfigModel, AddressToString) {
  EXPECT_EQ(address("192.0.2.1").to_string(), "192.0.2.1");
  EXPECT_EQ(address("2001:DB8:0:0::1").to_string(), "2001:db8::1");
  EXPECT_EQ(address("::ffff:192.0.2.1").to_string(), "::ffff:192.0.2.1");
}

TEST(ConfigModel, PrefixContains) {
  const IpPrefix v4{address("10.1.0.0"), 15};
  EXPECT_TRUE(v4.contains(address("10.0.0.0")));
  EXPECT_TRUE(v4.contains(address("10.1.255.255")));
  EXPECT_FALSE(v4.contains(address("10.2.0.0")));
  EXPECT_FALSE(v4.contains(address("11.0.0.0")));

  const IpPrefix everything{address("0.0.0.0"), 0};
  EXPECT_TRUE(everything.contains(address("255.255.255.255")));
  EXPECT_FALSE(everything.contains(address("::")));  // other family

  const IpPrefix host{address("2001:db8::1"), 128};
  EXPECT_TRUE(host.contains(address("2001:db8::1")));
  EXPECT_FALSE(host.contains(address("2001:db8::2")));

  const IpPrefix v6{address("2001:db8:1::"), 49};
  EXPECT_TRUE(v6.contains(address("2001:db8:1:7fff::1")));
  EXPECT_FALSE(v6.contains(address("2001:db8:1:8000::")));
}

TEST(ConfigModel, PrefixAndMacToString) {
  EXPECT_EQ((IpPrefix{address("2001:db8::"), 32}).to_string(), "2001:db8::/32");
  EXPECT_EQ((MacAddress{{0x02, 0x00, 0xab, 0xcd, 0xef, 0x01}}).to_string(), "02:00:ab:cd:ef:01");
}

TEST(ConfigModel, KeyMaterialComparesContents) {
  const KeyMaterial a({1, 2, 3, 4});
  EXPECT_TRUE(a == KeyMaterial({1, 2, 3, 4}));
  EXPECT_FALSE(a == KeyMaterial({1, 2, 3, 5}));
  EXPECT_FALSE(a == KeyMaterial({0, 2, 3, 4}));
  EXPECT_FALSE(a == KeyMaterial({1, 2, 3}));
  EXPECT_TRUE(KeyMaterial() == KeyMaterial());
}

TEST(ConfigModel, KeyMaterialCopiesAndMoves) {
  KeyMaterial a({1, 2, 3, 4});
  KeyMaterial b({9, 9});
  b = a;
  EXPECT_EQ(b.bytes(), (std::vector<uint8_t>{1, 2, 3, 4}));
  KeyMaterial c({7});
  c = std::move(a);
  EXPECT_EQ(c.bytes(), (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from state is defined
  KeyMaterial& self = c;
  c = self;
  EXPECT_EQ(c.size(), 4u);
}

TEST(ConfigModel, Proposals) {
  EXPECT_STREQ(proposal_name(Proposal::kAes128Gcm16), "aes128gcm16");
  EXPECT_STREQ(proposal_name(Proposal::kAes256Gcm16), "aes256gcm16");
  EXPECT_STREQ(proposal_name(Proposal::kAes128Gmac), "aes128gmac");
  EXPECT_STREQ(proposal_name(Proposal::kAes256Gmac), "aes256gmac");
  EXPECT_EQ(proposal_key_bytes(Proposal::kAes128Gcm16), 16u);
  EXPECT_EQ(proposal_key_bytes(Proposal::kAes256Gcm16), 32u);
  EXPECT_EQ(proposal_key_bytes(Proposal::kAes128Gmac), 16u);
  EXPECT_EQ(proposal_key_bytes(Proposal::kAes256Gmac), 32u);
  EXPECT_TRUE(proposal_encrypts(Proposal::kAes128Gcm16));
  EXPECT_TRUE(proposal_encrypts(Proposal::kAes256Gcm16));
  EXPECT_FALSE(proposal_encrypts(Proposal::kAes128Gmac));
  EXPECT_FALSE(proposal_encrypts(Proposal::kAes256Gmac));
}

TEST(ConfigModel, FindSaInHandBuiltUnsortedConfig) {
  Config config;
  for (uint32_t spi : {0x3000u, 0x1000u, 0x2000u}) {
    SaConfig sa;
    sa.spi = spi;
    sa.direction = spi == 0x2000 ? Direction::kOut : Direction::kIn;
    config.sas.push_back(std::move(sa));
  }
  ASSERT_FALSE(config.sas_sorted);
  EXPECT_EQ(config.find_sa(0x1000, Direction::kIn), &config.sas[1]);
  EXPECT_EQ(config.find_sa(0x2000, Direction::kOut), &config.sas[2]);
  EXPECT_EQ(config.find_sa(0x2000, Direction::kIn), nullptr);
}

TEST(ConfigModel, FindSaInSortedConfig) {
  Config config;
  for (uint32_t spi : {0x1000u, 0x3000u, 0x5000u}) {
    SaConfig sa;
    sa.spi = spi;
    config.sas.push_back(std::move(sa));
  }
  SaConfig out;
  out.spi = 0x2000;
  out.direction = Direction::kOut;
  config.sas.push_back(std::move(out));
  config.sas_sorted = true;
  EXPECT_EQ(config.find_sa(0x1000, Direction::kIn), &config.sas[0]);
  EXPECT_EQ(config.find_sa(0x5000, Direction::kIn), &config.sas[2]);
  EXPECT_EQ(config.find_sa(0x2000, Direction::kOut), &config.sas[3]);
  EXPECT_EQ(config.find_sa(0x4000, Direction::kIn), nullptr);
  EXPECT_EQ(config.find_sa(0x1000, Direction::kOut), nullptr);
}

TEST(ConfigModel, FindPort) {
  Config config;
  PortConfig access;
  access.name = "access";
  PortConfig core;
  core.name = "core";
  core.role = PortRole::kCore;
  config.ports.push_back(access);
  config.ports.push_back(core);
  ASSERT_NE(config.find_port("core"), nullptr);
  EXPECT_EQ(config.find_port("core")->role, PortRole::kCore);
  EXPECT_EQ(config.find_port("edge"), nullptr);
}

// --- parsers --------------------------------------------------------------------------------

TEST(ConfigParsers, IpAddresses) {
  EXPECT_TRUE(parse_ip_address("0.0.0.0"));
  EXPECT_EQ(address("192.0.2.1").bytes[3], 1);
  EXPECT_TRUE(address("192.0.2.1").is_v4());
  EXPECT_TRUE(address("::1").is_v6());
  EXPECT_FALSE(parse_ip_address("192.0.2"));
  EXPECT_FALSE(parse_ip_address("192.0.2.256"));
  EXPECT_FALSE(parse_ip_address(" 192.0.2.1"));
  EXPECT_FALSE(parse_ip_address("2001:db8:::1"));
  EXPECT_FALSE(parse_ip_address(""));
  EXPECT_EQ(parse_ip_address("fe80::1%eth0").error, "'fe80::1%eth0' is not a valid IPv6 address");
}

TEST(ConfigParsers, Prefixes) {
  const Parsed<IpPrefix> prefix = parse_ip_prefix("2001:db8:1::/48");
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix.value->length, 48);
  EXPECT_TRUE(parse_ip_prefix("10.0.0.0/8"));
  EXPECT_TRUE(parse_ip_prefix("0.0.0.0/0"));
  EXPECT_TRUE(parse_ip_prefix("192.0.2.1/32"));
  EXPECT_EQ(parse_ip_prefix("10.0.0.1/8").error,
            "'10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)");
  EXPECT_EQ(parse_ip_prefix("2001:db8::1/127").error,
            "'2001:db8::1/127' has host bits set (the network is 2001:db8::/127)");
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/-1"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/8x"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/33"));
  EXPECT_FALSE(parse_ip_prefix("::/129"));
  EXPECT_TRUE(parse_ip_prefix("::/128"));
}

TEST(ConfigParsers, InterfaceAddressesKeepHostBits) {
  const Parsed<IpPrefix> parsed = parse_interface_address("198.51.100.1/24");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value->address.to_string(), "198.51.100.1");
  EXPECT_EQ(parsed.value->length, 24);
  EXPECT_FALSE(parse_interface_address("198.51.100.1"));
}

TEST(ConfigParsers, NetworkOf) {
  EXPECT_EQ(network_of(parse_interface_address("198.51.100.77/26").value.value()).to_string(),
            "198.51.100.64/26");
  EXPECT_EQ(network_of(parse_interface_address("2001:db8::ffff/0").value.value()).to_string(),
            "::/0");
}

TEST(ConfigParsers, MacAddresses) {
  const Parsed<MacAddress> mac = parse_mac_address("02:AB:cd:00:00:ff");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac.value->bytes, (std::array<uint8_t, 6>{0x02, 0xab, 0xcd, 0x00, 0x00, 0xff}));
  EXPECT_TRUE(parse_mac_address("02-ab-cd-00-00-ff"));
  EXPECT_FALSE(parse_mac_address("02:ab:cd-00:00:ff"));
  EXPECT_FALSE(parse_mac_address("02:ab:cd:00:00"));
  EXPECT_FALSE(parse_mac_address("02:ab:cd:00:00:ff:01"));
  EXPECT_FALSE(parse_mac_address("2:ab:cd:00:00:ff:"));
  EXPECT_FALSE(parse_mac_address("02:ab:cd:00:00:fg"));
}

TEST(ConfigParsers, UnicastChecks) {
  EXPECT_TRUE(is_unicast(parse_mac_address("02:00:00:00:00:01").value.value()));
  EXPECT_FALSE(is_unicast(parse_mac_address("03:00:00:00:00:01").value.value()));
  EXPECT_FALSE(is_unicast(parse_mac_address("ff:ff:ff:ff:ff:ff").value.value()));
  EXPECT_FALSE(is_unicast(MacAddress{}));
  EXPECT_TRUE(is_unicast(address("192.0.2.1")));
  EXPECT_FALSE(is_unicast(address("0.0.0.0")));
  EXPECT_FALSE(is_unicast(address("239.1.1.1")));
  EXPECT_FALSE(is_unicast(address("255.255.255.255")));
  EXPECT_TRUE(is_unicast(address("2001:db8::1")));
  EXPECT_FALSE(is_unicast(address("::")));
  EXPECT_FALSE(is_unicast(address("ff02::1")));
}

TEST(ConfigParsers, Hex) {
  EXPECT_EQ(parse_hex("0x00ff10").value, (std::vector<uint8_t>{0x00, 0xff, 0x10}));
  EXPECT_EQ(parse_hex("0XABcd").value, (std::vector<uint8_t>{0xab, 0xcd}));
  EXPECT_EQ(parse_hex("abcd").value, (std::vector<uint8_t>{0xab, 0xcd}));
  EXPECT_EQ(parse_hex("0x").error, "empty hex string");
  EXPECT_EQ(parse_hex("").error, "empty hex string");
  EXPECT_EQ(parse_hex("0xabc").error, "odd number of hex digits (3)");
  EXPECT_EQ(parse_hex("0xab:d").error, "not a hex digit at position 3");
  EXPECT_EQ(parse_hex("0xabcg").error, "not a hex digit at position 4");
  EXPECT_FALSE(parse_hex("0x ab"));
}

// --- integer literals -----------------------------------------------------------------------

std::string literal_problem(std::string_view text) {
  const auto problem = find_unsafe_integer_literal(text);
  return problem ? std::to_string(problem->line) + ": " + problem->message : "";
}

TEST(ConfigLiterals, SafeLiterals) {
  EXPECT_EQ(literal_problem("a = 2147483647; b = -2147483648; c = 0xffffffff;"), "");
  EXPECT_EQ(literal_problem("a = 0x00000000ffffffff; b = 9223372036854775807L;"), "");
  EXPECT_EQ(literal_problem("a = -9223372036854775808L; b = 0x7fffffffffffffffLL;"), "");
  EXPECT_EQ(literal_problem("a = 1e20; b = 12345678901.5; c = .5; d = -1.5e+30; e = 1E-99;"), "");
  EXPECT_EQ(literal_problem("x9999999999 = 1; a-9999999999 = 2; *9999999999 = 3;"), "");
  EXPECT_EQ(literal_problem("a = \"9999999999 \\\" 9999999999\";"), "");
  EXPECT_EQ(literal_problem("# 9999999999\n// 9999999999\n/* 9999999999\n */ a = 1;"), "");
}

TEST(ConfigLiterals, UnsafeLiterals) {
  EXPECT_EQ(literal_problem("a = 2147483648;"),
            "1: integer 2147483648 does not fit in 32 bits: libconfig needs the L suffix for "
            "larger integers (2147483648L)");
  EXPECT_EQ(literal_problem("a = -2147483649;").substr(0, 29), "1: integer -2147483649 does n");
  EXPECT_EQ(literal_problem("a = +4294967296;").substr(0, 28), "1: integer +4294967296 does ");
  EXPECT_EQ(literal_problem("a = 0x100000000;").substr(0, 28), "1: integer 0x100000000 does ");
  EXPECT_EQ(literal_problem("a = 9223372036854775808L;"),
            "1: integer 9223372036854775808L does not fit in 64 bits");
  EXPECT_EQ(literal_problem("a = 0x8000000000000000L;"),
            "1: integer 0x8000000000000000L does not fit in 63 bits");
  EXPECT_EQ(literal_problem("a = 123456789012345678901234567890L;").substr(0, 2), "1:");
  EXPECT_EQ(literal_problem("@include \"x.conf\"").substr(0, 12), "1: @include ");
}

TEST(ConfigLiterals, LinesAreCountedThroughCommentsAndStrings) {
  EXPECT_EQ(
      literal_problem("/* a\nb */ s = \"x\ny\";\n# c\n  v = [ 1,\n 5000000000 ];").substr(0, 3),
      "6: ");
}

}  // namespace
}  // namespace softwire::config
