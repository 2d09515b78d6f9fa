// Anti-replay window: RFC 4303 §3.4.3 and Appendix A (ESN inference).
#include "crypto/replay_window.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

namespace softwire::crypto {
namespace {

using V = ReplayWindow::Verdict;

// The receive path: pre-check, (authentication), update.
V receive(ReplayWindow& w, uint32_t seq_lo) {
  const auto c = w.check(seq_lo);
  if (c.verdict != V::ok) return c.verdict;
  return w.update(c.seq);
}

TEST(ReplayWindow, Sizes) {
  for (uint32_t s : {0u, 64u, 128u, 1024u, 4096u}) EXPECT_NO_THROW(ReplayWindow(s, false)) << s;
  for (uint32_t s : {1u, 32u, 63u, 65u, 100u, 8192u}) {
    EXPECT_THROW(ReplayWindow(s, false), std::invalid_argument) << s;
  }
}

TEST(ReplayWindow, InOrder) {
  ReplayWindow w(64, false);
  for (uint32_t s = 1; s <= 1000; ++s) ASSERT_EQ(receive(w, s), V::ok) << s;
  EXPECT_EQ(w.highest(), 1000u);
}

TEST(ReplayWindow, ReorderedInsideWindow) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 100), V::ok);
  for (uint32_t s = 99; s >= 37; --s) ASSERT_EQ(receive(w, s), V::ok) << s;  // 100-63..99
  EXPECT_EQ(receive(w, 36), V::too_old);  // 100 - 64: just left of the window
  EXPECT_EQ(receive(w, 101), V::ok);
  EXPECT_EQ(receive(w, 37), V::too_old);  // the window moved
  EXPECT_EQ(receive(w, 38), V::duplicate);
  EXPECT_EQ(w.highest(), 101u);
}

TEST(ReplayWindow, TooOldAndDuplicates) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 5), V::ok);
  EXPECT_EQ(receive(w, 5), V::duplicate);
  EXPECT_EQ(receive(w, 1000), V::ok);
  EXPECT_EQ(receive(w, 5), V::too_old);
  EXPECT_EQ(receive(w, 1000), V::duplicate);
  EXPECT_EQ(receive(w, 999), V::ok);
  EXPECT_EQ(receive(w, 999), V::duplicate);
  EXPECT_EQ(receive(w, 937), V::ok);  // 1000 - 63
  EXPECT_EQ(receive(w, 936), V::too_old);
}

// A restarted data plane resumes an SA above the last accepted number.
TEST(ReplayWindow, StartAfter) {
  for (const uint64_t top : {uint64_t{1000}, uint64_t{1023}, uint64_t{1024}, uint64_t{130}}) {
    ReplayWindow w(128, false);
    w.start_after(top);
    EXPECT_EQ(w.highest(), top);
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top)), V::duplicate) << top;
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top - 1)), V::duplicate) << top;
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top - 127)), V::duplicate) << top;
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top + 3)), V::ok) << top;
    // Skipped over, not seen: still acceptable once the top moved past them.
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top + 1)), V::ok) << top;
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top + 2)), V::ok) << top;
    EXPECT_EQ(receive(w, static_cast<uint32_t>(top)), V::duplicate) << top;
  }
  ReplayWindow fresh(64, false);
  fresh.start_after(0);  // none seen yet
  EXPECT_EQ(receive(fresh, 1), V::ok);
  ReplayWindow esn(64, true);
  esn.start_after((uint64_t{3} << 32) | 5);
  EXPECT_EQ(esn.check(6).seq, (uint64_t{3} << 32) | 6);  // the high half is inferred from it
}

TEST(ReplayWindow, CheckIsReadOnly) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 10), V::ok);
  for (int i = 0; i < 3; ++i) {
    const auto c = w.check(500);
    EXPECT_EQ(c.verdict, V::ok);
    EXPECT_EQ(c.seq, 500u);
  }
  EXPECT_EQ(w.highest(), 10u);
  EXPECT_EQ(w.check(10).verdict, V::duplicate);
}

// Two packets of one burst with the same number: both pass the pre-check,
// both authenticate (a replayed copy does), the second update() refuses.
TEST(ReplayWindow, DuplicateInsideOneBurst) {
  for (bool esn : {false, true}) {
    ReplayWindow w(64, esn);
    EXPECT_EQ(receive(w, 1), V::ok);
    const auto a = w.check(7), b = w.check(7), c = w.check(3);
    ASSERT_EQ(a.verdict, V::ok);
    ASSERT_EQ(b.verdict, V::ok);
    ASSERT_EQ(c.verdict, V::ok);
    EXPECT_EQ(w.update(a.seq), V::ok);
    EXPECT_EQ(w.update(b.seq), V::duplicate);
    EXPECT_EQ(w.update(c.seq), V::ok);
  }
}

// A burst that moves the window far: an earlier pre-checked packet becomes
// too old by the time it is updated.
TEST(ReplayWindow, UpdateRechecksTooOld) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 100), V::ok);
  const auto old = w.check(50), far = w.check(1000);
  ASSERT_EQ(old.verdict, V::ok);
  ASSERT_EQ(far.verdict, V::ok);
  EXPECT_EQ(w.update(far.seq), V::ok);
  EXPECT_EQ(w.update(old.seq), V::too_old);
}

// A forged packet passes the pre-check but fails authentication: no update,
// so neither the window nor the highest number moves.
TEST(ReplayWindow, ForgedPacketDoesNotAdvance) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 10), V::ok);
  const auto forged = w.check(0x7fffffff);
  EXPECT_EQ(forged.verdict, V::ok);
  // ... ICV check fails: the caller drops it without update().
  EXPECT_EQ(w.highest(), 10u);
  EXPECT_EQ(receive(w, 11), V::ok);
  EXPECT_EQ(receive(w, 9), V::ok);  // still inside the window
}

TEST(ReplayWindow, Size4096) {
  ReplayWindow w(4096, false);
  EXPECT_EQ(receive(w, 10000), V::ok);
  EXPECT_EQ(receive(w, 10000 - 4095), V::ok);
  EXPECT_EQ(receive(w, 10000 - 4096), V::too_old);
  for (uint32_t s = 10000 - 4094; s < 10000; s += 3) ASSERT_EQ(receive(w, s), V::ok) << s;
  for (uint32_t s = 10000 - 4094; s < 10000; s += 3) ASSERT_EQ(receive(w, s), V::duplicate) << s;
  EXPECT_EQ(receive(w, 10001), V::ok);
  EXPECT_EQ(receive(w, 10000 - 4095), V::too_old);
}

// Sliding by less than, exactly and more than the ring clears the right
// words: numbers newly inside the window are never reported as duplicates.
TEST(ReplayWindow, SlidingClearsStaleBits) {
  for (uint32_t size : {64u, 128u, 1024u, 4096u}) {
    ReplayWindow w(size, false);
    uint32_t top = 0;
    for (uint32_t step :
         {1u, 63u, 64u, 65u, 127u, 128u, 129u, size - 1, size, size + 1, 2 * size, 3 * size + 17}) {
      // Fill the whole window, then jump.
      for (uint32_t s = top > size ? top - size + 1 : 1; s <= top; ++s) {
        const V v = receive(w, s);
        ASSERT_TRUE(v == V::ok || v == V::duplicate);
      }
      top += step;
      ASSERT_EQ(receive(w, top), V::ok) << size << " step " << step;
      for (uint32_t s = top > size ? top - size + 1 : 1; s < top; ++s) {
        const bool was_received = s + step <= top;  // at or below the old top
        const V v = w.check(s).verdict;
        if (!was_received) {
          ASSERT_EQ(v, V::ok) << size << " step " << step << " seq " << s;
        }
      }
    }
  }
}

TEST(ReplayWindow, Disabled) {
  ReplayWindow w(0, false);
  EXPECT_EQ(receive(w, 100), V::ok);
  EXPECT_EQ(receive(w, 100), V::ok);  // no replay protection
  EXPECT_EQ(receive(w, 1), V::ok);
  EXPECT_EQ(receive(w, 0), V::too_old);  // 0 is never sent
  EXPECT_EQ(w.highest(), 100u);          // still tracked
}

TEST(ReplayWindow, DisabledStillInfersEsn) {
  ReplayWindow w(0, true);
  EXPECT_EQ(receive(w, 0xfffffff0u), V::too_old);  // would be below 0
  EXPECT_EQ(receive(w, 5), V::ok);
  ASSERT_EQ(w.update(0xfffffff0u), V::ok);
  EXPECT_EQ(w.highest(), 0xfffffff0u);
  EXPECT_EQ(w.check(0x10).seq, 0x100000010ull);        // just past 2^32
  EXPECT_EQ(w.check(0xffff0000u).seq, 0xffff0000ull);  // a bit behind
  ASSERT_EQ(receive(w, 0x10), V::ok);
  EXPECT_EQ(w.highest(), 0x100000010ull);
  EXPECT_EQ(w.check(0xfffffff0u).seq, 0xfffffff0ull);  // back in the old subspace
}

TEST(ReplayWindow, NoEsnZeroAndWrapRejected) {
  ReplayWindow w(64, false);
  EXPECT_EQ(receive(w, 0), V::too_old);
  EXPECT_EQ(receive(w, 0xffffffffu), V::ok);
  // The 32-bit counter does not wrap: low numbers are old, not a new cycle.
  EXPECT_EQ(receive(w, 0), V::too_old);
  EXPECT_EQ(receive(w, 1), V::too_old);
  EXPECT_EQ(receive(w, 0xffffffffu), V::duplicate);
  EXPECT_EQ(receive(w, 0xffffffffu - 63), V::ok);
  EXPECT_EQ(w.update(0x100000000ull), V::too_old);  // not a 32-bit number
}

// RFC 4303 Appendix A2.2. T = highest received, W = window.
TEST(ReplayWindow, EsnCaseAWindowInOneSubspace) {
  ReplayWindow w(64, true);
  ASSERT_EQ(w.update(0x00000005'00001000ull), V::ok);  // Th = 5, Tl = 0x1000 >= W - 1
  // Inside or above the window: same subspace.
  EXPECT_EQ(w.check(0x1000 - 63).seq, 0x00000005'00000fc1ull);
  EXPECT_EQ(w.check(0x1001).seq, 0x00000005'00001001ull);
  EXPECT_EQ(w.check(0xffffffffu).seq, 0x00000005'ffffffffull);
  // Below the window: the next subspace (+1), which is ahead of T.
  const auto c = w.check(0x10);
  EXPECT_EQ(c.seq, 0x00000006'00000010ull);
  EXPECT_EQ(c.verdict, V::ok);
}

TEST(ReplayWindow, EsnCaseBWindowSpansTwoSubspaces) {
  ReplayWindow w(64, true);
  ASSERT_EQ(w.update(0x00000005'fffffff0ull), V::ok);
  ASSERT_EQ(w.update(0x00000006'00000010ull), V::ok);  // Th = 6, Tl = 0x10 < W - 1
  // Numbers at or above Tl - W + 1 (mod 2^32) belong to the previous subspace (-1).
  auto c = w.check(0xffffffe0u);
  EXPECT_EQ(c.seq, 0x00000005'ffffffe0ull);
  EXPECT_EQ(c.verdict, V::ok);
  c = w.check(0xfffffff0u);
  EXPECT_EQ(c.seq, 0x00000005'fffffff0ull);
  EXPECT_EQ(c.verdict, V::duplicate);
  c = w.check(0xffffffd1u);  // 2^32 + 0x10 - 63: the window's left edge
  EXPECT_EQ(c.seq, 0x00000005'ffffffd1ull);
  EXPECT_EQ(c.verdict, V::ok);
  // Small numbers: this subspace.
  EXPECT_EQ(w.check(0x5).seq, 0x00000006'00000005ull);
  EXPECT_EQ(w.check(0x11).seq, 0x00000006'00000011ull);
  // Far ahead but still below Tl - W + 1 mod 2^32: this subspace, ahead.
  EXPECT_EQ(w.check(0x80000000u).seq, 0x00000006'80000000ull);
}

// Walk across the 2^32 boundary with reordering, as a receiver would.
TEST(ReplayWindow, EsnAcrossTheBoundary) {
  for (uint32_t size : {64u, 1024u}) {
    ReplayWindow w(size, true);
    ASSERT_EQ(w.update(0xffffff00ull), V::ok);
    uint64_t expect_top = 0xffffff00ull;
    // Send 0xffffff01 .. 0x1'000000ff, delivered with pairs swapped.
    for (uint64_t s = 0xffffff01ull; s < 0x1000000ffull; s += 2) {
      for (uint64_t t : {s + 1, s}) {
        const auto c = w.check(static_cast<uint32_t>(t));
        ASSERT_EQ(c.seq, t) << std::hex << t;
        ASSERT_EQ(c.verdict, V::ok) << std::hex << t;
        ASSERT_EQ(w.update(c.seq), V::ok);
        if (t > expect_top) expect_top = t;
      }
    }
    EXPECT_EQ(w.highest(), expect_top);
    // 0xfffffffe again: with W = 1024 the window still reaches back into the
    // previous subspace (case B), so it is that old number, a duplicate. With
    // W = 64 it does not (case A): the number is read as 2^33 - 2, ahead of T.
    const auto again = w.check(0xfffffffeu);
    if (size == 1024) {
      EXPECT_EQ(again.seq, 0xfffffffeull);
      EXPECT_EQ(again.verdict, V::duplicate);
    } else {
      EXPECT_EQ(again.seq, 0x1'fffffffeull);
      EXPECT_EQ(again.verdict, V::ok);
    }
  }
}

TEST(ReplayWindow, EsnStartOfSa) {
  ReplayWindow w(64, true);
  // Th = 0 and Tl = 0 < W - 1: high numbers would be in subspace -1.
  EXPECT_EQ(w.check(0xfffffff0u).verdict, V::too_old);
  EXPECT_EQ(w.check(0).verdict, V::too_old);
  const auto c = w.check(1);
  EXPECT_EQ(c.seq, 1u);
  EXPECT_EQ(c.verdict, V::ok);
}

}  // namespace
}  // namespace softwire::crypto
