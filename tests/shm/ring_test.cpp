// The control channel's rings and segment: wrap-around, a full ring, a
// producer killed mid-write, consumers restarting, and attach refusing a
// segment of another layout version, a bad magic or one not initialised yet.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "shm/segment.h"

namespace softwire::shm {
namespace {

std::string unique_instance(const char* what) {
  return std::string("ringtest-") + what + "-" + std::to_string(getpid());
}

// Creates a segment and removes its name at the end of the test.
struct TestSegment {
  explicit TestSegment(const char* what, uint64_t generation = 7)
      : instance(unique_instance(what)),
        segment(Segment::create(instance, SegmentSizes{2, 16, 16}, generation)) {}
  ~TestSegment() { shm_unlink(Segment::name_for(instance).c_str()); }
  std::string instance;
  Segment segment;
};

Message command(uint64_t id) {
  Message m{};
  m.type = MessageType::kSaDelete;
  m.request_id = id;
  m.body.sa_key.spi = static_cast<uint32_t>(id);
  return m;
}

TEST(Segment, IsCreatedWithMode0600AndTheHeaderFilledIn) {
  TestSegment t("mode");
  struct stat st;
  ASSERT_EQ(stat(("/dev/shm" + Segment::name_for(t.instance)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const SegmentHeader& h = t.segment.header();
  EXPECT_EQ(h.magic.load(), kMagic);
  EXPECT_EQ(h.layout_version, kLayoutVersion);
  EXPECT_EQ(h.generation, 7u);
  EXPECT_EQ(h.dp_pid, static_cast<uint64_t>(getpid()));
  EXPECT_EQ(h.workers, 2u);
  EXPECT_EQ(t.segment.commands().records(), kCommandRingRecords);
  EXPECT_EQ(t.segment.punt(1).record_size(), kPacketRecordSize);
  EXPECT_EQ(h.stats.sa_capacity, 16u);
  // Rings and stats arrays lie inside the segment and do not overlap.
  std::vector<std::pair<uint64_t, uint64_t>> areas = {
      {h.stats.sa_offset, 16 * sizeof(SaStats)},
      {h.stats.session_offset, 16 * sizeof(SessionStats)},
      {h.commands.offset, uint64_t{kCommandRingRecords} * kMessageSize},
      {h.replies.offset, uint64_t{kReplyRingRecords} * kMessageSize},
      {h.inject.offset, uint64_t{kInjectRingRecords} * kPacketRecordSize},
      {h.punt[0].offset, uint64_t{kPuntRingRecords} * kPacketRecordSize},
      {h.punt[1].offset, uint64_t{kPuntRingRecords} * kPacketRecordSize}};
  for (size_t i = 0; i < areas.size(); ++i) {
    EXPECT_GE(areas[i].first, sizeof(SegmentHeader));
    EXPECT_LE(areas[i].first + areas[i].second, t.segment.size());
    for (size_t j = i + 1; j < areas.size(); ++j)
      EXPECT_TRUE(areas[i].first + areas[i].second <= areas[j].first ||
                  areas[j].first + areas[j].second <= areas[i].first)
          << i << " overlaps " << j;
  }
}

TEST(Ring, KeepsOrderAcrossManyWrapArounds) {
  TestSegment t("wrap");
  const Segment cp = Segment::attach(t.instance);  // a second mapping, as in another process
  const RingView producer = cp.commands();
  const RingView consumer = t.segment.commands();
  uint64_t sent = 0, received = 0, refused = 0;
  // 3.5 times round the ring, in uneven batches.
  while (received < kCommandRingRecords * 7 / 2) {
    for (int k = 0; k < 37; ++k) {
      const Message m = command(sent);
      if (!producer.push(&m, sizeof m)) {
        ++refused;
        break;
      }
      ++sent;
    }
    for (int k = 0; k < 23; ++k) {
      const uint8_t* slot = consumer.peek();
      if (slot == nullptr) break;
      Message m;
      std::memcpy(&m, slot, sizeof m);
      ASSERT_EQ(m.request_id, received);
      consumer.pop();
      ++received;
    }
    ASSERT_EQ(producer.depth(), sent - received);
  }
  // The producer outpaces the consumer, so the ring filled up many times.
  EXPECT_GT(refused, 0u);
  EXPECT_EQ(producer.full_count(), refused);
}

TEST(Ring, FullRingRefusesAndCountsWithoutOverwriting) {
  TestSegment t("full");
  const RingView ring = t.segment.inject();
  PacketRecord r{};
  for (uint32_t i = 0; i < kInjectRingRecords; ++i) {
    r.length = static_cast<uint16_t>(i);
    ASSERT_TRUE(ring.push(&r, sizeof r)) << i;
  }
  EXPECT_EQ(ring.reserve(), nullptr);
  r.length = 0xffff;
  EXPECT_FALSE(ring.push(&r, sizeof r));
  EXPECT_FALSE(ring.push(&r, sizeof r));
  EXPECT_EQ(ring.full_count(), 2u);
  EXPECT_EQ(ring.depth(), kInjectRingRecords);
  // The oldest record is intact; after one pop there is room for one more.
  PacketRecord first;
  std::memcpy(&first, ring.peek(), sizeof first);
  EXPECT_EQ(first.length, 0);
  ring.pop();
  EXPECT_TRUE(ring.push(&r, sizeof r));
  EXPECT_EQ(ring.reserve(), nullptr);
}

TEST(Ring, EmptyRingPeeksNothing) {
  TestSegment t("empty");
  EXPECT_EQ(t.segment.replies().peek(), nullptr);
  EXPECT_EQ(t.segment.replies().depth(), 0u);
}

// A producer process killed after writing a slot but before publishing it
// leaves nothing visible, and the next producer continues from `tail`.
TEST(Ring, ProducerKilledMidWriteLeavesNothingBehind) {
  TestSegment t("killed");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const Segment cp = Segment::attach(t.instance);
    const Message done = command(1);
    cp.commands().push(&done, sizeof done);  // one complete record
    uint8_t* slot = cp.commands().reserve();
    std::memset(slot, 0xab, kMessageSize / 2);  // half a record, never published
    raise(SIGKILL);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  const RingView ring = t.segment.commands();
  ASSERT_EQ(ring.depth(), 1u);
  Message m;
  std::memcpy(&m, ring.peek(), sizeof m);
  EXPECT_EQ(m.request_id, 1u);
  ring.pop();
  EXPECT_EQ(ring.peek(), nullptr);

  // The replacement producer overwrites the torn slot with a whole record.
  const Segment cp = Segment::attach(t.instance);
  const Message next = command(2);
  ASSERT_TRUE(cp.commands().push(&next, sizeof next));
  std::memcpy(&m, ring.peek(), sizeof m);
  EXPECT_EQ(m.request_id, 2u);
  EXPECT_EQ(m.type, MessageType::kSaDelete);
}

TEST(Ring, RestartedConsumerCanDiscardItsPredecessorsRecords) {
  TestSegment t("discard");
  const RingView ring = t.segment.replies();
  for (uint64_t i = 0; i < 10; ++i) {
    const Message m = command(i);
    ring.push(&m, sizeof m);
  }
  const Segment cp = Segment::attach(t.instance);
  cp.replies().discard_all();
  EXPECT_EQ(cp.replies().peek(), nullptr);
  const Message m = command(42);
  ring.push(&m, sizeof m);
  Message got;
  std::memcpy(&got, cp.replies().peek(), sizeof got);
  EXPECT_EQ(got.request_id, 42u);
}

TEST(Ring, CorruptTailReadsAsEmptyAndInsane) {
  TestSegment t("corrupt");
  t.segment.header().commands.tail.store(kCommandRingRecords + 5);
  EXPECT_FALSE(t.segment.commands().sane());
  EXPECT_EQ(t.segment.commands().peek(), nullptr);
  EXPECT_EQ(t.segment.commands().depth(), 0u);
}

TEST(Ring, SpscAcrossThreadsDeliversEveryRecordOnce) {
  TestSegment t("threads");
  const RingView ring = t.segment.replies();
  constexpr uint64_t kCount = 200000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kCount;) {
      uint8_t* slot = ring.reserve();
      if (slot == nullptr) {
        std::this_thread::yield();
        continue;
      }
      const Message m = command(i);
      std::memcpy(slot, &m, sizeof m);
      ring.publish();
      ++i;
    }
  });
  uint64_t expected = 0;
  while (expected < kCount) {
    const uint8_t* slot = ring.peek();
    if (slot == nullptr) {
      std::this_thread::yield();
      continue;
    }
    Message m;
    std::memcpy(&m, slot, sizeof m);
    ASSERT_EQ(m.request_id, expected);
    ASSERT_EQ(m.body.sa_key.spi, static_cast<uint32_t>(expected));
    ring.pop();
    ++expected;
  }
  producer.join();
}

TEST(Attach, RefusesMissingSegment) {
  try {
    Segment::attach(unique_instance("absent"));
    FAIL() << "attached to nothing";
  } catch (const AttachError& e) {
    EXPECT_EQ(e.reason, AttachError::Reason::kNoSegment);
  }
}

TEST(Attach, RefusesOtherLayoutVersion) {
  TestSegment t("version");
  t.segment.header().layout_version = kLayoutVersion + 1;
  try {
    Segment::attach(t.instance);
    FAIL() << "attached to another layout version";
  } catch (const AttachError& e) {
    EXPECT_EQ(e.reason, AttachError::Reason::kVersionMismatch);
    EXPECT_NE(std::string(e.what()).find("layout version"), std::string::npos);
  }
}

TEST(Attach, RefusesBadMagicAndUninitialisedSegments) {
  TestSegment t("magic");
  t.segment.header().magic.store(0x1234);
  try {
    Segment::attach(t.instance);
    FAIL();
  } catch (const AttachError& e) {
    EXPECT_EQ(e.reason, AttachError::Reason::kBadMagic);
  }
  t.segment.header().magic.store(0);  // creation in progress
  try {
    Segment::attach(t.instance);
    FAIL();
  } catch (const AttachError& e) {
    EXPECT_EQ(e.reason, AttachError::Reason::kNotReady);
  }
}

// A restarted data plane has a new generation; the old mapping notices that
// the name now refers to another segment.
TEST(Generation, RestartIsVisibleToAnAttachedPeer) {
  const std::string instance = unique_instance("generation");
  Segment first = Segment::create(instance, SegmentSizes{1, 4, 4}, 100);
  const Segment cp = Segment::attach(instance);
  EXPECT_FALSE(cp.replaced());
  EXPECT_EQ(cp.header().generation, 100u);
  // A live data plane keeps its instance...
  first.header().dp_heartbeat_ns.store(monotonic_ns());
  EXPECT_THROW(Segment::create(instance, SegmentSizes{1, 4, 4}, 101), std::runtime_error);
  // ...a dead one (it stopped beating) does not.
  first.header().dp_heartbeat_ns.store(monotonic_ns() - 3'000'000'000ull);
  const Segment second = Segment::create(instance, SegmentSizes{1, 4, 4}, 101);
  EXPECT_TRUE(cp.replaced());
  EXPECT_EQ(cp.header().generation, 100u);  // the old mapping still reads the old segment
  EXPECT_EQ(Segment::attach(instance).header().generation, 101u);
  shm_unlink(Segment::name_for(instance).c_str());
  EXPECT_TRUE(cp.replaced());
}

TEST(Stats, ReaderNeverSeesAHalfWrittenSnapshot) {
  TestSegment t("stats");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t v = 1; !stop.load(); ++v) {
      begin_stats_update(t.segment);
      t.segment.header().stats.snapshots = v;
      t.segment.header().stats.mempool_in_use = v;
      for (uint32_t i = 0; i < 16; ++i) t.segment.sa_stats()[i].packets = v;
      end_stats_update(t.segment);
      // The data plane publishes every 100 ms; a much faster writer keeps
      // the test meaningful without starving the reader forever.
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  const Segment cp = Segment::attach(t.instance);
  // read_stats() may fail when the writer is descheduled in the middle of an
  // update for longer than all of the reader's retries (a loaded machine):
  // allowed, the caller reads again later. Read until 2000 reads succeeded
  // (bounded, so that a reader that never succeeds fails instead of hanging).
  uint64_t last = 0;
  int reads = 0;
  for (int attempt = 0; reads < 2000 && attempt < 20000; ++attempt) {
    StatsSnapshot s;
    if (!read_stats(cp, s)) continue;
    ++reads;
    EXPECT_EQ(s.header.mempool_in_use, s.header.snapshots);
    EXPECT_EQ(s.sas.size(), 16u);
    for (const SaStats& sa : s.sas) EXPECT_EQ(sa.packets, s.header.snapshots);
    EXPECT_GE(s.header.snapshots, last);
    last = s.header.snapshots;
    EXPECT_EQ(s.generation, 7u);
    if (::testing::Test::HasFailure()) break;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(reads, 2000);
}

}  // namespace
}  // namespace softwire::shm
