// Helpers for the configuration tests: a valid base file with one setting per
// line, text surgery on it, and expectations on ConfigError.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/loader.h"

namespace softwire::config::testing {

inline constexpr const char* kTestFile = "test.conf";

// Valid; every setting on its own line so that each error has a distinct line.
inline constexpr std::string_view kBaseConfig = R"(instance = "sc0";
dataplane = {
  eal = [ "--no-huge", "--no-pci" ];
  workers = [ 1, 2 ];
  burst = 64;
};
ports = (
  {
    name = "access";
    role = "access";
    device = "net_null0";
    mac = "02:00:00:00:00:02";
    addresses = [ "198.51.100.1/24", "2001:db8:a::1/64" ];
    gateway_mac = "02:00:00:00:00:01";
  },
  {
    name = "core";
    role = "core";
    device = "net_null1";
    mac = "02:00:00:00:01:02";
    addresses = [ "203.0.113.1/24" ];
    gateway_mac = "02:00:00:00:01:01";
  }
);
neighbors = (
  {
    port = "access";
    address = "192.0.2.1";
    mac = "02:00:00:00:00:09";
  }
);
sas = (
  {
    spi = 0x1001;
    direction = "in";
    local = "198.51.100.1";
    remote = "192.0.2.1";
    proposal = "aes128gcm16";
    key = "0x000102030405060708090a0b0c0d0e0faabbccdd";
    esn = false;
    replay_window = 512;
  },
  {
    spi = 0x2001;
    direction = "out";
    local = "198.51.100.1";
    remote = "192.0.2.1";
    proposal = "aes128gcm16";
    key = "0x101112131415161718191a1b1c1d1e1f01020304";
  },
  {
    spi = 0x1002;
    direction = "in";
    local = "2001:db8:a::1";
    remote = "2001:db8:f::2";
    proposal = "aes256gcm16";
    key = "0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fc0c1c2c3";
  },
  {
    spi = 0x2002;
    direction = "out";
    local = "2001:db8:a::1";
    remote = "2001:db8:f::2";
    proposal = "aes256gcm16";
    key = "0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5fd0d1d2d3";
  }
);
sessions = (
  {
    identity = "si1@example.net";
    sa_in = 0x1001;
    sa_out = 0x2001;
    tunnel_id = 7;
    session_id = 9;
    peer_tunnel_id = 100;
    peer_session_id = 200;
    prefixes = [ "2001:db8:1::/64", "10.1.0.0/30" ];
    mtu = 1400;
  },
  {
    identity = "si2@example.net";
    sa_in = 0x1002;
    sa_out = 0x2002;
    tunnel_id = 7;
    session_id = 10;
    peer_tunnel_id = 101;
    peer_session_id = 201;
    prefixes = [ "10.2.0.0/24" ];
  }
);
control = {
  socket = "/run/softwire/sc0.sock";
  metrics_listen = "127.0.0.1:9550";
  session_metrics = true;
};
)";

// `text` with its only occurrence of `from` replaced by `to`.
inline std::string replace_once(std::string_view text, std::string_view from, std::string_view to) {
  std::string result(text);
  const size_t at = result.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the text";
  if (at == std::string::npos) return result;
  EXPECT_EQ(result.find(from, at + 1), std::string::npos) << "'" << from << "' is not unique";
  result.replace(at, from.size(), to);
  return result;
}

// Inserts `line` (without newline) after the line holding `anchor`.
inline std::string insert_after(std::string_view text, std::string_view anchor,
                                std::string_view line) {
  std::string result(text);
  const size_t at = result.find(anchor);
  EXPECT_NE(at, std::string::npos) << "'" << anchor << "' is not in the text";
  if (at == std::string::npos) return result;
  EXPECT_EQ(result.find(anchor, at + 1), std::string::npos) << "'" << anchor << "' is not unique";
  const size_t end_of_line = result.find('\n', at);
  result.insert(end_of_line + 1, std::string(line) + "\n");
  return result;
}

// Removes the whole line holding `anchor`.
inline std::string remove_line(std::string_view text, std::string_view anchor) {
  std::string result(text);
  const size_t at = result.find(anchor);
  EXPECT_NE(at, std::string::npos) << "'" << anchor << "' is not in the text";
  if (at == std::string::npos) return result;
  const size_t start = result.rfind('\n', at) + 1;
  const size_t end = result.find('\n', at);
  result.erase(start, end - start + 1);
  return result;
}

// 1-based line of the only occurrence of `needle`.
inline int line_of(std::string_view text, std::string_view needle) {
  const size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << "'" << needle << "' is not in the text";
  if (at == std::string::npos) return -1;
  EXPECT_EQ(text.find(needle, at + 1), std::string::npos) << "'" << needle << "' is not unique";
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return line;
}

// Loads `text`, which must fail, and checks where and why.
inline void expect_error(std::string_view text, int line, std::string_view path,
                         std::string_view message_part) {
  try {
    load_config_text(text, kTestFile);
    ADD_FAILURE() << "loaded without error; expected " << path << ": " << message_part;
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), kTestFile);
    EXPECT_EQ(error.line(), line) << error.what();
    EXPECT_EQ(error.path(), path) << error.what();
    EXPECT_NE(error.message().find(message_part), std::string::npos)
        << "message: " << error.message() << "\nexpected to contain: " << message_part;
  }
}

}  // namespace softwire::config::testing
