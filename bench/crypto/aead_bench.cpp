// AEAD engine benchmarks: ops/s, Gbit/s and TSC cycles per byte for ESP-sized
// packets, bursts of 1..64, against raw intel-ipsec-mb one op at a time.
//
// Names (filter with --benchmark_filter, anchored regex):
//   engine/<enc|dec>/<aes128|aes256>/<bytes>/<burst>  AeadEngine, one call per burst
//   single/<enc|dec>/<aes128|aes256>/<bytes>          job API, one job per submit
//   direct/<enc|dec>/<aes128|aes256>/<bytes>          IMB_AESxxx_GCM_ENC/DEC, no job manager
// One iteration processes one burst (engine) or one packet (single, direct).
// Example, the compact demo table (burst 32, AES-128, 64/512/1420 bytes):
//   crypto_bench --benchmark_min_time=0.05
//       --benchmark_filter='^engine/(enc|dec)/aes128/(64|512|1420)/32$'
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#ifndef LINUX
#define LINUX
#endif
#include <intel-ipsec-mb.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "crypto/aead_engine.h"

namespace {

using softwire::crypto::AeadAlg;
using softwire::crypto::AeadEngine;
using softwire::crypto::AeadOp;
using softwire::crypto::AeadStatus;
using softwire::crypto::SaKey;

constexpr size_t kSizes[] = {64, 256, 512, 1024, 1420, 9000};
constexpr size_t kBursts[] = {1, 8, 32, 64};
constexpr size_t kHeadroom = 128;  // like an mbuf: packet data not at offset 0

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// A packet buffer: headroom, ESP header (SPI, seq, IV), payload, ICV.
struct Packet {
  explicit Packet(size_t size)
      : mem(static_cast<uint8_t*>(std::aligned_alloc(64, round_up(kHeadroom + 16 + size + 16)))),
        len(size) {
    const auto fill = random_bytes(16 + size + 16, static_cast<uint32_t>(size));
    std::memcpy(esp(), fill.data(), fill.size());
  }
  ~Packet() { std::free(mem); }
  Packet(const Packet&) = delete;
  Packet(Packet&& o) noexcept : mem(o.mem), len(o.len) { o.mem = nullptr; }

  static size_t round_up(size_t n) { return (n + 63) / 64 * 64; }
  uint8_t* esp() { return mem + kHeadroom; }
  uint8_t* iv() { return esp() + 8; }
  uint8_t* payload() { return esp() + 16; }
  uint8_t* icv() { return payload() + len; }

  uint8_t* mem;
  size_t len;
};

// TSC ticks per iteration. The machine is shared (other builds may run on
// the same CPUs), so a total over the loop would count the time the thread
// spent preempted; the median of per-iteration deltas does not. One rdtsc
// per iteration: consecutive readings give the deltas.
class TscClock {
 public:
  TscClock() { deltas_.reserve(kMaxSamples); }
  void start() { last_ = __rdtsc(); }
  void tick() {
    const uint64_t now = __rdtsc();
    if (deltas_.size() < kMaxSamples) deltas_.push_back(now - last_);
    last_ = now;
  }
  double median() {
    if (deltas_.empty()) return 0;
    auto mid = deltas_.begin() + deltas_.size() / 2;
    std::nth_element(deltas_.begin(), mid, deltas_.end());
    return static_cast<double>(*mid);
  }

 private:
  static constexpr size_t kMaxSamples = size_t{1} << 22;
  std::vector<uint64_t> deltas_;
  uint64_t last_ = 0;
};

// Rates (Mops, bytes/s) are over the thread's CPU time, Google Benchmark's
// default; cycles_per_byte is the median TSC ticks of one iteration divided
// by the bytes it processed.
void set_counters(benchmark::State& state, TscClock& tsc, size_t packets_per_iter, size_t size) {
  const double packets = static_cast<double>(state.iterations()) * packets_per_iter;
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.SetBytesProcessed(static_cast<int64_t>(packets * size));
  state.counters["cycles_per_byte"] = tsc.median() / static_cast<double>(packets_per_iter * size);
  state.counters["Mops"] = benchmark::Counter(packets / 1e6, benchmark::Counter::kIsRate);
}

AeadAlg alg_for(int key_bits) {
  return key_bits == 128 ? AeadAlg::aes128_gcm : AeadAlg::aes256_gcm;
}

std::vector<uint8_t> keymat_for(int key_bits) {
  return random_bytes(key_bits / 8 + 4, 42);
}

// AeadEngine: one encrypt()/decrypt() call per burst. Decrypt of the same
// buffer alternates ciphertext and plaintext, so every other call reports
// auth_failed: the work is identical (GHASH and CTR over all bytes, then a
// constant-time compare).
void bm_engine(benchmark::State& state, bool enc, int key_bits, size_t size, size_t burst) {
  AeadEngine engine;
  SaKey key(alg_for(key_bits), keymat_for(key_bits), engine);
  std::vector<Packet> pkts;
  std::vector<AeadOp> ops;
  pkts.reserve(burst);
  for (size_t i = 0; i < burst; ++i) pkts.emplace_back(size);
  for (auto& p : pkts) {
    ops.push_back(AeadOp{&key, p.iv(), p.esp(), p.payload(), p.icv(), 8,
                         static_cast<uint32_t>(size), AeadStatus::error});
  }
  engine.encrypt(ops);  // valid ICVs for the first decrypt
  for (const auto& op : ops) {
    if (op.status != AeadStatus::ok) state.SkipWithError("encrypt failed");
  }
  TscClock tsc;
  tsc.start();
  for (auto _ : state) {
    if (enc) {
      engine.encrypt(ops);
    } else {
      engine.decrypt(ops);
    }
    benchmark::DoNotOptimize(ops.data());
    benchmark::ClobberMemory();
    tsc.tick();
  }
  set_counters(state, tsc, burst, size);
}

struct RawKey {
  explicit RawKey(IMB_MGR* mgr, int key_bits) {
    const auto km = keymat_for(key_bits);
    if (key_bits == 128) {
      IMB_AES128_GCM_PRE(mgr, km.data(), &kd);
    } else {
      IMB_AES256_GCM_PRE(mgr, km.data(), &kd);
    }
    std::memcpy(nonce, km.data() + key_bits / 8, 4);
  }
  alignas(64) gcm_key_data kd;
  alignas(16) uint8_t nonce[16] = {};
};

struct Mgr {
  Mgr() : mgr(alloc_mb_mgr(0)) {
    IMB_ARCH arch;
    init_mb_mgr_auto(mgr, &arch);
  }
  ~Mgr() { free_mb_mgr(mgr); }
  IMB_MGR* mgr;
};

// The baseline: intel-ipsec-mb's job API with one job per submit (what a
// data plane without batching would do), the same nonce, AAD and tag
// handling as the engine, including the constant-time compare on decrypt.
void bm_single(benchmark::State& state, bool enc, int key_bits, size_t size) {
  Mgr m;
  RawKey key(m.mgr, key_bits);
  Packet p(size);
  alignas(16) uint8_t computed[16];
  TscClock tsc;
  tsc.start();
  for (auto _ : state) {
    std::memcpy(key.nonce + 4, p.iv(), 8);
    IMB_JOB* job = IMB_GET_NEXT_JOB(m.mgr);
    job->cipher_mode = IMB_CIPHER_GCM;
    job->hash_alg = IMB_AUTH_AES_GMAC;
    job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
    job->enc_keys = &key.kd;
    job->dec_keys = &key.kd;
    job->key_len_in_bytes = key_bits / 8;
    job->src = p.payload();
    job->dst = p.payload();
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = size;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = size;
    job->iv = key.nonce;
    job->iv_len_in_bytes = 12;
    job->u.GCM.aad = p.esp();
    job->u.GCM.aad_len_in_bytes = 8;
    job->auth_tag_output = enc ? p.icv() : computed;
    job->auth_tag_output_len_in_bytes = 16;
    job = IMB_SUBMIT_JOB(m.mgr);
    if (job == nullptr) job = IMB_FLUSH_JOB(m.mgr);
    if (job == nullptr || job->status != IMB_STATUS_COMPLETED) {
      state.SkipWithError("job failed");
      break;
    }
    if (!enc) {
      benchmark::DoNotOptimize(softwire::crypto::constant_time_equal(computed, p.icv(), 16));
    }
    benchmark::ClobberMemory();
    tsc.tick();
  }
  set_counters(state, tsc, 1, size);
}

// Reference: the direct (non-job) GCM API, one call per packet.
void bm_direct(benchmark::State& state, bool enc, int key_bits, size_t size) {
  Mgr m;
  RawKey key(m.mgr, key_bits);
  Packet p(size);
  gcm_context_data ctx;
  alignas(16) uint8_t computed[16];
  TscClock tsc;
  tsc.start();
  for (auto _ : state) {
    std::memcpy(key.nonce + 4, p.iv(), 8);
    uint8_t* out_tag = enc ? p.icv() : computed;
    if (key_bits == 128) {
      if (enc) {
        IMB_AES128_GCM_ENC(m.mgr, &key.kd, &ctx, p.payload(), p.payload(), size, key.nonce, p.esp(),
                           8, out_tag, 16);
      } else {
        IMB_AES128_GCM_DEC(m.mgr, &key.kd, &ctx, p.payload(), p.payload(), size, key.nonce, p.esp(),
                           8, out_tag, 16);
      }
    } else {
      if (enc) {
        IMB_AES256_GCM_ENC(m.mgr, &key.kd, &ctx, p.payload(), p.payload(), size, key.nonce, p.esp(),
                           8, out_tag, 16);
      } else {
        IMB_AES256_GCM_DEC(m.mgr, &key.kd, &ctx, p.payload(), p.payload(), size, key.nonce, p.esp(),
                           8, out_tag, 16);
      }
    }
    if (!enc) {
      benchmark::DoNotOptimize(softwire::crypto::constant_time_equal(computed, p.icv(), 16));
    }
    benchmark::ClobberMemory();
    tsc.tick();
  }
  set_counters(state, tsc, 1, size);
}

void register_all() {
  for (bool enc : {true, false}) {
    const std::string op = enc ? "enc" : "dec";
    for (int bits : {128, 256}) {
      const std::string k = "aes" + std::to_string(bits);
      for (size_t size : kSizes) {
        const std::string base = op + "/" + k + "/" + std::to_string(size);
        for (size_t burst : kBursts) {
          benchmark::RegisterBenchmark(
              ("engine/" + base + "/" + std::to_string(burst)).c_str(),
              [=](benchmark::State& s) { bm_engine(s, enc, bits, size, burst); });
        }
        benchmark::RegisterBenchmark(("single/" + base).c_str(),
                                     [=](benchmark::State& s) { bm_single(s, enc, bits, size); });
        benchmark::RegisterBenchmark(("direct/" + base).c_str(),
                                     [=](benchmark::State& s) { bm_direct(s, enc, bits, size); });
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  {
    AeadEngine engine;
    benchmark::AddCustomContext("ipsec_mb_version", imb_get_version_str());
    benchmark::AddCustomContext("ipsec_mb_arch", engine.describe());
  }
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
