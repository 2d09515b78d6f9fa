// ns per packet of every pipeline stage, in bursts of 32 real packets, so that
// the end-to-end cost of a packet can be explained stage by stage.
//
//   ./stages_bench [--benchmark_filter=...]      (bench/dataplane/run_stages.sh
//                                                   runs it and writes RESULTS.md)
//
// Setup. EAL once (--no-huge, or hugepages with SOFTWIRE_BENCH_HUGE=1), one
// mbuf pool, and a DataplaneState built from a generated configuration: one
// SA pair (AES-128-GCM or AES-256-GCM, transport mode, IPv4 outer, no ESN,
// no NAT-T) and N sessions bound to it, each with one IPv4 /30. N = 1 and
// N = 1,000,000 (SOFTWIRE_BENCH_SESSIONS overrides the large N). One worker
// context (index 0) owns both SAs, so no packet is handed off.
//
// Packets. 2048 bursts x 32 packets, each to or from a session drawn at
// random out of the N (fixed seed), inner IPv4/UDP packets of 64, 512 or 1400
// bytes (the inner IP packet's total length). Upstream frames are built and
// encrypted here with the data plane's own codecs and crypto::AeadEngine (this
// measures the stages, not their correctness; the stage tests do that).
// Downstream frames are plain core-side Ethernet/IPv4/UDP frames. A stage's
// input is what the stages before it make of those frames: the benchmark runs
// the chain up to the stage once per burst and keeps a pristine snapshot of
// every packet (data offset, length, bytes, MbufMeta).
//
// Method. Stages consume and modify their packets, so every iteration first
// restores one burst (the next of the 2048, round robin) from its snapshot
// into the same 32 mbufs: memcpy of the bytes, data_off/data_len/pkt_len and
// the metadata; for the upstream chain, the inbound SA's replay window is
// reset when the round robin wraps (sequence numbers then start again at 1).
// PauseTiming()/ResumeTiming() cost far more than a 32-packet stage, so the
// benchmark uses manual timing instead: only the stage call is timed, with
// lfence/rdtsc around it, minus the calibrated cost of an empty timed region,
// and handed to Google Benchmark with SetIterationTime(). The restore is timed
// the same way and reported as restore_ns_per_pkt, for reference only.
// Caveat: the restore leaves the burst's packet bytes hot in L1/L2, as a
// NIC with DDIO leaves received packets in L3 at best; the lookup tables,
// session and SA state are not warmed (random sessions out of N).
//
// Counters: ns_per_pkt and cycles_per_pkt (TSC) of the stage per packet, from
// the median burst of the run (robust to preemption on a shared host);
// ns_per_pkt_mean from the mean burst (what the manual time reflects);
// restore_ns_per_pkt. Sent packets are taken back from the worker's
// TX buffers (WorkerContext::take_tx) and reused; a packet that a stage drops
// is an error (the benchmark stops with the drop reason). No mbuf leaks: the
// pool's in-use count is checked at exit.
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/loader.h"
#include "crypto/aead_engine.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/downstream.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/ports.h"
#include "dataplane/proto/bytes.h"
#include "dataplane/proto/esp.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/l2tp.h"
#include "dataplane/proto/ppp.h"
#include "dataplane/proto/udp.h"
#include "dataplane/stages/access_input.h"
#include "dataplane/stages/access_output.h"
#include "dataplane/stages/core_input.h"
#include "dataplane/stages/core_output.h"
#include "dataplane/stages/esp_decrypt.h"
#include "dataplane/stages/esp_encrypt.h"
#include "dataplane/stages/ingress_filter.h"
#include "dataplane/stages/l2tp_encap.h"
#include "dataplane/stages/l2tp_input.h"
#include "dataplane/stages/sa_lookup.h"
#include "dataplane/upstream.h"
#include "dataplane/worker_context.h"

namespace {

using namespace softwire;
using namespace softwire::dp;

constexpr uint16_t kBurst = 32;
constexpr size_t kBursts = 2048;  // distinct bursts, cycled round robin
constexpr uint16_t kAccess = 0;   // port indices in configuration order
constexpr uint16_t kCore = 1;
constexpr uint32_t kSpiIn = 0x1001;
constexpr uint32_t kSpiOut = 0x2001;

// Addresses, host order.
constexpr uint32_t kAccessV4 = 0xc6336401;     // 198.51.100.1, the SC
constexpr uint32_t kSiV4 = 0xc0000201;         // 192.0.2.1, the SI's outer address
constexpr uint32_t kInternetV4 = 0xc6120001;   // 198.18.0.1, a host behind the core
constexpr uint32_t kSessionBase = 0x0a000000;  // session s: 10.0.0.0 + 4 s /30

constexpr std::array<uint8_t, 6> kAccessMac = {2, 0, 0, 0, 0, 2};
constexpr std::array<uint8_t, 6> kAccessGw = {2, 0, 0, 0, 0, 1};
constexpr std::array<uint8_t, 6> kCoreMac = {2, 0, 0, 0, 1, 2};
constexpr std::array<uint8_t, 6> kCoreGw = {2, 0, 0, 0, 1, 1};

// ---------------------------------------------------------------- timing

inline uint64_t tsc_begin() {
  _mm_lfence();
  const uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}
inline uint64_t tsc_end() {
  unsigned aux;
  const uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}

// Cycles an empty timed region costs (the minimum of many): subtracted from
// every measurement.
uint64_t calibrate_overhead() {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t t0 = tsc_begin();
    const uint64_t t1 = tsc_end();
    best = std::min(best, t1 - t0);
  }
  return best;
}

// ---------------------------------------------------------------- what to measure

enum class Dir : uint8_t { up, down };

enum class Op : uint8_t {
  access_input,
  sa_lookup,
  esp_decrypt,
  aead_decrypt,  // AeadEngine::decrypt of esp_decrypt's burst, alone
  l2tp_input,
  ingress_filter,
  core_output,
  upstream_rx,     // access_input .. core_output
  upstream_owned,  // esp_decrypt .. core_output
  core_input,
  l2tp_encap,
  esp_encrypt,
  aead_encrypt,  // AeadEngine::encrypt of a burst of esp_encrypt's size, alone
  access_output,
  downstream_rx,     // core_input .. access_output
  downstream_owned,  // l2tp_encap .. access_output
  // Diagnostics (AES-128, 64 bytes): the stage with the session cache line it
  // reads first warmed outside the timed region, to price that miss.
  l2tp_input_warm,   // SessionState's first line (sa_in)
  esp_encrypt_warm,  // SessionState's downstream counters line
};

struct OpInfo {
  Op op;
  const char* name;
  Dir dir;
  int prefix;        // stages of the direction's chain that run before it
  bool key_matters;  // measured for both key sizes (else AES-128 only)
  bool sends;        // queues its packets for TX instead of returning them
};

// Upstream chain: access_input, sa_lookup, esp_decrypt, l2tp_input,
// ingress_filter, core_output. Downstream: core_input, l2tp_encap,
// esp_encrypt, access_output.
constexpr OpInfo kOps[] = {
    {Op::access_input, "up.access_input", Dir::up, 0, false, false},
    {Op::sa_lookup, "up.sa_lookup", Dir::up, 1, false, false},
    {Op::esp_decrypt, "up.esp_decrypt", Dir::up, 2, true, false},
    {Op::aead_decrypt, "up.aead_decrypt", Dir::up, 2, true, false},
    {Op::l2tp_input, "up.l2tp_input", Dir::up, 3, false, false},
    {Op::ingress_filter, "up.ingress_filter", Dir::up, 4, false, false},
    {Op::core_output, "up.core_output", Dir::up, 5, false, true},
    {Op::upstream_rx, "up.chain_rx", Dir::up, 0, true, true},
    {Op::upstream_owned, "up.chain_owned", Dir::up, 2, true, true},
    {Op::core_input, "down.core_input", Dir::down, 0, false, false},
    {Op::l2tp_encap, "down.l2tp_encap", Dir::down, 1, false, false},
    {Op::esp_encrypt, "down.esp_encrypt", Dir::down, 2, true, false},
    {Op::aead_encrypt, "down.aead_encrypt", Dir::down, 3, true, false},
    {Op::access_output, "down.access_output", Dir::down, 3, false, true},
    {Op::downstream_rx, "down.chain_rx", Dir::down, 0, true, true},
    {Op::downstream_owned, "down.chain_owned", Dir::down, 1, true, true},
    {Op::l2tp_input_warm, "diag.l2tp_input_warm_session", Dir::up, 3, false, false},
    {Op::esp_encrypt_warm, "diag.esp_encrypt_warm_counters", Dir::down, 2, false, false},
};

bool is_diagnostic(Op op) {
  return op == Op::l2tp_input_warm || op == Op::esp_encrypt_warm;
}

struct Spec {
  OpInfo info;
  uint32_t sessions;
  unsigned key_bits;  // 128 or 256
  uint16_t inner_bytes;
};

// Runs stage `index` of the direction's chain (snapshot building).
uint16_t run_chain_stage(Dir dir, int index, WorkerContext& w, rte_mbuf** p, uint16_t n) {
  if (dir == Dir::up) {
    switch (index) {
      case 0:
        return access_input(w, kAccess, p, n);
      case 1:
        return sa_lookup(w, p, n);
      case 2:
        return esp_decrypt(w, p, n);
      case 3:
        return l2tp_input(w, p, n);
      case 4:
        return ingress_filter(w, p, n);
      default:
        break;
    }
  } else {
    switch (index) {
      case 0:
        return core_input(w, kCore, p, n);
      case 1:
        return l2tp_encap(w, p, n);
      case 2:
        return esp_encrypt(w, p, n);
      default:
        break;
    }
  }
  throw std::logic_error("no such chain stage");
}

// The timed call. Returns how many packets continue (senders: 0).
inline uint16_t run_op(Op op, WorkerContext& w, rte_mbuf** p, crypto::AeadOp* ops) {
  switch (op) {
    case Op::access_input:
      return access_input(w, kAccess, p, kBurst);
    case Op::sa_lookup:
      return sa_lookup(w, p, kBurst);
    case Op::esp_decrypt:
      return esp_decrypt(w, p, kBurst);
    case Op::aead_decrypt:
      w.engine.decrypt(std::span<crypto::AeadOp>(ops, kBurst));
      return kBurst;
    case Op::l2tp_input:
    case Op::l2tp_input_warm:
      return l2tp_input(w, p, kBurst);
    case Op::ingress_filter:
      return ingress_filter(w, p, kBurst);
    case Op::core_output:
      return core_output(w, p, kBurst);
    case Op::upstream_rx:
      upstream_rx(w, kAccess, p, kBurst);
      return 0;
    case Op::upstream_owned:
      upstream_owned(w, p, kBurst);
      return 0;
    case Op::core_input:
      return core_input(w, kCore, p, kBurst);
    case Op::l2tp_encap:
      return l2tp_encap(w, p, kBurst);
    case Op::esp_encrypt:
    case Op::esp_encrypt_warm:
      return esp_encrypt(w, p, kBurst);
    case Op::aead_encrypt:
      w.engine.encrypt(std::span<crypto::AeadOp>(ops, kBurst));
      return kBurst;
    case Op::access_output:
      return access_output(w, p, kBurst);
    case Op::downstream_rx:
      downstream_rx(w, kCore, p, kBurst);
      return 0;
    case Op::downstream_owned:
      downstream_owned(w, p, kBurst);
      return 0;
  }
  return 0;
}

// ---------------------------------------------------------------- configuration

std::vector<uint8_t> keymat_for(unsigned key_bits, uint8_t seed) {
  std::vector<uint8_t> k(key_bits / 8 + crypto::kSaltLen);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 37 + i * 11);
  return k;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string ipv4_text(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

// Ports, the SA pair and session 0 as configuration text (the loader
// validates them); sessions 1..N-1 are copies of session 0 with their own ids
// and prefix, appended to the loaded model (a million sessions as text would
// cost the parser gigabytes).
config::Config make_config(uint32_t sessions, unsigned key_bits, const std::vector<uint8_t>& key_in,
                           const std::vector<uint8_t>& key_out) {
  const std::string proposal = key_bits == 128 ? "aes128gcm16" : "aes256gcm16";
  std::string text;
  text += "dataplane = { workers = [ 1 ]; };\n";
  text += "ports = (\n";
  text += "  { name = \"access\"; role = \"access\"; device = \"net_null0\"; ";
  text += "mac = \"02:00:00:00:00:02\"; addresses = [ \"198.51.100.1/24\" ]; ";
  text += "gateway_mac = \"02:00:00:00:00:01\"; },\n";
  text += "  { name = \"core\"; role = \"core\"; device = \"net_null1\"; ";
  text += "mac = \"02:00:00:00:01:02\"; addresses = [ \"203.0.113.1/24\" ]; ";
  text += "gateway_mac = \"02:00:00:00:01:01\"; }\n);\n";
  text += "sas = (\n";
  text +=
      "  { spi = 0x1001; direction = \"in\"; local = \"198.51.100.1\"; remote = \"192.0.2.1\"; ";
  text += "proposal = \"" + proposal + "\"; key = \"" + hex(key_in) + "\"; },\n";
  text +=
      "  { spi = 0x2001; direction = \"out\"; local = \"198.51.100.1\"; remote = \"192.0.2.1\"; ";
  text += "proposal = \"" + proposal + "\"; key = \"" + hex(key_out) + "\"; }\n);\n";
  text += "sessions = (\n";
  text += "  { identity = \"s0@bench\"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 1; ";
  text += "session_id = 1; peer_tunnel_id = 1; peer_session_id = 1; prefixes = [ \"" +
          ipv4_text(kSessionBase) + "/30\" ]; mtu = 1500; peer_port = 1701; }\n);\n";
  config::Config cfg = config::load_config_text(text, "stages_bench.conf");
  cfg.sessions.reserve(sessions);
  const config::SessionConfig first = cfg.sessions.at(0);
  for (uint32_t i = 1; i < sessions; ++i) {
    config::SessionConfig s = first;
    // Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on
    // "literal" + std::string&&.
    s.identity = std::to_string(i);
    s.identity += "@bench";
    s.tunnel_id = s.peer_tunnel_id = static_cast<uint16_t>(1 + i / 65535);
    s.session_id = s.peer_session_id = static_cast<uint16_t>(1 + i % 65535);
    proto::store_be32(s.prefixes.at(0).address.bytes.data(), kSessionBase + 4 * i);
    cfg.sessions.push_back(std::move(s));
  }
  return cfg;
}

// ---------------------------------------------------------------- environment

// One DataplaneState (N sessions, one key size) with its worker context; the
// fixture keeps the last one, since building a million sessions takes seconds
// and the benchmarks are registered grouped by (N, key size).
struct Env {
  uint32_t sessions = 0;
  unsigned key_bits = 0;
  std::vector<uint8_t> key_in;  // key || salt of the inbound SA (the SI encrypts with it)
  std::unique_ptr<WorkerCounters> counters;
  std::unique_ptr<DataplaneState> state;
  std::unique_ptr<WorkerContext> worker;
  crypto::AeadEngine gen_engine;  // builds the upstream test packets
  std::unique_ptr<crypto::SaKey> gen_key;
  uint32_t sa_in = 0;

  Env(uint32_t n, unsigned bits) : sessions(n), key_bits(bits) {
    key_in = keymat_for(bits, 1);
    const config::Config cfg = make_config(n, bits, key_in, keymat_for(bits, 2));
    std::vector<PortHandle> handles;
    for (size_t i = 0; i < cfg.ports.size(); ++i)
      handles.push_back(PortHandle{static_cast<uint16_t>(i), cfg.ports[i].name, 1, false});
    counters = std::make_unique<WorkerCounters>();
    state = std::make_unique<DataplaneState>(cfg, handles, 1, SOCKET_ID_ANY);
    state->apply(cfg);
    worker = std::make_unique<WorkerContext>(0, *state, *counters, kBurst);
    gen_key = std::make_unique<crypto::SaKey>(
        bits == 128 ? crypto::AeadAlg::aes128_gcm : crypto::AeadAlg::aes256_gcm, key_in,
        gen_engine);
    sa_in = state->spi_table.lookup(kSpiIn);
    if (sa_in == tables::SpiTable::kNotFound) throw std::runtime_error("inbound SA missing");
  }
  ~Env() {
    worker.reset();
    state.reset();
  }

  void reset_replay_window() {
    auto& window = state->sas[sa_in].window;
    window.emplace(window->size(), window->esn());
  }

  std::string drop_summary() const {
    std::string out;
    for (size_t i = 0; i < kDropReasonCount; ++i)
      if (counters->drops[i].get() != 0)
        out += std::string(kDropReasons[i].name) + "=" + std::to_string(counters->drops[i].get()) +
               " ";
    for (size_t i = 0; i < kPuntKindCount; ++i)
      if (counters->punts[i].get() != 0) out += "punt" + std::to_string(i) + " ";
    return out.empty() ? "no drop counted" : out;
  }
};

// ---------------------------------------------------------------- packets

void write_inner_udp(uint8_t* ip, uint16_t inner_bytes, uint32_t src, uint32_t dst) {
  proto::Ipv4Fields f;
  f.payload_length = static_cast<uint16_t>(inner_bytes - proto::kIpv4MinHeaderLength);
  f.ttl = 64;
  f.protocol = proto::kIpProtocolUdp;
  f.src = src;
  f.dst = dst;
  uint8_t* udp = ip + proto::kIpv4MinHeaderLength;
  std::memset(udp, 0, f.payload_length);
  proto::build_udp_ipv4({udp, f.payload_length}, proto::UdpFields{5000, 1024}, src, dst,
                        proto::UdpChecksum::kNone);
  proto::build_ipv4({ip, proto::kIpv4MinHeaderLength}, f);
}

uint8_t* reset_mbuf(rte_mbuf* m, uint16_t len, uint16_t ingress_port) {
  m->data_off = RTE_PKTMBUF_HEADROOM;
  m->data_len = len;
  m->pkt_len = len;
  meta(m) = MbufMeta{};
  meta(m).ingress_port = ingress_port;
  return rte_pktmbuf_mtod(m, uint8_t*);
}

void write_ethernet(uint8_t* p, const std::array<uint8_t, 6>& dst,
                    const std::array<uint8_t, 6>& src) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  proto::store_be16(p + 12, 0x0800);
}

// Core-side frame to session `s`.
void make_downstream_frame(rte_mbuf* m, uint32_t s, uint16_t inner_bytes) {
  uint8_t* p = reset_mbuf(m, static_cast<uint16_t>(14 + inner_bytes), kCore);
  write_ethernet(p, kCoreMac, kCoreGw);
  write_inner_udp(p + 14, inner_bytes, kInternetV4, kSessionBase + 4 * s + 1);
}

// Access-side frame from session `s`: ESP (inbound SA, sequence number `seq`)
// over UDP 1701 / L2TP / PPP / inner IPv4. Returns the AEAD op to encrypt it.
crypto::AeadOp make_upstream_frame(rte_mbuf* m, uint32_t s, uint16_t inner_bytes, uint32_t seq,
                                   const crypto::SaKey& key) {
  constexpr size_t kL2tpStack = proto::kUdpHeaderLength + proto::kL2tpMinHeaderSize + 4;
  const size_t payload = kL2tpStack + inner_bytes;
  const size_t trailer = proto::esp_trailer_length(payload);
  const size_t esp_len = proto::kEspHeaderSize + payload + trailer + proto::kEspIcvSize;
  const size_t frame_len = 14 + proto::kIpv4MinHeaderLength + esp_len;
  uint8_t* p = reset_mbuf(m, static_cast<uint16_t>(frame_len), kAccess);
  write_ethernet(p, kAccessMac, kAccessGw);
  proto::Ipv4Fields outer;
  outer.payload_length = static_cast<uint16_t>(esp_len);
  outer.ttl = 64;
  outer.protocol = proto::kIpProtocolEsp;
  outer.src = kSiV4;
  outer.dst = kAccessV4;
  proto::build_ipv4({p + 14, proto::kIpv4MinHeaderLength}, outer);
  uint8_t* esp = p + 14 + proto::kIpv4MinHeaderLength;
  proto::build_esp_header({esp, proto::kEspHeaderSize},
                          proto::EspHeaderFields{.spi = kSpiIn, .seq = seq, .iv = seq});
  uint8_t* udp = esp + proto::kEspHeaderSize;
  uint8_t* l2tp = udp + proto::kUdpHeaderLength;
  proto::store_be16(l2tp, proto::kL2tpVersion);
  proto::store_be16(l2tp + 2, static_cast<uint16_t>(1 + s / 65535));
  proto::store_be16(l2tp + 4, static_cast<uint16_t>(1 + s % 65535));
  uint8_t* ppp = l2tp + proto::kL2tpMinHeaderSize;
  ppp[0] = proto::kPppAddress;
  ppp[1] = proto::kPppControl;
  proto::store_be16(ppp + 2, proto::kPppProtocolIpv4);
  write_inner_udp(ppp + 4, inner_bytes, kSessionBase + 4 * s + 1, kInternetV4);
  proto::build_udp_ipv4({udp, payload}, proto::UdpFields{proto::kL2tpPort, proto::kL2tpPort}, 0, 0,
                        proto::UdpChecksum::kNone);
  proto::build_esp_trailer(
      {udp + payload, trailer},
      proto::EspTrailerFields{.payload_size = payload, .next_header = proto::kIpProtocolUdp});
  crypto::AeadOp op{};
  op.key = &key;
  op.iv = esp + proto::kEspSpiSeqSize;
  op.aad = esp;
  op.aad_len = proto::kEspSpiSeqSize;
  op.data = udp;
  op.len = static_cast<uint32_t>(payload + trailer);
  op.tag = udp + payload + trailer;
  return op;
}

// ---------------------------------------------------------------- snapshots

struct Snap {
  size_t offset;  // into Pristine::bytes
  uint16_t data_off;
  uint16_t len;
  MbufMeta md;
};

struct PristineKey {
  Dir dir;
  int prefix;
  uint32_t sessions;
  unsigned key_bits;
  uint16_t inner_bytes;
  friend bool operator==(const PristineKey&, const PristineKey&) = default;
};

struct Pristine {
  PristineKey key{};
  std::vector<Snap> snaps;  // kBursts * kBurst
  std::vector<uint8_t> bytes;
};

inline void restore_burst(const Pristine& pr, size_t burst, rte_mbuf* const* work) {
  const Snap* snaps = &pr.snaps[burst * kBurst];
  for (uint16_t j = 0; j < kBurst; ++j) {
    rte_mbuf* m = work[j];
    const Snap& s = snaps[j];
    m->data_off = s.data_off;
    m->data_len = s.len;
    m->pkt_len = s.len;
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), &pr.bytes[s.offset], s.len);
    meta(m) = s.md;
  }
}

// ---------------------------------------------------------------- fixture

// Everything the benchmarks share, owned by main() (no global mutable
// state): the mbuf pool, the current Env and the current snapshots.
class Fixture {
 public:
  explicit Fixture(rte_mempool* pool) : pool_(pool), tsc_hz_(double(rte_get_tsc_hz())) {
    overhead_ = calibrate_overhead();
  }
  ~Fixture() {
    pristine_.reset();
    env_.reset();
  }
  uint64_t overhead() const { return overhead_; }
  double tsc_hz() const { return tsc_hz_; }

  void run(benchmark::State& st, const Spec& spec);

 private:
  Env& env(uint32_t sessions, unsigned key_bits);
  const Pristine& pristine(const Spec& spec, Env& e, rte_mbuf* const* work);

  rte_mempool* pool_;
  double tsc_hz_;
  uint64_t overhead_ = 0;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Pristine> pristine_;
};

Env& Fixture::env(uint32_t sessions, unsigned key_bits) {
  if (!env_ || env_->sessions != sessions || env_->key_bits != key_bits) {
    pristine_.reset();
    env_.reset();  // the tables' DPDK names are reused: free the old ones first
    env_ = std::make_unique<Env>(sessions, key_bits);
  }
  return *env_;
}

const Pristine& Fixture::pristine(const Spec& spec, Env& e, rte_mbuf* const* work) {
  const PristineKey key{spec.info.dir, spec.info.prefix, spec.sessions, spec.key_bits,
                        spec.inner_bytes};
  if (pristine_ && pristine_->key == key) return *pristine_;
  pristine_.reset();
  auto pr = std::make_unique<Pristine>();
  pr->key = key;
  pr->snaps.reserve(kBursts * kBurst);
  std::mt19937 random(12345);  // the same sessions for every stage
  WorkerContext& w = *e.worker;
  e.reset_replay_window();
  uint32_t seq = 1;
  for (size_t b = 0; b < kBursts; ++b) {
    crypto::AeadOp ops[kBurst];
    for (uint16_t j = 0; j < kBurst; ++j) {
      const uint32_t s = static_cast<uint32_t>(random() % spec.sessions);
      if (spec.info.dir == Dir::up)
        ops[j] = make_upstream_frame(work[j], s, spec.inner_bytes, seq++, *e.gen_key);
      else
        make_downstream_frame(work[j], s, spec.inner_bytes);
    }
    if (spec.info.dir == Dir::up) e.gen_engine.encrypt(std::span<crypto::AeadOp>(ops, kBurst));
    rte_mbuf* p[kBurst];
    std::copy(work, work + kBurst, p);
    for (int stage = 0; stage < spec.info.prefix; ++stage) {
      if (run_chain_stage(spec.info.dir, stage, w, p, kBurst) != kBurst)
        throw std::runtime_error("building the input: a stage dropped: " + e.drop_summary());
      // Stage convention: kept packets are compacted in order; all 32 kept
      // means p is still work in the same order.
    }
    for (uint16_t j = 0; j < kBurst; ++j) {
      rte_mbuf* m = work[j];
      const uint16_t len = rte_pktmbuf_data_len(m);
      pr->snaps.push_back(Snap{pr->bytes.size(), m->data_off, len, meta(m)});
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      pr->bytes.insert(pr->bytes.end(), d, d + len);
    }
  }
  e.reset_replay_window();
  pristine_ = std::move(pr);
  return *pristine_;
}

// AEAD ops of a restored burst, as the stages build them (untimed).
void build_decrypt_ops(rte_mbuf* const* work, const crypto::SaKey& key, crypto::AeadOp* ops,
                       uint8_t (*aad)[12]) {
  for (uint16_t j = 0; j < kBurst; ++j) {
    rte_mbuf* m = work[j];
    uint8_t* esp = rte_pktmbuf_mtod(m, uint8_t*) + meta(m).esp_offset;
    const size_t esp_len = rte_pktmbuf_data_len(m) - meta(m).esp_offset;
    std::memcpy(aad[j], esp, 8);
    ops[j] =
        crypto::AeadOp{&key,
                       esp + proto::kEspSpiSeqSize,
                       aad[j],
                       esp + proto::kEspHeaderSize,
                       esp + esp_len - proto::kEspIcvSize,
                       8,
                       static_cast<uint32_t>(esp_len - proto::kEspHeaderSize - proto::kEspIcvSize),
                       crypto::AeadStatus::error};
  }
}

// esp_encrypt's output burst (SPI .. ICV) encrypted again in place: the same
// lengths, key and AAD size as the stage's own engine call, and GCM's cost
// does not depend on the bytes.
void build_encrypt_ops(rte_mbuf* const* work, const crypto::SaKey& key, crypto::AeadOp* ops) {
  for (uint16_t j = 0; j < kBurst; ++j) {
    rte_mbuf* m = work[j];
    uint8_t* esp = rte_pktmbuf_mtod(m, uint8_t*);
    const size_t esp_len = rte_pktmbuf_data_len(m);
    ops[j] =
        crypto::AeadOp{&key,
                       esp + proto::kEspSpiSeqSize,
                       esp,
                       esp + proto::kEspHeaderSize,
                       esp + esp_len - proto::kEspIcvSize,
                       8,
                       static_cast<uint32_t>(esp_len - proto::kEspHeaderSize - proto::kEspIcvSize),
                       crypto::AeadStatus::error};
  }
}

// Diagnostics: read the session cache line a stage touches first (untimed).
// l2tp_input's packets start at the decrypted UDP header; the generator's
// session s has tunnel id 1 + s / 65535 and session id 1 + s % 65535.
void warm_sessions_up(const DataplaneState& state, rte_mbuf* const* work) {
  for (uint16_t j = 0; j < kBurst; ++j) {
    const uint8_t* l2tp = rte_pktmbuf_mtod(work[j], const uint8_t*) + proto::kUdpHeaderLength;
    const uint32_t s =
        uint32_t(proto::load_be16(l2tp + 2) - 1) * 65535 + (proto::load_be16(l2tp + 4) - 1);
    benchmark::DoNotOptimize(state.sessions[state.session_indices_in_config_order[s]].sa_in);
  }
}
void warm_down_counters(const DataplaneState& state, rte_mbuf* const* work) {
  for (uint16_t j = 0; j < kBurst; ++j)
    benchmark::DoNotOptimize(state.sessions[meta(work[j]).session_index].down_packets.get());
}

void Fixture::run(benchmark::State& st, const Spec& spec) {
  std::array<rte_mbuf*, kBurst> work{};
  if (rte_pktmbuf_alloc_bulk(pool_, work.data(), kBurst) != 0) {
    st.SkipWithError("mbuf pool empty");
    return;
  }
  bool own_work = true;  // false once a stage freed (dropped) some of them
  const Pristine* pr = nullptr;
  Env* e = nullptr;
  try {
    e = &env(spec.sessions, spec.key_bits);
    pr = &pristine(spec, *e, work.data());
  } catch (const std::exception& ex) {
    rte_pktmbuf_free_bulk(work.data(), kBurst);
    st.SkipWithError(ex.what());
    return;
  }
  WorkerContext& w = *e->worker;
  const Op op = spec.info.op;
  const uint16_t tx_port = spec.info.dir == Dir::up ? kCore : kAccess;
  const crypto::SaKey& in_key = *e->state->sas[e->sa_in].key;
  const crypto::SaKey& out_key = *e->state->sas[e->state->sessions[0].sa_out].key;
  crypto::AeadOp ops[kBurst];
  alignas(16) uint8_t aad[kBurst][12];
  uint64_t stage_cycles = 0, restore_cycles = 0;
  std::vector<uint32_t> samples;  // stage cycles of every iteration
  samples.reserve(1 << 20);
  size_t burst = 0;

  for (auto _ : st) {
    const uint64_t r0 = tsc_begin();
    if (burst == 0 && spec.info.dir == Dir::up) e->reset_replay_window();
    restore_burst(*pr, burst, work.data());
    const uint64_t r1 = tsc_end();
    restore_cycles += r1 - r0;
    if (op == Op::aead_decrypt) build_decrypt_ops(work.data(), in_key, ops, aad);
    if (op == Op::aead_encrypt) build_encrypt_ops(work.data(), out_key, ops);
    if (op == Op::l2tp_input_warm) warm_sessions_up(*e->state, work.data());
    if (op == Op::esp_encrypt_warm) warm_down_counters(*e->state, work.data());
    rte_mbuf* p[kBurst];
    std::copy(work.begin(), work.end(), p);

    const uint64_t t0 = tsc_begin();
    const uint16_t kept = run_op(op, w, p, ops);
    const uint64_t t1 = tsc_end();

    const uint64_t cycles = t1 - t0 > overhead_ ? t1 - t0 - overhead_ : 0;
    stage_cycles += cycles;
    samples.push_back(static_cast<uint32_t>(std::min<uint64_t>(cycles, UINT32_MAX)));
    st.SetIterationTime(double(cycles) / tsc_hz_);

    // Every packet must come through (kept, or queued for TX).
    std::vector<rte_mbuf*> tx = w.take_tx(tx_port);
    std::vector<rte_mbuf*> other = w.take_tx(tx_port == kCore ? kAccess : kCore);
    const size_t through = spec.info.sends ? tx.size() : kept;
    bool crypto_ok = true;
    if (op == Op::aead_decrypt || op == Op::aead_encrypt)
      for (const auto& o : ops) crypto_ok = crypto_ok && o.status == crypto::AeadStatus::ok;
    if (through != kBurst || !other.empty() || !crypto_ok) [[unlikely]] {
      // Give back what survived; the stage freed the rest.
      for (rte_mbuf* m : tx) rte_pktmbuf_free(m);
      for (rte_mbuf* m : other) rte_pktmbuf_free(m);
      if (!spec.info.sends)
        for (uint16_t i = 0; i < kept; ++i) rte_pktmbuf_free(p[i]);
      own_work = false;
      st.SkipWithError(crypto_ok ? ("packets lost: " + e->drop_summary()).c_str()
                                 : "AEAD op failed");
      break;
    }
    burst = (burst + 1) % kBursts;
  }
  if (own_work) rte_pktmbuf_free_bulk(work.data(), kBurst);
  if (spec.info.dir == Dir::up) e->reset_replay_window();

  const double packets = double(st.iterations()) * kBurst;
  st.SetItemsProcessed(int64_t(st.iterations()) * kBurst);
  if (packets > 0 && !samples.empty()) {
    // The median burst: robust to the preemptions a shared host inflicts on
    // a few iterations (one timer tick costs as much as 10^4 bursts); the
    // mean is reported too.
    auto mid = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
    std::nth_element(samples.begin(), mid, samples.end());
    const double median = double(*mid);
    st.counters["cycles_per_pkt"] = median / kBurst;
    st.counters["ns_per_pkt"] = median / tsc_hz_ * 1e9 / kBurst;
    st.counters["ns_per_pkt_mean"] = double(stage_cycles) / tsc_hz_ * 1e9 / packets;
    st.counters["restore_ns_per_pkt"] = double(restore_cycles) / tsc_hz_ * 1e9 / packets;
  }
}

uint32_t large_sessions() {
  if (const char* v = std::getenv("SOFTWIRE_BENCH_SESSIONS"); v != nullptr && *v != '\0')
    return static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
  return 1000000;
}

}  // namespace

int main(int argc, char** argv) {
  const bool huge = [] {
    const char* v = std::getenv("SOFTWIRE_BENCH_HUGE");
    return v != nullptr && std::string(v) == "1";
  }();
  const std::string prefix = "sw_stages_bench" + std::to_string(getpid());
  std::vector<std::string> args = {argv[0]};
  if (!huge) args.push_back("--no-huge");
  for (const char* a : {"-m", "1024", "--no-shconf", "--file-prefix"}) args.push_back(a);
  args.push_back(prefix);
  for (const char* a : {"--no-pci", "-l", "0", "--log-level=*:error"}) args.push_back(a);
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  // The pool outlives every benchmark; mbufs are allocated 32 at a time.
  rte_mempool* pool =
      rte_pktmbuf_pool_create("stages_bench", 1023, 0, kMbufPrivSize, kMbufDataRoom, SOCKET_ID_ANY);
  if (pool == nullptr) {
    std::fprintf(stderr, "cannot create the mbuf pool\n");
    return 1;
  }

  auto fixture = std::make_unique<Fixture>(pool);
  benchmark::AddCustomContext("tsc_hz", std::to_string(uint64_t(fixture->tsc_hz())));
  benchmark::AddCustomContext("timer_overhead_cycles", std::to_string(fixture->overhead()));
  benchmark::AddCustomContext("eal_memory", huge ? "hugepages" : "no-huge");

  // Grouped by (N, key size) so that each DataplaneState is built once.
  for (uint32_t sessions : {1u, large_sessions()}) {
    for (unsigned key_bits : {128u, 256u}) {
      for (const OpInfo& info : kOps) {
        if (key_bits != 128 && !info.key_matters) continue;
        for (uint16_t bytes : {uint16_t{64}, uint16_t{512}, uint16_t{1400}}) {
          if (is_diagnostic(info.op) && (key_bits != 128 || bytes != 64)) continue;
          const Spec spec{info, sessions, key_bits, bytes};
          const std::string name =
              std::string("stage:") + info.name + "/key:aes" + std::to_string(key_bits) +
              "/sessions:" + std::to_string(sessions) + "/bytes:" + std::to_string(bytes);
          benchmark::RegisterBenchmark(name.c_str(), [f = fixture.get(),
                                                      spec](benchmark::State& st) {
            f->run(st, spec);
          })->UseManualTime();
        }
      }
    }
  }

  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fixture.reset();
  const unsigned in_use = rte_mempool_in_use_count(pool);
  if (in_use != 0) {
    std::fprintf(stderr, "mbuf leak: %u mbufs still in use\n", in_use);
    return 1;
  }
  return 0;
}
