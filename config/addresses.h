// Text parsers for the address-like values of the configuration. Each returns
// the value or says, in `error`, what is wrong with the text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.h"

namespace softwire::config {

template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // empty when value is set

  explicit operator bool() const { return value.has_value(); }
};

// 32 or 128.
unsigned max_prefix_length(AddressFamily family);

// "192.0.2.1" or "2001:db8::1".
Parsed<IpAddress> parse_ip_address(std::string_view text);

// "network/len" with all host bits zero: "2001:db8:1::/64".
Parsed<IpPrefix> parse_ip_prefix(std::string_view text);

// "addr/len" of an interface address: host bits are allowed ("198.51.100.1/24").
Parsed<IpPrefix> parse_interface_address(std::string_view text);

// "02:00:00:00:00:01" (also with '-' separators).
Parsed<MacAddress> parse_mac_address(std::string_view text);

// An even number of hex digits, optionally prefixed by "0x". The error never
// quotes the text, so it is safe for key material.
Parsed<std::vector<uint8_t>> parse_hex(std::string_view text);

// `prefix` with its host bits cleared.
IpPrefix network_of(const IpPrefix& prefix);

// Multicast bit clear and not all zero.
bool is_unicast(const MacAddress& mac);

// Neither unspecified, multicast, nor (IPv4) limited broadcast.
bool is_unicast(const IpAddress& address);

}  // namespace softwire::config
