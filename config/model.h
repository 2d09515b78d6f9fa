// Typed, immutable configuration models. load_config() (loader.h) is the only
// producer; every consumer holds a `const Config`. Nothing in here is ever
// half-valid: the loader validates everything before returning.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace softwire::config {

enum class AddressFamily : uint8_t { kIpv4 = 4, kIpv6 = 6 };

// An IPv4 or IPv6 address in network byte order. IPv4 uses bytes[0..3].
struct IpAddress {
  AddressFamily family = AddressFamily::kIpv4;
  std::array<uint8_t, 16> bytes{};

  bool is_v4() const { return family == AddressFamily::kIpv4; }
  bool is_v6() const { return family == AddressFamily::kIpv6; }
  std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;  // 0..32 or 0..128

  // True when `a` is of the same family and its first `length` bits match.
  bool contains(const IpAddress& a) const;
  std::string to_string() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

struct MacAddress {
  std::array<uint8_t, 6> bytes{};
  std::string to_string() const;
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

// Secret bytes: wiped on destruction, never printable. Holders must not log it.
class KeyMaterial {
 public:
  KeyMaterial() = default;
  explicit KeyMaterial(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  KeyMaterial(const KeyMaterial&) = default;
  // Assignments wipe the bytes they replace before releasing them.
  KeyMaterial& operator=(const KeyMaterial& other);
  KeyMaterial(KeyMaterial&&) noexcept = default;
  KeyMaterial& operator=(KeyMaterial&& other) noexcept;
  ~KeyMaterial();

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  // Constant-time comparison, so that configuration diffs do not leak keys.
  friend bool operator==(const KeyMaterial& a, const KeyMaterial& b);

 private:
  void wipe() noexcept;

  std::vector<uint8_t> bytes_;
};

struct DataplaneConfig {
  std::vector<std::string> eal;    // EAL arguments; arguments after `--` replace them
  std::vector<unsigned> workers;   // worker lcore ids; the main lcore is another one
  unsigned burst = 32;             // 1..256
  unsigned mempool_mbufs = 16383;  // mbufs in the packet pool (2^n - 1 is optimal)
  // Table capacities; 0 = derived from the configuration (see capacities_for).
  uint32_t max_sas = 0;       // 0 or >= 2
  uint32_t max_sessions = 0;  // 0 or >= 1
};

enum class PortRole : uint8_t { kAccess, kCore };

struct PortConfig {
  std::string name;
  PortRole role = PortRole::kAccess;
  std::string device;  // any DPDK device string: PCI address or vdev spec
  MacAddress mac;
  std::vector<IpPrefix> addresses;  // the SC's own addresses, with the on-link prefix length
  MacAddress gateway_mac;           // next hop for everything sent out of this port
  int line = 0;                     // where it was defined, for later diagnostics
};

struct NeighborConfig {
  std::string port;
  IpAddress address;
  MacAddress mac;
};

enum class Direction : uint8_t { kIn, kOut };
enum class Proposal : uint8_t { kAes128Gcm16, kAes256Gcm16, kAes128Gmac, kAes256Gmac };
enum class SaMode : uint8_t { kTransport, kTunnel };

// strongSwan's keyword for a proposal ("aes128gcm16", ...).
const char* proposal_name(Proposal p);
// AES key length in bytes (16 or 32) and whether the proposal encrypts (GCM) or
// only authenticates (GMAC, RFC 4543).
unsigned proposal_key_bytes(Proposal p);
bool proposal_encrypts(Proposal p);

struct SaConfig {
  uint32_t spi = 0;
  Direction direction = Direction::kIn;
  IpAddress local;   // outer address on the SC
  IpAddress remote;  // outer address of the SI (its public address behind NAT)
  Proposal proposal = Proposal::kAes128Gcm16;
  KeyMaterial key;  // AES key only (16 or 32 bytes)
  std::array<uint8_t, 4> salt{};
  bool esn = false;
  uint32_t replay_window = 1024;  // 0 = anti-replay off, else a power of two in 64..4096;
                                  // the loader sets 0 on outbound SAs
  bool nat_t = false;
  uint16_t local_port = 4500;  // UDP encapsulation ports, NAT-T only
  uint16_t remote_port = 4500;
  SaMode mode = SaMode::kTransport;
  IpPrefix local_ts;        // defaults to local/32 or /128
  IpPrefix remote_ts;       // defaults to remote/32 or /128
  uint64_t life_bytes = 0;  // 0 = no limit
  uint64_t life_packets = 0;
  uint64_t soft_life_bytes = 0;
  uint64_t soft_life_packets = 0;
  int line = 0;
};

struct SessionConfig {
  std::string identity;
  uint32_t sa_in = 0;
  uint32_t sa_out = 0;
  uint16_t tunnel_id = 0;  // the SC's ids: what arrives in received L2TP headers
  uint16_t session_id = 0;
  uint16_t peer_tunnel_id = 0;  // the SI's ids: what the SC sends
  uint16_t peer_session_id = 0;
  std::vector<IpPrefix> prefixes;
  uint16_t mtu = 1500;
  uint16_t peer_port = 1701;  // the SI's L2TP UDP port
  int line = 0;
};

// Present only when the control plane owns the tables (control-plane issue).
struct ControlConfig {
  std::string socket;                // operator unix socket of softwire-cp
  std::string metrics_listen;        // "host:port" for Prometheus; empty = off
  bool session_metrics = false;      // per-session and per-SA series for every one
  uint32_t session_metrics_top = 0;  // else: only the top N by traffic (0 = none)
  uint32_t sa_metrics_limit = 1024;  // per-SA series for all SAs up to this many, else the top
  // Punt policers, per data-plane worker: packets per second and burst.
  uint32_t punt_rate_per_peer = 200;
  uint32_t punt_burst_per_peer = 50;
  uint32_t punt_rate_global = 20000;
  uint32_t punt_burst_global = 2000;
  std::string security_log;          // path; empty = standard error of softwire-cp
  double rekey_grace_seconds = 5.0;  // > 0: how long a replaced inbound SA stays usable
};

struct Config {
  std::string source_file;
  std::string instance = "softwire";
  DataplaneConfig dataplane;
  std::vector<PortConfig> ports;
  std::vector<NeighborConfig> neighbors;
  std::vector<SaConfig> sas;
  std::vector<SessionConfig> sessions;
  std::optional<ControlConfig> control;
  // The loader sorts sas by (direction, spi) and sets this; find_sa then
  // binary-searches. Hand-built configs may leave it false (linear search).
  bool sas_sorted = false;

  // O(log n) when sas_sorted, O(n) otherwise.
  const SaConfig* find_sa(uint32_t spi, Direction d) const;
  const PortConfig* find_port(const std::string& name) const;
};

}  // namespace softwire::config
