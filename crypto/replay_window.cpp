#include "crypto/replay_window.h"

#include <bit>
#include <stdexcept>

namespace softwire::crypto {

bool ReplayWindow::valid_size(uint32_t size) {
  return size == 0 || (size >= kMinSize && size <= kMaxSize && std::has_single_bit(size));
}

ReplayWindow::ReplayWindow(uint32_t size, bool esn) : size_(size), esn_(esn) {
  if (!valid_size(size)) {
    throw std::invalid_argument("replay window: size must be 0 or a power of two in [64, 4096]");
  }
  if (size != 0) {
    const uint32_t words = std::bit_ceil(size / 64 + 1);
    word_mask_ = words - 1;
    bits_ = std::make_unique<uint64_t[]>(words);  // zeroed
  }
}

// RFC 4303 Appendix A2.2: choose the high 32 bits so that the number lies in
// the window (or above it), with T the highest number received and W the
// window size. Without anti-replay there is no window: take the number
// closest to T (a window of 2^31 either side).
uint64_t ReplayWindow::infer(uint32_t seq_lo, bool& valid) const noexcept {
  valid = true;
  if (!esn_) return seq_lo;
  const uint32_t tl = static_cast<uint32_t>(top_);
  const uint32_t th = static_cast<uint32_t>(top_ >> 32);
  uint32_t sh = th;
  if (size_ == 0) {
    const auto delta = static_cast<int32_t>(seq_lo - tl);  // mod 2^32, signed
    if (delta < 0 && top_ < static_cast<uint64_t>(-static_cast<int64_t>(delta))) {
      valid = false;  // would be below 0
      return seq_lo;
    }
    return top_ + static_cast<int64_t>(delta);
  }
  const uint32_t w = size_;
  if (tl >= w - 1) {
    // Case A: the window lies within one 2^32 subspace.
    if (seq_lo < tl - w + 1) {
      // Below the window: a number of the next subspace.
      if (th == UINT32_MAX) {
        valid = false;  // 2^64 numbers used up
        return seq_lo;
      }
      sh = th + 1;
    }
  } else {
    // Case B: the window spans two subspaces (tl - w + 1 wraps below 0).
    if (seq_lo >= tl - w + 1) {  // unsigned arithmetic: mod 2^32
      // In the part of the window in the previous subspace.
      if (th == 0) {
        valid = false;  // no previous subspace
        return seq_lo;
      }
      sh = th - 1;
    }
  }
  return (uint64_t{sh} << 32) | seq_lo;
}

ReplayWindow::Verdict ReplayWindow::verdict(uint64_t seq) const noexcept {
  if (seq == 0) return Verdict::too_old;  // never sent (RFC 4303 §3.3.3)
  if (size_ == 0) return Verdict::ok;
  if (seq > top_) return Verdict::ok;
  if (top_ - seq >= size_) return Verdict::too_old;
  const uint64_t bit = uint64_t{1} << (seq & 63);
  return (bits_[(seq >> 6) & word_mask_] & bit) != 0 ? Verdict::duplicate : Verdict::ok;
}

ReplayWindow::Check ReplayWindow::check(uint32_t seq_lo) const noexcept {
  bool valid = true;
  const uint64_t seq = infer(seq_lo, valid);
  if (!valid) return {Verdict::too_old, seq};
  return {verdict(seq), seq};
}

void ReplayWindow::start_after(uint64_t highest) noexcept {
  top_ = highest;
  if (size_ == 0 || highest == 0) return;
  // Every word but the top's holds numbers below the top only; in the top's
  // word, the bits up to the top.
  for (uint32_t i = 0; i <= word_mask_; ++i) bits_[i] = ~uint64_t{0};
  const unsigned top_bit = static_cast<unsigned>(highest & 63);
  bits_[(highest >> 6) & word_mask_] =
      top_bit == 63 ? ~uint64_t{0} : (uint64_t{1} << (top_bit + 1)) - 1;
}

ReplayWindow::Verdict ReplayWindow::update(uint64_t seq) noexcept {
  // Without ESN only 32-bit numbers exist (the counter must not wrap).
  if (!esn_ && seq > UINT32_MAX) return Verdict::too_old;
  const Verdict v = verdict(seq);
  if (v != Verdict::ok) return v;
  if (size_ == 0) {
    if (seq > top_) top_ = seq;
    return Verdict::ok;
  }
  if (seq > top_) {
    // Slide: clear the words between the old top's word and the new one
    // (they hold bits of numbers one ring turn ago), at most the whole ring.
    const uint64_t old_word = top_ >> 6;
    const uint64_t new_word = seq >> 6;
    uint64_t clear = new_word - old_word;
    if (clear > uint64_t{word_mask_} + 1) clear = uint64_t{word_mask_} + 1;
    for (uint64_t i = 1; i <= clear; ++i) bits_[(old_word + i) & word_mask_] = 0;
    top_ = seq;
  }
  bits_[(seq >> 6) & word_mask_] |= uint64_t{1} << (seq & 63);
  return Verdict::ok;
}

}  // namespace softwire::crypto
