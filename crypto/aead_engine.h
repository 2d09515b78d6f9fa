// AEAD batch engine for ESP: AES-GCM (RFC 4106) and AES-GMAC (RFC 4543) over
// intel-ipsec-mb's burst job API. One AeadEngine per worker thread; SaKey
// objects are built once (control thread) and then shared read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

// intel-ipsec-mb types, kept out of this header so that users of the engine
// (data plane, control plane) do not compile against the library's header.
struct IMB_MGR;
struct IMB_JOB;

namespace softwire::crypto {

// ESP algorithms, named after strongSwan's proposal keywords.
enum class AeadAlg : uint8_t {
  aes128_gcm,   // aes128gcm16: ESP AES-GCM, 16-byte ICV (RFC 4106)
  aes256_gcm,   // aes256gcm16
  aes128_gmac,  // aes128gmac: ESP NULL + AES-GMAC (RFC 4543)
  aes256_gmac,  // aes256gmac
};

inline constexpr size_t kSaltLen = 4;           // from the key material (RFC 4106 §8.1)
inline constexpr size_t kIvLen = 8;             // explicit IV carried in each packet
inline constexpr size_t kNonceLen = 12;         // salt || IV
inline constexpr size_t kTagLen = 16;           // ICV; only the 16-byte variants are supported
inline constexpr uint32_t kMaxDataLen = 65535;  // tested up to 9216 (jumbo frames)
inline constexpr uint32_t kMaxAadLen = 64;      // GCM AAD; ESP uses 8 or 12

// Key length in bytes (16 or 32), without the salt.
size_t key_len(AeadAlg alg);
bool is_gmac(AeadAlg alg);
// strongSwan keyword: "aes128gcm16", "aes256gcm16", "aes128gmac", "aes256gmac".
std::string_view alg_name(AeadAlg alg);

// Compares n bytes in time that depends on n only, never on the contents.
bool constant_time_equal(const void* a, const void* b, size_t n);

class AeadEngine;

// Per-SA key context: AES key schedule and GHASH tables precomputed by
// intel-ipsec-mb, plus the salt. Hot data only, cache-line aligned.
//
// Sharing: built by one thread (the control thread) with the precompute
// function of *its* AeadEngine, then only read, concurrently, by every worker
// engine. The table layout depends on the code path intel-ipsec-mb picked
// (SSE/AVX/AVX2/AVX-512/VAES): it matches because every engine in the process
// uses init_mb_mgr_auto on the same CPU. Each key records the path it was
// built for and an engine refuses (status error) a key of another path.
//
// The destructor wipes the key schedule, the hash key tables and the salt.
// Never logged or printed.
class alignas(64) SaKey {
 public:
  // keymat = key || 4-byte salt, as IKEv2 derives it and as `ip xfrm` and
  // strongSwan write it (20 bytes for AES-128, 36 for AES-256). Throws
  // std::invalid_argument on a wrong length.
  SaKey(AeadAlg alg, std::span<const uint8_t> keymat, const AeadEngine& engine);
  ~SaKey();
  SaKey(const SaKey&) = delete;
  SaKey& operator=(const SaKey&) = delete;

  AeadAlg alg() const { return alg_; }

  // Size of the opaque storage for intel-ipsec-mb's struct gcm_key_data
  // (checked against the library's definition in aead_engine.cpp).
  static constexpr size_t kKeyDataSize = 1024;

 private:
  friend class AeadEngine;

  // All fields are written by the constructor only, then read by any number
  // of worker engines until the destructor (called after an RCU grace period
  // by whoever frees the SA).
  uint8_t salt_[kSaltLen];
  AeadAlg alg_;
  uint8_t arch_;  // IMB_ARCH the tables were computed for
  alignas(64) unsigned char key_data_[kKeyDataSize];
};

enum class AeadStatus : uint8_t {
  ok = 0,
  auth_failed,  // decrypt: the ICV does not match (forged or corrupted packet)
  error,        // invalid op (null pointer, length, key of another code path)
};

// One packet. The data plane fills these, one per packet of a burst.
//
// AES-GCM (RFC 4106): nonce = salt || iv; the engine encrypts or decrypts
//   data[0..len) IN PLACE and authenticates aad[0..aad_len) || data.
//   ESP: aad = SPI || seq (8 bytes), or SPI || seq_hi || seq_lo (12 bytes)
//   with ESN, built by the caller in scratch memory; data = payload, padding,
//   pad length and next header (everything between the IV and the ICV).
//
// AES-GMAC (RFC 4543): nothing is encrypted and data is left untouched. The
//   engine authenticates aad[0..aad_len) || data[0..len), which must be ONE
//   contiguous region: aad_len == 0, or aad + aad_len == data (else status
//   error). ESP: aad = the ESP header (SPI || seq) in the packet itself and
//   data = IV, payload, padding, pad length, next header; with ESN the caller
//   makes SPI || seq_hi || seq_lo contiguous in front of the IV (for example
//   by moving the SPI 4 bytes into the headroom and writing seq_hi after it).
//   The tag equals AES-GCM's tag over an empty plaintext with that region as
//   AAD: AESGCM(key).encrypt(nonce, b"", aad || data).
//
// tag (16 bytes): written by encrypt. On decrypt it is the received ICV: the
// engine has intel-ipsec-mb write the computed tag to its own scratch memory
// and compares the two in constant time. On auth_failed the GCM data buffer
// holds the (unauthenticated) decryption: the caller must drop the packet.
struct AeadOp {
  const SaKey* key;
  const uint8_t* iv;   // kIvLen bytes
  const uint8_t* aad;  // may be null when aad_len == 0
  uint8_t* data;       // may be null when len == 0
  uint8_t* tag;        // kTagLen bytes
  uint32_t aad_len;
  uint32_t len;
  AeadStatus status;  // out
};

// Batch engine. One per thread, not thread-safe: it owns an IMB_MGR (job
// queue) and scratch memory. encrypt()/decrypt() process a whole span in
// bursts of up to kBurst jobs per intel-ipsec-mb call; every op gets a status.
class AeadEngine {
 public:
  static constexpr size_t kBurst = 128;  // IMB_MAX_BURST_SIZE

  // Allocates the manager and lets intel-ipsec-mb pick the best code path
  // for this CPU. Throws std::runtime_error if that fails.
  AeadEngine();
  ~AeadEngine();
  AeadEngine(const AeadEngine&) = delete;
  AeadEngine& operator=(const AeadEngine&) = delete;

  void encrypt(std::span<AeadOp> ops);
  void decrypt(std::span<AeadOp> ops);

  // Code path chosen by init_mb_mgr_auto: "sse", "avx", "avx2", "avx512"...
  std::string_view arch_name() const;
  // Arch plus the relevant CPU features, e.g. "avx512 (aesni vaes vpclmulqdq)".
  std::string describe() const;
  uint8_t arch() const { return arch_; }

 private:
  friend class SaKey;

  void run(std::span<AeadOp> ops, bool encrypt);
  void run_burst(std::span<AeadOp> ops, bool encrypt);
  bool op_valid(const AeadOp& op) const;
  void fill_job(IMB_JOB* job, AeadOp& op, uint32_t slot, bool encrypt);
  void finish_job(IMB_JOB* job, bool encrypt);

  IMB_MGR* mgr_ = nullptr;
  uint8_t arch_ = 0;
  // Per-burst scratch: nonce (salt || iv) and computed tag of each job slot.
  alignas(64) uint8_t nonce_[kBurst][16];
  alignas(64) uint8_t tag_[kBurst][kTagLen];
  IMB_JOB* jobs_[kBurst];
  uint16_t slot_op_[kBurst];  // slot -> index of the op in the current burst
};

}  // namespace softwire::crypto
