#include "crypto/aead_engine.h"

// The library aligns struct gcm_key_data to 64 bytes only when LINUX is
// defined; SaKey aligns its storage itself, but keep the header consistent.
#ifndef LINUX
#define LINUX
#endif
#include <intel-ipsec-mb.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>

namespace softwire::crypto {

static_assert(sizeof(gcm_key_data) <= SaKey::kKeyDataSize);
static_assert(alignof(gcm_key_data) <= 64);
static_assert(AeadEngine::kBurst <= IMB_MAX_BURST_SIZE);
// One burst never waits for queue space: the queue is empty when it starts.
static_assert(AeadEngine::kBurst <= IMB_MAX_JOBS);

namespace {

#ifdef NDEBUG
constexpr bool kLibraryChecks = false;
#else
constexpr bool kLibraryChecks = true;
#endif

const gcm_key_data* key_data(const unsigned char* storage) {
  return std::launder(reinterpret_cast<const gcm_key_data*>(storage));
}

// Per-op helper the compiler can inline (is_gmac is exported).
constexpr bool alg_is_gmac(AeadAlg alg) {
  return alg == AeadAlg::aes128_gmac || alg == AeadAlg::aes256_gmac;
}

IMB_KEY_SIZE_BYTES imb_key_size(AeadAlg alg) {
  return key_len(alg) == 16 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES;
}

// 16-byte tag compare: fixed sequence of loads, XORs and ORs, no early exit.
bool tag_equal(const uint8_t* a, const uint8_t* b) {
  uint64_t a0, a1, b0, b1;
  std::memcpy(&a0, a, 8);
  std::memcpy(&a1, a + 8, 8);
  std::memcpy(&b0, b, 8);
  std::memcpy(&b1, b + 8, 8);
  uint64_t diff = (a0 ^ b0) | (a1 ^ b1);
  // Keep the compiler from turning this into a branchy byte compare.
  asm volatile("" : "+r"(diff));
  return diff == 0;
}

}  // namespace

size_t key_len(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::aes128_gcm:
    case AeadAlg::aes128_gmac:
      return 16;
    case AeadAlg::aes256_gcm:
    case AeadAlg::aes256_gmac:
      return 32;
  }
  return 0;
}

bool is_gmac(AeadAlg alg) {
  return alg == AeadAlg::aes128_gmac || alg == AeadAlg::aes256_gmac;
}

std::string_view alg_name(AeadAlg alg) {
  switch (alg) {
    case AeadAlg::aes128_gcm:
      return "aes128gcm16";
    case AeadAlg::aes256_gcm:
      return "aes256gcm16";
    case AeadAlg::aes128_gmac:
      return "aes128gmac";
    case AeadAlg::aes256_gmac:
      return "aes256gmac";
  }
  return "?";
}

// Out of line (not inline in the header) so that callers cannot have it
// specialised into an early-exit compare.
bool constant_time_equal(const void* a, const void* b, size_t n) {
  const auto* pa = static_cast<const volatile uint8_t*>(a);
  const auto* pb = static_cast<const volatile uint8_t*>(b);
  uint8_t diff = 0;
  for (size_t i = 0; i < n; ++i) diff |= static_cast<uint8_t>(pa[i] ^ pb[i]);
  return diff == 0;
}

// ---------------------------------------------------------------------------
// SaKey

SaKey::SaKey(AeadAlg alg, std::span<const uint8_t> keymat, const AeadEngine& engine)
    : alg_(alg), arch_(engine.arch_) {
  const size_t klen = key_len(alg);
  if (klen == 0 || keymat.size() != klen + kSaltLen) {
    throw std::invalid_argument("SaKey: key material must be key || 4-byte salt");
  }
  std::memcpy(salt_, keymat.data() + klen, kSaltLen);
  std::memset(key_data_, 0, sizeof key_data_);
  auto* kd = new (key_data_) gcm_key_data;
  // Key expansion and GHASH tables (H, H^2, ...) for the engine's code path.
  if (klen == 16) {
    IMB_AES128_GCM_PRE(engine.mgr_, keymat.data(), kd);
  } else {
    IMB_AES256_GCM_PRE(engine.mgr_, keymat.data(), kd);
  }
}

SaKey::~SaKey() {
  // imb_clear_mem is an out-of-line library call: the compiler cannot drop
  // these stores as dead, unlike a plain memset before deallocation.
  imb_clear_mem(key_data_, sizeof key_data_);
  imb_clear_mem(salt_, sizeof salt_);
}

// ---------------------------------------------------------------------------
// AeadEngine

AeadEngine::AeadEngine() {
  mgr_ = alloc_mb_mgr(0);
  if (mgr_ == nullptr) throw std::runtime_error("intel-ipsec-mb: alloc_mb_mgr failed");
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(mgr_, &arch);
  if (imb_get_errno(mgr_) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI) {
    free_mb_mgr(mgr_);
    mgr_ = nullptr;
    throw std::runtime_error("intel-ipsec-mb: no AES-NI code path on this CPU");
  }
  arch_ = static_cast<uint8_t>(arch);
  std::memset(nonce_, 0, sizeof nonce_);
  std::memset(tag_, 0, sizeof tag_);
}

AeadEngine::~AeadEngine() {
  imb_clear_mem(nonce_, sizeof nonce_);
  imb_clear_mem(tag_, sizeof tag_);
  if (mgr_ != nullptr) free_mb_mgr(mgr_);
}

std::string_view AeadEngine::arch_name() const {
  switch (arch_) {
    case IMB_ARCH_NOAESNI:
      return "noaesni";
    case IMB_ARCH_SSE:
      return "sse";
    case IMB_ARCH_AVX:
      return "avx";
    case IMB_ARCH_AVX2:
      return "avx2";
    case IMB_ARCH_AVX512:
      return "avx512";
    default:
      return "unknown";
  }
}

std::string AeadEngine::describe() const {
  std::string s(arch_name());
  const uint64_t f = mgr_->features;
  std::string feats;
  auto add = [&](uint64_t bit, const char* name) {
    if (f & bit) {
      if (!feats.empty()) feats += ' ';
      feats += name;
    }
  };
  add(IMB_FEATURE_AESNI, "aesni");
  add(IMB_FEATURE_PCLMULQDQ, "pclmulqdq");
  add(IMB_FEATURE_AVX512_SKX, "avx512");
  add(IMB_FEATURE_VAES, "vaes");
  add(IMB_FEATURE_VPCLMULQDQ, "vpclmulqdq");
  if (!feats.empty()) s += " (" + feats + ")";
  return s;
}

void AeadEngine::encrypt(std::span<AeadOp> ops) {
  run(ops, true);
}
void AeadEngine::decrypt(std::span<AeadOp> ops) {
  run(ops, false);
}

void AeadEngine::run(std::span<AeadOp> ops, bool enc) {
  while (!ops.empty()) {
    const size_t n = std::min(ops.size(), kBurst);
    run_burst(ops.first(n), enc);
    ops = ops.subspan(n);
  }
}

// Rejects what intel-ipsec-mb would reject (or worse, accept and misuse)
// before the burst is built, so that one bad op does not fail the burst.
bool AeadEngine::op_valid(const AeadOp& op) const {
  if (op.key == nullptr || op.iv == nullptr || op.tag == nullptr) return false;
  if (op.len > kMaxDataLen || (op.len != 0 && op.data == nullptr)) return false;
  if (op.aad_len != 0 && op.aad == nullptr) return false;
  if (op.key->arch_ != arch_) return false;  // tables of another code path
  if (alg_is_gmac(op.key->alg_)) {
    if (op.aad_len != 0 && op.aad + op.aad_len != op.data) return false;
    if (op.aad_len + op.len == 0) return false;  // GMAC of nothing: never ESP
  } else if (op.aad_len > kMaxAadLen) {
    return false;
  }
  return true;
}

void AeadEngine::fill_job(IMB_JOB* job, AeadOp& op, uint32_t slot, bool enc) {
  const SaKey& key = *op.key;
  const gcm_key_data* kd = key_data(key.key_data_);
  uint8_t* nonce = nonce_[slot];
  std::memcpy(nonce, key.salt_, kSaltLen);
  std::memcpy(nonce + kSaltLen, op.iv, kIvLen);

  job->key_len_in_bytes = imb_key_size(key.alg_);
  job->iv = nonce;
  job->iv_len_in_bytes = kNonceLen;
  job->hash_start_src_offset_in_bytes = 0;
  job->auth_tag_output = enc ? op.tag : tag_[slot];
  job->auth_tag_output_len_in_bytes = kTagLen;
  job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
  job->user_data = &op;
  job->user_data2 = tag_[slot];

  if (is_gmac(key.alg_)) {
    // Authentication only: GHASH over the contiguous aad || data region.
    const uint8_t* region = op.aad_len != 0 ? op.aad : op.data;
    job->cipher_mode = IMB_CIPHER_NULL;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->hash_alg =
        key.alg_ == AeadAlg::aes128_gmac ? IMB_AUTH_AES_GMAC_128 : IMB_AUTH_AES_GMAC_256;
    job->enc_keys = nullptr;
    job->dec_keys = nullptr;
    job->src = region;
    job->dst = const_cast<uint8_t*>(region);  // never written (NULL cipher, 0 bytes)
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = uint64_t{op.aad_len} + op.len;
    job->u.GMAC._key = kd;
    job->u.GMAC._iv = nonce;
    job->u.GMAC.iv_len_in_bytes = kNonceLen;
  } else {
    job->cipher_mode = IMB_CIPHER_GCM;
    job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
    job->hash_alg = IMB_AUTH_AES_GMAC;  // the library's name for GCM's GHASH
    job->enc_keys = kd;
    job->dec_keys = kd;
    job->src = op.data;
    job->dst = op.data;  // in place
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = op.len;
    job->msg_len_to_hash_in_bytes = op.len;
    job->u.GCM.aad = op.aad;
    job->u.GCM.aad_len_in_bytes = op.aad_len;
  }
}

void AeadEngine::finish_job(IMB_JOB* job, bool enc) {
  auto& op = *static_cast<AeadOp*>(job->user_data);
  if (job->status != IMB_STATUS_COMPLETED) {
    op.status = AeadStatus::error;
  } else if (enc) {
    op.status = AeadStatus::ok;
  } else {
    const auto* computed = static_cast<const uint8_t*>(job->user_data2);
    op.status = tag_equal(computed, op.tag) ? AeadStatus::ok : AeadStatus::auth_failed;
  }
}

void AeadEngine::run_burst(std::span<AeadOp> ops, bool enc) {
  // Slots of the valid ops, in order. Every op starts as error so that none
  // is left without a status whatever the library does; completion sets it.
  uint32_t n = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].status = AeadStatus::error;
    if (op_valid(ops[i])) slot_op_[n++] = static_cast<uint16_t>(i);
  }

  while (n != 0) {
    const uint32_t got = IMB_GET_NEXT_BURST(mgr_, n, jobs_);
    if (got != n) {
      // Cannot happen (the queue is drained at the end of every burst); fail
      // safe rather than leave ops without a status.
      return;
    }
    for (uint32_t s = 0; s < n; ++s) fill_job(jobs_[s], ops[slot_op_[s]], s, enc);

    // op_valid() has checked every field the library would check for the two
    // job shapes built here, so release builds skip the library's second
    // validation pass (about a third of the cost of a 64-byte packet).
    // Builds without NDEBUG keep it, to catch a gap in op_valid().
    uint32_t done = kLibraryChecks ? IMB_SUBMIT_BURST(mgr_, n, jobs_)
                                   : IMB_SUBMIT_BURST_NOCHECK(mgr_, n, jobs_);
    if (done == 0 && imb_get_errno(mgr_) != 0) {
      // The library validated the burst and rejected it as a whole, jobs_[0]
      // being the first invalid job; nothing was submitted. Drop that op and
      // submit the rest again.
      const IMB_JOB* bad = jobs_[0];
      uint32_t bad_slot = n;
      for (uint32_t s = 0; s < n; ++s) {
        if (bad != nullptr && bad->user_data == &ops[slot_op_[s]]) bad_slot = s;
      }
      if (bad_slot == n) return;
      std::copy(slot_op_ + bad_slot + 1, slot_op_ + n, slot_op_ + bad_slot);
      --n;
      continue;
    }
    for (uint32_t j = 0; j < done; ++j) finish_job(jobs_[j], enc);
    // Multi-buffer paths may hold jobs back until lanes fill; GCM completes
    // synchronously today, but drain whatever is left either way.
    uint32_t left = n - done;
    while (left != 0) {
      const uint32_t f = IMB_FLUSH_BURST(mgr_, left, jobs_);
      if (f == 0) break;
      for (uint32_t j = 0; j < f; ++j) finish_job(jobs_[j], enc);
      left -= f;
    }
    return;
  }
}

}  // namespace softwire::crypto
