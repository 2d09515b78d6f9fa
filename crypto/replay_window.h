// ESP anti-replay window (RFC 4303 §3.4.3) with ESN inference (RFC 4303
// Appendix A), as a bitmap of 64-bit words in the style of RFC 6479.
#pragma once

#include <cstdint>
#include <memory>

namespace softwire::crypto {

// Threading: a window belongs to the inbound SA's owner worker, which is the
// only thread that calls check() and update() and the only one that reads
// or writes any field. Nothing here is atomic; other threads (statistics,
// control) must ask the owner.
//
// Use, per burst:
//   1. check(seq_lo) before decryption (read only): drops replays early and
//      gives the 64-bit sequence number for the AAD (SPI || seq_hi || seq_lo).
//   2. decrypt the whole burst.
//   3. update(seq) only for packets whose ICV verified. update() checks
//      again, so when two packets of one burst carry the same number and both
//      passed step 1, the second update() reports duplicate and the caller
//      drops it. A forged packet never reaches update() and changes nothing.
class ReplayWindow {
 public:
  enum class Verdict : uint8_t {
    ok,
    too_old,    // left of the window; also sequence number 0 and, without
                // ESN, anything once the 32-bit space is used up (no wrap)
    duplicate,  // inside the window, already received
  };

  struct Check {
    Verdict verdict;
    uint64_t seq;  // inferred 64-bit number (ESN) or seq_lo (no ESN)
  };

  static constexpr uint32_t kMinSize = 64;
  static constexpr uint32_t kMaxSize = 4096;

  // size: 0 (anti-replay disabled: every number is accepted, the highest one
  // is still tracked so that ESN can be inferred) or a power of two in
  // [64, 4096]. Throws std::invalid_argument otherwise.
  ReplayWindow(uint32_t size, bool esn);

  static bool valid_size(uint32_t size);

  // Read-only pre-check of a received 32-bit sequence number.
  Check check(uint32_t seq_lo) const noexcept;

  // Marks seq (as returned by check()) received and slides the window if seq
  // is the new highest. Re-checks first: returns too_old or duplicate, and
  // changes nothing, if seq may not be accepted any more.
  Verdict update(uint64_t seq) noexcept;

  // A window that has already seen every number up to `highest` (an SA
  // re-installed after a data-plane restart, SaRecord::initial_seq): those
  // read as duplicate or too old, everything above as new. Before first use.
  void start_after(uint64_t highest) noexcept;

  // Highest authenticated sequence number so far (0: none yet).
  uint64_t highest() const noexcept { return top_; }
  uint32_t size() const noexcept { return size_; }
  bool esn() const noexcept { return esn_; }

 private:
  uint64_t infer(uint32_t seq_lo, bool& valid) const noexcept;
  Verdict verdict(uint64_t seq) const noexcept;

  // Ring of 64-bit words, a power of two of them and at least size/64 + 1:
  // the extra word lets the window slide by clearing whole words, never by
  // shifting the bitmap. Bit (seq % 64) of word (seq / 64) % words.
  std::unique_ptr<uint64_t[]> bits_;
  uint64_t top_ = 0;        // highest accepted sequence number
  uint32_t size_ = 0;       // window size in packets, 0 = disabled
  uint32_t word_mask_ = 0;  // words - 1
  bool esn_ = false;
};

}  // namespace softwire::crypto
