#include "config/model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace softwire::config {

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes.data(), text, sizeof(text)) == nullptr) return "?";
  return text;
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family != address.family) return false;
  const unsigned full_bytes = length / 8;
  if (!std::equal(address.bytes.begin(), address.bytes.begin() + full_bytes, a.bytes.begin())) {
    return false;
  }
  const unsigned rest_bits = length % 8;
  if (rest_bits == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest_bits));
  return (address.bytes[full_bytes] & mask) == (a.bytes[full_bytes] & mask);
}

std::string IpPrefix::to_string() const {
  return address.to_string() + "/" + std::to_string(length);
}

std::string MacAddress::to_string() const {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return text;
}

void KeyMaterial::wipe() noexcept {
  if (!bytes_.empty()) explicit_bzero(bytes_.data(), bytes_.size());
}

KeyMaterial::~KeyMaterial() {
  wipe();
}

KeyMaterial& KeyMaterial::operator=(const KeyMaterial& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

KeyMaterial& KeyMaterial::operator=(KeyMaterial&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

bool operator==(const KeyMaterial& a, const KeyMaterial& b) {
  // Lengths are public (they follow from the proposal); contents are not.
  if (a.bytes_.size() != b.bytes_.size()) return false;
  volatile uint8_t difference = 0;
  for (size_t i = 0; i < a.bytes_.size(); ++i) {
    difference = difference | static_cast<uint8_t>(a.bytes_[i] ^ b.bytes_[i]);
  }
  return difference == 0;
}

const char* proposal_name(Proposal p) {
  switch (p) {
    case Proposal::kAes128Gcm16:
      return "aes128gcm16";
    case Proposal::kAes256Gcm16:
      return "aes256gcm16";
    case Proposal::kAes128Gmac:
      return "aes128gmac";
    case Proposal::kAes256Gmac:
      return "aes256gmac";
  }
  return "?";
}

unsigned proposal_key_bytes(Proposal p) {
  switch (p) {
    case Proposal::kAes128Gcm16:
    case Proposal::kAes128Gmac:
      return 16;
    case Proposal::kAes256Gcm16:
    case Proposal::kAes256Gmac:
      return 32;
  }
  return 0;
}

bool proposal_encrypts(Proposal p) {
  return p == Proposal::kAes128Gcm16 || p == Proposal::kAes256Gcm16;
}

namespace {

bool sa_before(const SaConfig& sa, Direction direction, uint32_t spi) {
  if (sa.direction != direction) return sa.direction < direction;
  return sa.spi < spi;
}

}  // namespace

const SaConfig* Config::find_sa(uint32_t spi, Direction d) const {
  if (!sas_sorted) {
    for (const SaConfig& sa : sas) {
      if (sa.direction == d && sa.spi == spi) return &sa;
    }
    return nullptr;
  }
  auto it = std::lower_bound(sas.begin(), sas.end(), std::pair{d, spi},
                             [](const SaConfig& sa, const std::pair<Direction, uint32_t>& key) {
                               return sa_before(sa, key.first, key.second);
                             });
  if (it != sas.end() && it->direction == d && it->spi == spi) return &*it;
  return nullptr;
}

const PortConfig* Config::find_port(const std::string& name) const {
  for (const PortConfig& port : ports) {
    if (port.name == name) return &port;
  }
  return nullptr;
}

}  // namespace softwire::config
