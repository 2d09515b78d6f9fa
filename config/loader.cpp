#include "config/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <libconfig.h++>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <set>

#include "config/addresses.h"
#include "config/integer_literals.h"

namespace softwire::config {

namespace {

using libconfig::Setting;

std::string format_what(const std::string& file, int line, const std::string& path,
                        const std::string& message) {
  std::string what = file;
  if (line > 0) {
    what += ':';
    what += std::to_string(line);
  }
  what += ": ";
  if (!path.empty()) what += path + ": ";
  return what + message;
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%x", value);
  return text;
}

const char* type_name(const Setting& setting) {
  switch (setting.getType()) {
    case Setting::TypeInt:
    case Setting::TypeInt64:
      return "an integer";
    case Setting::TypeFloat:
      return "a floating-point number";
    case Setting::TypeString:
      return "a string";
    case Setting::TypeBoolean:
      return "a boolean";
    case Setting::TypeGroup:
      return "a group { ... }";
    case Setting::TypeArray:
      return "an array [ ... ]";
    case Setting::TypeList:
      return "a list ( ... )";
    case Setting::TypeNone:
      break;
  }
  return "nothing";
}

std::string family_name(const IpAddress& address) {
  return address.is_v4() ? "IPv4" : "IPv6";
}

// A total order on addresses, for sorting and maps.
bool address_less(const IpAddress& a, const IpAddress& b) {
  if (a.family != b.family) return a.family < b.family;
  return a.bytes < b.bytes;
}

// Erases the text of a setting inside libconfig's tree once it has been read,
// so that key material does not linger in freed heap memory. The string is
// libconfig's own malloc'ed buffer, so writing to it is well defined.
void wipe_string_setting(const Setting& setting) {
  const char* text = setting;
  if (text != nullptr) explicit_bzero(const_cast<char*>(text), std::strlen(text));
}

// Every check reports through here, so that all errors carry file, line and path.
class Reporter {
 public:
  explicit Reporter(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const Setting& setting, const std::string& message) const {
    throw ConfigError(file_, static_cast<int>(setting.getSourceLine()), setting.getPath(), message);
  }

  // A missing setting has no line of its own: point at its parent group.
  [[noreturn]] void fail_missing(const Setting& group, std::string_view name) const {
    std::string path = group.getPath();
    if (!path.empty()) path += ".";
    path += name;
    throw ConfigError(file_, static_cast<int>(group.getSourceLine()), path,
                      "missing required setting");
  }

 private:
  std::string file_;
};

// The members of one group, checked against the names the schema allows.
class Group {
 public:
  static constexpr size_t kMaxMembers = 20;

  Group(const Reporter& reporter, const Setting& setting,
        std::initializer_list<std::string_view> allowed)
      : reporter_(reporter), setting_(setting) {
    if (!setting.isGroup()) {
      reporter.fail(setting, std::string("expected a group { ... }, got ") + type_name(setting));
    }
    for (std::string_view name : allowed) members_.at(count_++) = Member{name, nullptr};
    for (int i = 0; i < setting.getLength(); ++i) {
      const Setting& child = setting[i];
      const size_t index = index_of(child.getName());
      if (index == count_) {
        std::string expected;
        for (std::string_view name : allowed) {
          expected += expected.empty() ? "" : ", ";
          expected += name;
        }
        reporter.fail(child, "unknown setting (expected one of: " + expected + ")");
      }
      members_[index].setting = &child;
    }
  }

  const Setting& setting() const { return setting_; }
  const Setting* find(std::string_view name) const {
    const size_t index = index_of(name);
    if (index == count_)
      throw std::logic_error("schema bug: '" + std::string(name) + "' not allowed");
    return members_[index].setting;
  }
  const Setting& require(std::string_view name) const {
    const Setting* found = find(name);
    if (found == nullptr) reporter_.fail_missing(setting_, name);
    return *found;
  }

 private:
  struct Member {
    std::string_view name;
    const Setting* setting = nullptr;
  };

  // count_ when absent.
  size_t index_of(std::string_view name) const {
    size_t i = 0;
    while (i < count_ && members_[i].name != name) ++i;
    return i;
  }

  const Reporter& reporter_;
  const Setting& setting_;
  std::array<Member, kMaxMembers> members_{};
  size_t count_ = 0;
};

// Typed readers of scalar settings.
class Values {
 public:
  explicit Values(const Reporter& reporter) : reporter_(reporter) {}

  std::string string(const Setting& setting) const {
    if (setting.getType() != Setting::TypeString) {
      reporter_.fail(setting, std::string("expected a string, got ") + type_name(setting));
    }
    return setting.c_str();
  }

  std::string nonempty_string(const Setting& setting) const {
    std::string text = string(setting);
    if (text.empty()) reporter_.fail(setting, "must not be empty");
    return text;
  }

  bool boolean(const Setting& setting) const {
    if (setting.getType() != Setting::TypeBoolean) {
      reporter_.fail(setting,
                     std::string("expected a boolean (true/false), got ") + type_name(setting));
    }
    return static_cast<bool>(setting);
  }

  int64_t integer(const Setting& setting) const {
    if (setting.getType() == Setting::TypeInt64) return static_cast<long long>(setting);
    if (setting.getType() != Setting::TypeInt) {
      reporter_.fail(setting, std::string("expected an integer, got ") + type_name(setting));
    }
    const int value = static_cast<int>(setting);
    // libconfig 1.5 stores 0x80000000..0xffffffff as negative ints; nobody
    // writes a negative number in hex, so read those bits back as unsigned.
    if (value < 0 && setting.getFormat() == Setting::FormatHex) {
      return static_cast<uint32_t>(value);
    }
    return value;
  }

  int64_t integer(const Setting& setting, int64_t min, int64_t max) const {
    const int64_t value = integer(setting);
    if (value < min || value > max) {
      reporter_.fail(setting, "must be " + std::to_string(min) + ".." + std::to_string(max) +
                                  ", got " + std::to_string(value));
    }
    return value;
  }

  int64_t integer_or(const Group& group, std::string_view name, int64_t min, int64_t max,
                     int64_t fallback) const {
    const Setting* setting = group.find(name);
    return setting == nullptr ? fallback : integer(*setting, min, max);
  }

  // An integer or a floating-point number.
  double number(const Setting& setting) const {
    if (setting.getType() == Setting::TypeFloat) return static_cast<double>(setting);
    if (setting.getType() != Setting::TypeInt && setting.getType() != Setting::TypeInt64) {
      reporter_.fail(setting, std::string("expected a number, got ") + type_name(setting));
    }
    return static_cast<double>(integer(setting));
  }

  bool boolean_or(const Group& group, std::string_view name, bool fallback) const {
    const Setting* setting = group.find(name);
    return setting == nullptr ? fallback : boolean(*setting);
  }

  // A sequence of scalars: [ ... ] or ( ... ).
  const Setting& sequence(const Setting& setting) const {
    if (setting.getType() != Setting::TypeArray && setting.getType() != Setting::TypeList) {
      reporter_.fail(setting, std::string("expected a list [ ... ], got ") + type_name(setting));
    }
    return setting;
  }

  // A list of groups: ( { ... }, { ... } ).
  const Setting& group_list(const Setting& setting) const {
    const bool empty_array = setting.getType() == Setting::TypeArray && setting.getLength() == 0;
    if (setting.getType() != Setting::TypeList && !empty_array) {
      reporter_.fail(setting,
                     std::string("expected a list ( { ... }, ... ), got ") + type_name(setting));
    }
    return setting;
  }

  IpAddress address(const Setting& setting) const {
    Parsed<IpAddress> parsed = parse_ip_address(string(setting));
    if (!parsed) reporter_.fail(setting, parsed.error);
    return *parsed.value;
  }

  IpAddress unicast_address(const Setting& setting) const {
    const IpAddress address = this->address(setting);
    if (!is_unicast(address)) {
      reporter_.fail(setting, address.to_string() + " is not a unicast address");
    }
    return address;
  }

  IpPrefix prefix(const Setting& setting) const {
    Parsed<IpPrefix> parsed = parse_ip_prefix(string(setting));
    if (!parsed) reporter_.fail(setting, parsed.error);
    return *parsed.value;
  }

  MacAddress unicast_mac(const Setting& setting) const {
    Parsed<MacAddress> parsed = parse_mac_address(string(setting));
    if (!parsed) reporter_.fail(setting, parsed.error);
    if (!is_unicast(*parsed.value)) {
      reporter_.fail(setting, parsed.value->to_string() +
                                  " is not a unicast MAC address (multicast bit set or all zero)");
    }
    return *parsed.value;
  }

  // One of `choices`, returned as its index.
  size_t choice(const Setting& setting, std::initializer_list<std::string_view> choices) const {
    const std::string text = string(setting);
    size_t index = 0;
    std::string expected;
    for (std::string_view candidate : choices) {
      if (text == candidate) return index;
      expected += (index == 0 ? "\"" : ", \"") + std::string(candidate) + "\"";
      ++index;
    }
    reporter_.fail(setting, "\"" + text + "\" is not one of " + expected);
  }

 private:
  const Reporter& reporter_;
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// A session prefix with where it came from. The prefix is copied in so that
// sorting a million of them does not chase pointers.
struct LocatedPrefix {
  IpPrefix prefix;
  uint32_t session;  // index in sessions
  uint32_t index;    // index in the session's prefixes

  uint64_t position() const { return uint64_t{session} << 32 | index; }
};

// Table size limits. SA slots: two per session plus rekeys; sessions: rte_lpm6
// next hops have 21 bits.
constexpr int64_t kMaxSas = 8'388'608;
constexpr int64_t kMaxSessions = 2'097'151;
constexpr size_t kMaxIdentityBytes = 127;

class Loader {
 public:
  explicit Loader(std::string file) : reporter_(std::move(file)), values_(reporter_) {}

  Config load(const Setting& root) {
    Config config;
    config.source_file = reporter_.file();
    const Group top(reporter_, root,
                    {"instance", "dataplane", "ports", "neighbors", "sas", "sessions", "control"});
    if (const Setting* instance = top.find("instance")) config.instance = read_instance(*instance);
    config.dataplane = read_dataplane(top.require("dataplane"));
    config.ports = read_ports(top.require("ports"));
    if (const Setting* neighbors = top.find("neighbors")) {
      config.neighbors = read_neighbors(*neighbors, config.ports);
    }
    if (const Setting* sas = top.find("sas")) {
      config.sas = read_sas(*sas, config.ports);
      config.sas_sorted = true;
    }
    if (const Setting* sessions = top.find("sessions")) {
      config.sessions = read_sessions(*sessions, config);
    }
    if (const Setting* control = top.find("control")) {
      config.control = read_control(*control, config.instance);
    }
    check_capacities(top.require("dataplane"), config);
    return config;
  }

 private:
  std::string read_instance(const Setting& setting) const {
    std::string name = values_.string(setting);
    const bool valid =
        !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), is_name_char);
    if (!valid) {
      reporter_.fail(setting, "\"" + name + "\" is not 1..32 characters of A-Z a-z 0-9 _ -");
    }
    return name;
  }

  DataplaneConfig read_dataplane(const Setting& setting) const {
    const Group group(reporter_, setting,
                      {"eal", "workers", "burst", "mempool_mbufs", "max_sas", "max_sessions"});
    DataplaneConfig dataplane;
    if (const Setting* eal = group.find("eal")) {
      values_.sequence(*eal);
      for (int i = 0; i < eal->getLength(); ++i) dataplane.eal.push_back(values_.string((*eal)[i]));
    }

    const Setting& workers = values_.sequence(group.require("workers"));
    if (workers.getLength() == 0) reporter_.fail(workers, "needs at least one worker lcore");
    std::array<int, 128> first_line{};
    for (int i = 0; i < workers.getLength(); ++i) {
      const Setting& worker = workers[i];
      const auto lcore = static_cast<unsigned>(values_.integer(worker, 0, 127));
      if (first_line[lcore] != 0) {
        reporter_.fail(worker, "lcore " + std::to_string(lcore) + " is listed twice");
      }
      first_line[lcore] = 1;
      dataplane.workers.push_back(lcore);
    }
    dataplane.burst = static_cast<unsigned>(values_.integer_or(group, "burst", 1, 256, 32));
    dataplane.mempool_mbufs =
        static_cast<unsigned>(values_.integer_or(group, "mempool_mbufs", 1023, 4194303, 16383));
    // 0 (absent) = derived from the configuration. Session indices with IPv6
    // prefixes must stay below 2^21 (rte_lpm6 next hops).
    dataplane.max_sas = static_cast<uint32_t>(values_.integer_or(group, "max_sas", 2, kMaxSas, 0));
    dataplane.max_sessions =
        static_cast<uint32_t>(values_.integer_or(group, "max_sessions", 1, kMaxSessions, 0));
    return dataplane;
  }

  std::vector<PortConfig> read_ports(const Setting& setting) const {
    const Setting& list = values_.group_list(setting);
    std::vector<PortConfig> ports;
    // Every SC address belongs to one port only.
    std::map<IpAddress, std::string, decltype(&address_less)> owners(&address_less);
    for (int i = 0; i < list.getLength(); ++i) {
      const Group group(reporter_, list[i],
                        {"name", "role", "device", "mac", "addresses", "gateway_mac"});
      PortConfig port;
      port.line = static_cast<int>(list[i].getSourceLine());

      const Setting& name = group.require("name");
      port.name = values_.string(name);
      const bool valid_name = !port.name.empty() && port.name.size() <= 32 &&
                              std::all_of(port.name.begin(), port.name.end(), is_name_char);
      if (!valid_name) {
        reporter_.fail(name, "\"" + port.name + "\" is not 1..32 characters of A-Z a-z 0-9 _ -");
      }
      for (const PortConfig& other : ports) {
        if (other.name == port.name) {
          reporter_.fail(name, "port \"" + port.name + "\" is already defined at line " +
                                   std::to_string(other.line));
        }
      }
      port.role = values_.choice(group.require("role"), {"access", "core"}) == 0 ? PortRole::kAccess
                                                                                 : PortRole::kCore;
      port.device = values_.nonempty_string(group.require("device"));
      port.mac = values_.unicast_mac(group.require("mac"));
      port.gateway_mac = values_.unicast_mac(group.require("gateway_mac"));

      const Setting& addresses = values_.sequence(group.require("addresses"));
      if (addresses.getLength() == 0) reporter_.fail(addresses, "needs at least one address");
      for (int j = 0; j < addresses.getLength(); ++j) {
        const Setting& entry = addresses[j];
        Parsed<IpPrefix> parsed = parse_interface_address(values_.string(entry));
        if (!parsed) reporter_.fail(entry, parsed.error);
        const IpPrefix& address = *parsed.value;
        if (!is_unicast(address.address)) {
          reporter_.fail(entry, address.address.to_string() + " is not a unicast address");
        }
        auto [owner, inserted] = owners.emplace(address.address, port.name);
        if (!inserted) {
          reporter_.fail(entry, address.address.to_string() + " is already an address of port \"" +
                                    owner->second + "\"");
        }
        port.addresses.push_back(address);
      }
      ports.push_back(std::move(port));
    }

    const auto has_role = [&](PortRole role) {
      return std::any_of(ports.begin(), ports.end(),
                         [role](const PortConfig& port) { return port.role == role; });
    };
    if (!has_role(PortRole::kAccess)) reporter_.fail(list, "needs a port with role = \"access\"");
    if (!has_role(PortRole::kCore)) reporter_.fail(list, "needs a port with role = \"core\"");
    return ports;
  }

  std::vector<NeighborConfig> read_neighbors(const Setting& setting,
                                             const std::vector<PortConfig>& ports) const {
    const Setting& list = values_.group_list(setting);
    std::vector<NeighborConfig> neighbors;
    const auto key_less = [](const std::pair<std::string, IpAddress>& a,
                             const std::pair<std::string, IpAddress>& b) {
      if (a.first != b.first) return a.first < b.first;
      return address_less(a.second, b.second);
    };
    std::set<std::pair<std::string, IpAddress>, decltype(key_less)> defined(key_less);
    for (int i = 0; i < list.getLength(); ++i) {
      const Group group(reporter_, list[i], {"port", "address", "mac"});
      NeighborConfig neighbor;
      const Setting& port_setting = group.require("port");
      neighbor.port = values_.string(port_setting);
      const auto port = std::find_if(ports.begin(), ports.end(), [&](const PortConfig& candidate) {
        return candidate.name == neighbor.port;
      });
      if (port == ports.end()) {
        reporter_.fail(port_setting, "no port named \"" + neighbor.port + "\"");
      }
      const Setting& address_setting = group.require("address");
      neighbor.address = values_.unicast_address(address_setting);
      const bool family_on_port = std::any_of(
          port->addresses.begin(), port->addresses.end(),
          [&](const IpPrefix& own) { return own.address.family == neighbor.address.family; });
      if (!family_on_port) {
        reporter_.fail(address_setting, family_name(neighbor.address) + " neighbor " +
                                            neighbor.address.to_string() + " but port \"" +
                                            neighbor.port + "\" has no " +
                                            family_name(neighbor.address) + " address");
      }
      if (!defined.emplace(neighbor.port, neighbor.address).second) {
        reporter_.fail(address_setting, "neighbor " + neighbor.address.to_string() + " on port \"" +
                                            neighbor.port + "\" is already defined");
      }
      neighbor.mac = values_.unicast_mac(group.require("mac"));
      neighbors.push_back(std::move(neighbor));
    }
    return neighbors;
  }

  // Returns the SAs sorted by (direction, spi).
  std::vector<SaConfig> read_sas(const Setting& setting,
                                 const std::vector<PortConfig>& ports) const {
    const Setting& list = values_.group_list(setting);
    std::vector<IpAddress> access_addresses;
    for (const PortConfig& port : ports) {
      if (port.role != PortRole::kAccess) continue;
      for (const IpPrefix& own : port.addresses) access_addresses.push_back(own.address);
    }

    std::vector<SaConfig> sas;
    sas.reserve(static_cast<size_t>(list.getLength()));
    for (int i = 0; i < list.getLength(); ++i) sas.push_back(read_sa(list[i], access_addresses));

    // Unique SPI per direction: sort, then compare neighbours. Among equal
    // keys the stable sort keeps file order, so the second one is reported.
    std::vector<size_t> order(sas.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (sas[a].direction != sas[b].direction) return sas[a].direction < sas[b].direction;
      return sas[a].spi < sas[b].spi;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const SaConfig& first = sas[order[k - 1]];
      const SaConfig& second = sas[order[k]];
      if (first.direction == second.direction && first.spi == second.spi) {
        const Setting& spi = list[static_cast<int>(order[k])]["spi"];
        reporter_.fail(spi, std::string("duplicate ") +
                                (second.direction == Direction::kIn ? "inbound" : "outbound") +
                                " SPI " + hex32(second.spi) + " (first defined at line " +
                                std::to_string(first.line) + ")");
      }
    }
    std::vector<SaConfig> sorted;
    sorted.reserve(sas.size());
    for (size_t index : order) sorted.push_back(std::move(sas[index]));
    return sorted;
  }

  SaConfig read_sa(const Setting& setting, const std::vector<IpAddress>& access_addresses) const {
    const Group group(
        reporter_, setting,
        {"spi", "direction", "local", "remote", "proposal", "key", "esn", "replay_window", "nat_t",
         "local_port", "remote_port", "mode", "local_ts", "remote_ts", "life_bytes", "life_packets",
         "soft_life_bytes", "soft_life_packets"});
    SaConfig sa;
    sa.line = static_cast<int>(setting.getSourceLine());

    const Setting& spi = group.require("spi");
    const int64_t spi_value = values_.integer(spi, 0, 0xffffffff);
    if (spi_value < 256) {
      reporter_.fail(spi, "SPI " + std::to_string(spi_value) +
                              " is reserved (0..255, RFC 4303): use 256..4294967295");
    }
    sa.spi = static_cast<uint32_t>(spi_value);
    sa.direction = values_.choice(group.require("direction"), {"in", "out"}) == 0 ? Direction::kIn
                                                                                  : Direction::kOut;

    const Setting& local = group.require("local");
    sa.local = values_.address(local);
    if (std::find(access_addresses.begin(), access_addresses.end(), sa.local) ==
        access_addresses.end()) {
      reporter_.fail(local, sa.local.to_string() + " is not an address of an access port");
    }
    const Setting& remote = group.require("remote");
    sa.remote = values_.unicast_address(remote);
    if (sa.remote.family != sa.local.family) {
      reporter_.fail(remote, "remote " + sa.remote.to_string() + " is " + family_name(sa.remote) +
                                 " but local " + sa.local.to_string() + " is " +
                                 family_name(sa.local));
    }

    static constexpr std::array<Proposal, 4> kProposals = {
        Proposal::kAes128Gcm16, Proposal::kAes256Gcm16, Proposal::kAes128Gmac,
        Proposal::kAes256Gmac};
    sa.proposal = kProposals[values_.choice(
        group.require("proposal"), {"aes128gcm16", "aes256gcm16", "aes128gmac", "aes256gmac"})];
    read_key(group.require("key"), sa);

    sa.esn = values_.boolean_or(group, "esn", false);
    if (sa.direction == Direction::kOut) sa.replay_window = 0;  // no anti-replay on send
    if (const Setting* window = group.find("replay_window")) {
      if (sa.direction == Direction::kOut) {
        reporter_.fail(*window, "replay_window applies to inbound SAs only");
      }
      const int64_t size = values_.integer(*window, 0, 4096);
      const bool power_of_two = (size & (size - 1)) == 0;
      if (size != 0 && (size < 64 || !power_of_two)) {
        reporter_.fail(
            *window, "must be 0 (off) or a power of two in 64..4096, got " + std::to_string(size));
      }
      sa.replay_window = static_cast<uint32_t>(size);
    }

    sa.nat_t = values_.boolean_or(group, "nat_t", false);
    for (const char* name : {"local_port", "remote_port"}) {
      const Setting* port = group.find(name);
      if (port == nullptr) continue;
      if (!sa.nat_t) reporter_.fail(*port, "UDP encapsulation ports need nat_t = true");
      const auto value = static_cast<uint16_t>(values_.integer(*port, 1, 65535));
      (std::string_view(name) == "local_port" ? sa.local_port : sa.remote_port) = value;
    }

    if (const Setting* mode = group.find("mode")) {
      sa.mode = values_.choice(*mode, {"transport", "tunnel"}) == 0 ? SaMode::kTransport
                                                                    : SaMode::kTunnel;
    }
    sa.local_ts = IpPrefix{sa.local, static_cast<uint8_t>(max_prefix_length(sa.local.family))};
    sa.remote_ts = IpPrefix{sa.remote, static_cast<uint8_t>(max_prefix_length(sa.remote.family))};
    for (const char* name : {"local_ts", "remote_ts"}) {
      const Setting* selector = group.find(name);
      if (selector == nullptr) continue;
      if (sa.mode != SaMode::kTunnel) {
        reporter_.fail(*selector, "traffic selectors need mode = \"tunnel\"");
      }
      (std::string_view(name) == "local_ts" ? sa.local_ts : sa.remote_ts) =
          values_.prefix(*selector);
    }
    if (sa.local_ts.address.family != sa.remote_ts.address.family) {
      reporter_.fail(*group.find(group.find("remote_ts") ? "remote_ts" : "local_ts"),
                     "local_ts " + sa.local_ts.to_string() + " and remote_ts " +
                         sa.remote_ts.to_string() + " are of different families");
    }

    constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();
    sa.life_bytes =
        static_cast<uint64_t>(values_.integer_or(group, "life_bytes", 0, kUnlimited, 0));
    sa.life_packets =
        static_cast<uint64_t>(values_.integer_or(group, "life_packets", 0, kUnlimited, 0));
    sa.soft_life_bytes =
        static_cast<uint64_t>(values_.integer_or(group, "soft_life_bytes", 0, kUnlimited, 0));
    sa.soft_life_packets =
        static_cast<uint64_t>(values_.integer_or(group, "soft_life_packets", 0, kUnlimited, 0));
    check_soft_limit(group, "soft_life_bytes", sa.soft_life_bytes, "life_bytes", sa.life_bytes);
    check_soft_limit(group, "soft_life_packets", sa.soft_life_packets, "life_packets",
                     sa.life_packets);
    return sa;
  }

  void check_soft_limit(const Group& group, const char* soft_name, uint64_t soft,
                        const char* hard_name, uint64_t hard) const {
    if (hard != 0 && soft > hard) {
      reporter_.fail(*group.find(soft_name), std::string(soft_name) + " " + std::to_string(soft) +
                                                 " exceeds " + hard_name + " " +
                                                 std::to_string(hard));
    }
  }

  // The key setting is hex of the AES key followed by the 4-byte salt. No
  // message here quotes it.
  void read_key(const Setting& setting, SaConfig& sa) const {
    if (setting.getType() != Setting::TypeString) {
      reporter_.fail(setting, std::string("expected a hex string, got ") + type_name(setting));
    }
    Parsed<std::vector<uint8_t>> parsed = parse_hex(setting.c_str());
    wipe_string_setting(setting);
    if (!parsed) reporter_.fail(setting, "not a valid hex key: " + parsed.error);
    const KeyMaterial blob(std::move(*parsed.value));  // wiped when it goes out of scope
    const size_t key_bytes = proposal_key_bytes(sa.proposal);
    const size_t expected = key_bytes + sa.salt.size();
    if (blob.size() != expected) {
      reporter_.fail(setting, "must be " + std::to_string(expected) + " bytes for " +
                                  proposal_name(sa.proposal) + " (" + std::to_string(key_bytes) +
                                  "-byte AES key + 4-byte salt), got " +
                                  std::to_string(blob.size()) + " bytes");
    }
    const auto& bytes = blob.bytes();
    sa.key = KeyMaterial(std::vector<uint8_t>(bytes.begin(), bytes.begin() + key_bytes));
    std::copy(bytes.begin() + key_bytes, bytes.end(), sa.salt.begin());
  }

  std::vector<SessionConfig> read_sessions(const Setting& setting, const Config& config) const {
    const Setting& list = values_.group_list(setting);
    std::vector<SessionConfig> sessions;
    sessions.reserve(static_cast<size_t>(list.getLength()));
    for (int i = 0; i < list.getLength(); ++i) sessions.push_back(read_session(list[i], config));
    check_unique_identities(list, sessions);
    check_unique_ids(list, sessions);
    check_disjoint_prefixes(list, sessions);
    return sessions;
  }

  SessionConfig read_session(const Setting& setting, const Config& config) const {
    const Group group(reporter_, setting,
                      {"identity", "sa_in", "sa_out", "tunnel_id", "session_id", "peer_tunnel_id",
                       "peer_session_id", "prefixes", "mtu", "peer_port"});
    SessionConfig session;
    session.line = static_cast<int>(setting.getSourceLine());
    const Setting& identity = group.require("identity");
    session.identity = values_.nonempty_string(identity);
    // The control channel carries identities in 128-byte NUL-terminated fields.
    if (session.identity.size() > kMaxIdentityBytes) {
      reporter_.fail(identity, "is " + std::to_string(session.identity.size()) +
                                   " bytes long, at most " + std::to_string(kMaxIdentityBytes) +
                                   " allowed");
    }

    const Setting& sa_in_setting = group.require("sa_in");
    session.sa_in = static_cast<uint32_t>(values_.integer(sa_in_setting, 0, 0xffffffff));
    const SaConfig* sa_in = config.find_sa(session.sa_in, Direction::kIn);
    if (sa_in == nullptr) {
      reporter_.fail(sa_in_setting,
                     "sa_in " + hex32(session.sa_in) + ": no inbound SA with this SPI");
    }
    const Setting& sa_out_setting = group.require("sa_out");
    session.sa_out = static_cast<uint32_t>(values_.integer(sa_out_setting, 0, 0xffffffff));
    const SaConfig* sa_out = config.find_sa(session.sa_out, Direction::kOut);
    if (sa_out == nullptr) {
      reporter_.fail(sa_out_setting,
                     "sa_out " + hex32(session.sa_out) + ": no outbound SA with this SPI");
    }
    check_sa_pair(sa_out_setting, *sa_in, *sa_out);

    session.tunnel_id =
        static_cast<uint16_t>(values_.integer(group.require("tunnel_id"), 1, 65535));
    session.session_id =
        static_cast<uint16_t>(values_.integer(group.require("session_id"), 1, 65535));
    session.peer_tunnel_id =
        static_cast<uint16_t>(values_.integer(group.require("peer_tunnel_id"), 1, 65535));
    session.peer_session_id =
        static_cast<uint16_t>(values_.integer(group.require("peer_session_id"), 1, 65535));

    const Setting& prefixes = values_.sequence(group.require("prefixes"));
    if (prefixes.getLength() == 0) reporter_.fail(prefixes, "needs at least one prefix");
    session.prefixes.reserve(static_cast<size_t>(prefixes.getLength()));
    for (int j = 0; j < prefixes.getLength(); ++j) {
      session.prefixes.push_back(values_.prefix(prefixes[j]));
    }
    session.mtu = static_cast<uint16_t>(values_.integer_or(group, "mtu", 576, 9000, 1500));
    session.peer_port =
        static_cast<uint16_t>(values_.integer_or(group, "peer_port", 1, 65535, 1701));
    return session;
  }

  // Both SAs of a session protect one conversation with one SI.
  void check_sa_pair(const Setting& sa_out_setting, const SaConfig& in, const SaConfig& out) const {
    const auto describe = [](const char* role, const SaConfig& sa) {
      return std::string(role) + " " + hex32(sa.spi) + " (" + sa.local.to_string() + " <-> " +
             sa.remote.to_string() + ")";
    };
    if (in.local != out.local || in.remote != out.remote) {
      reporter_.fail(sa_out_setting, describe("sa_out", out) +
                                         " does not join the same addresses as " +
                                         describe("sa_in", in));
    }
    if (in.nat_t != out.nat_t ||
        (in.nat_t && (in.local_port != out.local_port || in.remote_port != out.remote_port))) {
      reporter_.fail(sa_out_setting, "sa_out " + hex32(out.spi) + " and sa_in " + hex32(in.spi) +
                                         " differ in NAT-T (nat_t, local_port, remote_port)");
    }
    if (in.mode != out.mode) {
      reporter_.fail(sa_out_setting, "sa_out " + hex32(out.spi) + " and sa_in " + hex32(in.spi) +
                                         " differ in mode");
    }
  }

  void check_unique_identities(const Setting& list,
                               const std::vector<SessionConfig>& sessions) const {
    std::vector<size_t> order(sessions.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return sessions[a].identity < sessions[b].identity;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const SessionConfig& first = sessions[order[k - 1]];
      if (first.identity == sessions[order[k]].identity) {
        reporter_.fail(list[static_cast<int>(order[k])]["identity"],
                       "identity \"" + first.identity +
                           "\" is already used by the session at line " +
                           std::to_string(first.line));
      }
    }
  }

  void check_unique_ids(const Setting& list, const std::vector<SessionConfig>& sessions) const {
    const auto key = [&](size_t index) {
      return uint32_t{sessions[index].tunnel_id} << 16 | sessions[index].session_id;
    };
    std::vector<size_t> order(sessions.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return key(a) < key(b); });
    for (size_t k = 1; k < order.size(); ++k) {
      if (key(order[k - 1]) == key(order[k])) {
        const SessionConfig& first = sessions[order[k - 1]];
        reporter_.fail(list[static_cast<int>(order[k])]["session_id"],
                       "tunnel_id " + std::to_string(first.tunnel_id) + " with session_id " +
                           std::to_string(first.session_id) + " is already used by session \"" +
                           first.identity + "\" (line " + std::to_string(first.line) + ")");
      }
    }
  }

  // Two sessions cannot own the same address. CIDR blocks either nest or are
  // disjoint, so after sorting by (family, address, length) any overlap shows
  // between neighbours: O(n log n) instead of comparing every pair.
  void check_disjoint_prefixes(const Setting& list,
                               const std::vector<SessionConfig>& sessions) const {
    std::vector<LocatedPrefix> all;
    for (size_t i = 0; i < sessions.size(); ++i) {
      for (size_t j = 0; j < sessions[i].prefixes.size(); ++j) {
        all.push_back(LocatedPrefix{sessions[i].prefixes[j], static_cast<uint32_t>(i),
                                    static_cast<uint32_t>(j)});
      }
    }
    std::sort(all.begin(), all.end(), [](const LocatedPrefix& a, const LocatedPrefix& b) {
      if (a.prefix.address != b.prefix.address)
        return address_less(a.prefix.address, b.prefix.address);
      if (a.prefix.length != b.prefix.length) return a.prefix.length < b.prefix.length;
      return a.position() < b.position();
    });
    for (size_t k = 1; k < all.size(); ++k) {
      if (!all[k - 1].prefix.contains(all[k].prefix.address)) continue;
      // Report the one that comes later in the file.
      const bool second_later = all[k].position() > all[k - 1].position();
      const LocatedPrefix& later = second_later ? all[k] : all[k - 1];
      const LocatedPrefix& earlier = second_later ? all[k - 1] : all[k];
      const char* relation = later.prefix == earlier.prefix ? " equals " : " overlaps ";
      const SessionConfig& owner = sessions[earlier.session];
      const std::string whose = later.session == earlier.session
                                    ? "another prefix of the same session"
                                    : "a prefix of session \"" + owner.identity + "\" (line " +
                                          std::to_string(owner.line) + ")";
      const Setting& entry =
          list[static_cast<int>(later.session)]["prefixes"][static_cast<int>(later.index)];
      reporter_.fail(
          entry, later.prefix.to_string() + relation + earlier.prefix.to_string() + ", " + whose);
    }
  }

  // Explicit table sizes must hold what the file itself configures.
  void check_capacities(const Setting& dataplane, const Config& config) const {
    const struct {
      const char* name;
      uint32_t limit;
      size_t configured;
      const char* what;
    } checks[] = {
        {"max_sas", config.dataplane.max_sas, config.sas.size(), "SAs"},
        {"max_sessions", config.dataplane.max_sessions, config.sessions.size(), "sessions"},
    };
    for (const auto& c : checks) {
      if (c.limit != 0 && c.configured > c.limit) {
        reporter_.fail(dataplane[c.name], std::to_string(c.limit) + " is less than the " +
                                              std::to_string(c.configured) + " " + c.what +
                                              " configured");
      }
    }
  }

  ControlConfig read_control(const Setting& setting, const std::string& instance) const {
    const Group group(reporter_, setting,
                      {"socket", "metrics_listen", "session_metrics", "session_metrics_top",
                       "sa_metrics_limit", "punt_rate_per_peer", "punt_burst_per_peer",
                       "punt_rate_global", "punt_burst_global", "security_log", "rekey_grace"});
    ControlConfig control;
    control.socket = "/run/softwire/" + instance + ".sock";
    if (const Setting* socket = group.find("socket")) {
      control.socket = values_.string(*socket);
      // sockaddr_un::sun_path holds 108 bytes with the terminating NUL.
      if (control.socket.empty() || control.socket.front() != '/' || control.socket.size() > 107) {
        reporter_.fail(*socket, "must be an absolute path of at most 107 characters");
      }
    }
    if (const Setting* listen = group.find("metrics_listen")) {
      control.metrics_listen = values_.string(*listen);
      if (!control.metrics_listen.empty()) check_listen_address(*listen, control.metrics_listen);
    }
    control.session_metrics = values_.boolean_or(group, "session_metrics", false);
    control.session_metrics_top =
        static_cast<uint32_t>(values_.integer_or(group, "session_metrics_top", 0, 100'000, 0));
    control.sa_metrics_limit =
        static_cast<uint32_t>(values_.integer_or(group, "sa_metrics_limit", 0, 1'000'000, 1024));
    const auto rate = [&](std::string_view name, int64_t max, int64_t fallback) {
      return static_cast<uint32_t>(values_.integer_or(group, name, 1, max, fallback));
    };
    control.punt_rate_per_peer = rate("punt_rate_per_peer", 1'000'000, 200);
    control.punt_burst_per_peer = rate("punt_burst_per_peer", 1'000'000, 50);
    control.punt_rate_global = rate("punt_rate_global", 100'000'000, 20000);
    control.punt_burst_global = rate("punt_burst_global", 100'000'000, 2000);
    if (const Setting* log = group.find("security_log")) {
      control.security_log = values_.string(*log);
      if (!control.security_log.empty() && control.security_log.front() != '/') {
        reporter_.fail(*log, "must be an absolute path (or \"\" for standard error)");
      }
    }
    if (const Setting* grace = group.find("rekey_grace")) {
      control.rekey_grace_seconds = values_.number(*grace);
      if (!(control.rekey_grace_seconds > 0 && control.rekey_grace_seconds <= 3600)) {
        reporter_.fail(*grace, "must be more than 0 and at most 3600 seconds");
      }
    }
    return control;
  }

  // "HOST:PORT" with HOST an IPv4 address or a [bracketed] IPv6 address.
  void check_listen_address(const Setting& setting, const std::string& text) const {
    const std::string usage =
        "\"" + text + "\" is not HOST:PORT (like 127.0.0.1:9550 or [::1]:9550)";
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) reporter_.fail(setting, usage);
    std::string host = text.substr(0, colon);
    const std::string port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
      if (host.find(':') == std::string::npos) reporter_.fail(setting, usage);
    } else if (host.find(':') != std::string::npos) {
      reporter_.fail(setting, usage);
    }
    if (!parse_ip_address(host)) reporter_.fail(setting, usage);
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) reporter_.fail(setting, usage);
  }

  Reporter reporter_;
  Values values_;
};

// Zeroes a buffer that may hold key material when it goes out of scope.
struct WipedString {
  std::string text;
  ~WipedString() {
    if (!text.empty()) explicit_bzero(text.data(), text.size());
  }
};

// Reads into `text`, sized once up front so that no copy of the contents is
// left behind by a reallocation.
void read_whole_file(const std::string& path, std::string& text) {
  const auto fail = [&](const char* what) {
    throw ConfigError(path, 0, "", std::string(what) + ": " + std::strerror(errno));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("cannot open");
  struct stat status {};
  if (fstat(fileno(file.get()), &status) != 0) fail("cannot stat");
  if (S_ISDIR(status.st_mode)) {
    errno = EISDIR;
    fail("cannot read");
  }
  if (S_ISREG(status.st_mode)) {
    text.resize(static_cast<size_t>(status.st_size));
    const size_t got = std::fread(text.data(), 1, text.size(), file.get());
    if (std::ferror(file.get())) fail("cannot read");
    text.resize(got);  // the file may have shrunk meanwhile
    return;
  }
  // A pipe or device (-c /dev/stdin): its size is not known in advance.
  std::array<char, 65536> chunk;
  size_t got = 0;
  while ((got = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0)
    text.append(chunk.data(), got);
  explicit_bzero(chunk.data(), chunk.size());
  if (std::ferror(file.get())) fail("cannot read");
}

Config parse_and_load(const std::string& text, const std::string& name) {
  // libconfig reads a C string: a NUL would silently cut the file short.
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    const auto line =
        1 + std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(nul), '\n');
    throw ConfigError(name, static_cast<int>(line), "", "contains a NUL byte");
  }
  if (auto problem = find_unsafe_integer_literal(text)) {
    throw ConfigError(name, problem->line, "", problem->message);
  }
  libconfig::Config parsed;
  try {
    parsed.readString(text.c_str());
  } catch (const libconfig::ParseException& error) {
    const char* file = error.getFile();
    throw ConfigError(file != nullptr ? file : name, error.getLine(), "", error.getError());
  }
  return Loader(name).load(parsed.getRoot());
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string path, std::string message)
    : std::runtime_error(format_what(file, line, path, message)),
      file_(std::move(file)),
      line_(line),
      path_(std::move(path)),
      message_(std::move(message)) {}

Config load_config_file(const std::string& path) {
  WipedString contents;
  read_whole_file(path, contents.text);
  return parse_and_load(contents.text, path);
}

Config load_config_text(std::string_view text, const std::string& name) {
  WipedString contents{std::string(text)};  // libconfig wants a C string
  return parse_and_load(contents.text, name);
}

}  // namespace softwire::config
