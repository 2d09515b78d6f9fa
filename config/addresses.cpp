#include "config/addresses.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace softwire::config {

namespace {

template <typename T>
Parsed<T> failure(std::string error) {
  return Parsed<T>{std::nullopt, std::move(error)};
}

template <typename T>
Parsed<T> success(T value) {
  return Parsed<T>{std::move(value), {}};
}

// "'text'". Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) on
// "literal" + std::string(...).
std::string quoted(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '\'';
  result += text;
  result += '\'';
  return result;
}

int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "addr/len"; host bits are checked by the callers.
Parsed<IpPrefix> parse_address_with_length(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return failure<IpPrefix>(quoted(text) + " has no prefix length (ADDRESS/LENGTH)");
  }
  Parsed<IpAddress> address = parse_ip_address(text.substr(0, slash));
  if (!address) return failure<IpPrefix>(address.error);

  const std::string_view length_text = text.substr(slash + 1);
  unsigned length = 0;
  const auto [end, status] =
      std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  const unsigned max_length = max_prefix_length(address.value->family);
  if (length_text.empty() || status != std::errc() ||
      end != length_text.data() + length_text.size() || length > max_length) {
    return failure<IpPrefix>(quoted(text) + ": prefix length must be 0.." +
                             std::to_string(max_length));
  }
  return success(IpPrefix{*address.value, static_cast<uint8_t>(length)});
}

}  // namespace

unsigned max_prefix_length(AddressFamily family) {
  return family == AddressFamily::kIpv4 ? 32 : 128;
}

Parsed<IpAddress> parse_ip_address(std::string_view text) {
  const std::string terminated(text);  // inet_pton wants a C string
  IpAddress address;
  if (terminated.find(':') != std::string::npos) {
    address.family = AddressFamily::kIpv6;
    if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) == 1) return success(address);
    return failure<IpAddress>(quoted(terminated) + " is not a valid IPv6 address");
  }
  address.family = AddressFamily::kIpv4;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) return success(address);
  return failure<IpAddress>(quoted(terminated) + " is not a valid IPv4 or IPv6 address");
}

Parsed<IpPrefix> parse_ip_prefix(std::string_view text) {
  Parsed<IpPrefix> prefix = parse_address_with_length(text);
  if (!prefix) return prefix;
  const IpPrefix network = network_of(*prefix.value);
  if (network != *prefix.value) {
    return failure<IpPrefix>(quoted(text) + " has host bits set (the network is " +
                             network.to_string() + ")");
  }
  return prefix;
}

Parsed<IpPrefix> parse_interface_address(std::string_view text) {
  return parse_address_with_length(text);
}

Parsed<MacAddress> parse_mac_address(std::string_view text) {
  const std::string error = quoted(text) +
                            " is not a MAC address (six hex bytes separated by ':', "
                            "like 02:00:00:00:00:01)";
  // Exactly "xx:xx:xx:xx:xx:xx": 17 characters.
  if (text.size() != 17) return failure<MacAddress>(error);
  const char separator = text[2];
  if (separator != ':' && separator != '-') return failure<MacAddress>(error);
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * 3;
    const int high = hex_digit_value(text[at]);
    const int low = hex_digit_value(text[at + 1]);
    if (high < 0 || low < 0) return failure<MacAddress>(error);
    if (i < 5 && text[at + 2] != separator) return failure<MacAddress>(error);
    mac.bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return success(mac);
}

Parsed<std::vector<uint8_t>> parse_hex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  if (text.empty()) return failure<std::vector<uint8_t>>("empty hex string");
  if (text.size() % 2 != 0) {
    return failure<std::vector<uint8_t>>("odd number of hex digits (" +
                                         std::to_string(text.size()) + ")");
  }
  std::vector<uint8_t> bytes(text.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int high = hex_digit_value(text[2 * i]);
    const int low = hex_digit_value(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      // The partial result may be key material.
      explicit_bzero(bytes.data(), bytes.size());
      const size_t position = 2 * i + (high < 0 ? 0 : 1);
      return failure<std::vector<uint8_t>>("not a hex digit at position " +
                                           std::to_string(position + 1));
    }
    bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return success(std::move(bytes));
}

IpPrefix network_of(const IpPrefix& prefix) {
  IpPrefix network = prefix;
  const unsigned total_bytes = prefix.address.is_v4() ? 4 : 16;
  for (unsigned i = 0; i < total_bytes; ++i) {
    const unsigned first_bit = i * 8;
    if (first_bit >= prefix.length) {
      network.address.bytes[i] = 0;
    } else if (prefix.length - first_bit < 8) {
      const unsigned kept_bits = prefix.length - first_bit;
      network.address.bytes[i] &= static_cast<uint8_t>(0xff << (8 - kept_bits));
    }
  }
  return network;
}

bool is_unicast(const MacAddress& mac) {
  const bool all_zero = mac == MacAddress{};
  return !all_zero && (mac.bytes[0] & 0x01) == 0;
}

bool is_unicast(const IpAddress& address) {
  const auto& b = address.bytes;
  if (address.is_v4()) {
    const bool unspecified = b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0;
    const bool multicast = (b[0] & 0xf0) == 0xe0;
    const bool broadcast = b[0] == 0xff && b[1] == 0xff && b[2] == 0xff && b[3] == 0xff;
    return !unspecified && !multicast && !broadcast;
  }
  bool unspecified = true;
  for (uint8_t byte : b) unspecified = unspecified && byte == 0;
  return !unspecified && b[0] != 0xff;
}

}  // namespace softwire::config
