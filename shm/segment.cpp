#include "shm/segment.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>

namespace softwire::shm {

namespace {

constexpr uint64_t align64(uint64_t v) {
  return (v + 63) & ~uint64_t{63};
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// A data plane is alive when its pid exists and it beat within 2 s.
bool owner_alive(const SegmentHeader& h) {
  if (h.magic.load(std::memory_order_acquire) != kMagic) return false;
  if (h.dp_stopping.load(std::memory_order_acquire) != 0) return false;
  const auto pid = static_cast<pid_t>(h.dp_pid);
  if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) return false;
  const uint64_t beat = h.dp_heartbeat_ns.load(std::memory_order_acquire);
  return monotonic_ns() - beat < 2'000'000'000ull;
}

void init_ring(RingHeader& r, uint32_t records, uint32_t record_size, uint64_t& offset) {
  r.records = records;
  r.record_size = record_size;
  r.offset = offset;
  r.tail.store(0, std::memory_order_relaxed);
  r.head.store(0, std::memory_order_relaxed);
  r.full.store(0, std::memory_order_relaxed);
  offset = align64(offset + uint64_t{records} * record_size);
}

}  // namespace

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

std::string Segment::name_for(const std::string& instance) {
  return kSegmentPrefix + instance;
}

Segment Segment::create(const std::string& instance, const SegmentSizes& sizes,
                        uint64_t generation) {
  if (sizes.workers == 0 || sizes.workers > kMaxWorkers)
    throw std::runtime_error("shared memory: between 1 and 32 workers");
  const std::string name = name_for(instance);
  // Refuse to take over a live data plane's instance.
  try {
    Segment old = attach(instance);
    if (owner_alive(old.header()))
      throw std::runtime_error("instance \"" + instance + "\" is in use by softwire-dp pid " +
                               std::to_string(old.header().dp_pid));
  } catch (const AttachError&) {
    // None, or a foreign/stale one: replaced below.
  }
  shm_unlink(name.c_str());

  uint64_t offset = align64(sizeof(SegmentHeader));
  const uint64_t sa_offset = offset;
  offset = align64(offset + uint64_t{sizes.sa_capacity} * sizeof(SaStats));
  const uint64_t session_offset = offset;
  offset = align64(offset + uint64_t{sizes.session_capacity} * sizeof(SessionStats));
  const uint64_t rings_offset = offset;
  offset += uint64_t{kCommandRingRecords} * kMessageSize;
  offset += uint64_t{kReplyRingRecords} * kMessageSize;
  offset += uint64_t{kInjectRingRecords} * kPacketRecordSize;
  offset += uint64_t{sizes.workers} * kPuntRingRecords * kPacketRecordSize;
  const uint64_t total = align64(offset) + 4096;

  const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) throw std::runtime_error(errno_text("shm_open " + name));
  struct stat st;
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, static_cast<off_t>(total)) != 0 ||
      fstat(fd, &st) != 0) {
    const std::string e = errno_text("shared memory " + name);
    close(fd);
    shm_unlink(name.c_str());
    throw std::runtime_error(e);
  }
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    const std::string e = errno_text("mmap " + name);
    shm_unlink(name.c_str());
    throw std::runtime_error(e);
  }
  auto* base = static_cast<uint8_t*>(p);  // zero-filled by ftruncate
  auto* h = new (base) SegmentHeader();
  h->layout_version = kLayoutVersion;
  h->header_size = sizeof(SegmentHeader);
  h->segment_size = total;
  h->generation = generation;
  h->dp_pid = static_cast<uint64_t>(getpid());
  h->dp_started_ns = realtime_ns();
  h->workers = sizes.workers;
  h->dp_heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  uint64_t ring_offset = rings_offset;
  init_ring(h->commands, kCommandRingRecords, kMessageSize, ring_offset);
  init_ring(h->replies, kReplyRingRecords, kMessageSize, ring_offset);
  init_ring(h->inject, kInjectRingRecords, kPacketRecordSize, ring_offset);
  for (unsigned w = 0; w < sizes.workers; ++w)
    init_ring(h->punt[w], kPuntRingRecords, kPacketRecordSize, ring_offset);
  h->stats.workers = sizes.workers;
  h->stats.sa_capacity = sizes.sa_capacity;
  h->stats.session_capacity = sizes.session_capacity;
  h->stats.sa_offset = sa_offset;
  h->stats.session_offset = session_offset;
  h->magic.store(kMagic, std::memory_order_release);
  return Segment(name, base, total, st.st_dev, st.st_ino);
}

Segment Segment::attach(const std::string& instance) {
  const std::string name = name_for(instance);
  const int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) {
    if (errno == ENOENT)
      throw AttachError(AttachError::Reason::kNoSegment, "no shared memory " + name);
    throw AttachError(AttachError::Reason::kSystem, errno_text("shm_open " + name));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    throw AttachError(AttachError::Reason::kSystem, errno_text("fstat " + name));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < sizeof(SegmentHeader)) {
    close(fd);
    throw AttachError(AttachError::Reason::kNotReady, name + " is not initialised yet");
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) throw AttachError(AttachError::Reason::kSystem, errno_text("mmap " + name));
  Segment segment(name, static_cast<uint8_t*>(p), size, st.st_dev, st.st_ino);
  const SegmentHeader& h = segment.header();
  const uint64_t magic = h.magic.load(std::memory_order_acquire);
  if (magic == 0)
    throw AttachError(AttachError::Reason::kNotReady, name + " is not initialised yet");
  if (magic != kMagic) throw AttachError(AttachError::Reason::kBadMagic, name + ": bad magic");
  if (h.layout_version != kLayoutVersion || h.header_size != sizeof(SegmentHeader))
    throw AttachError(AttachError::Reason::kVersionMismatch,
                      name + ": layout version " + std::to_string(h.layout_version) +
                          ", this program speaks " + std::to_string(kLayoutVersion));
  if (h.segment_size > size)
    throw AttachError(AttachError::Reason::kTooSmall, name + ": truncated segment");
  return segment;
}

Segment::Segment(Segment&& o) noexcept
    : name_(std::move(o.name_)), base_(o.base_), size_(o.size_), dev_(o.dev_), inode_(o.inode_) {
  o.base_ = nullptr;
}

Segment& Segment::operator=(Segment&& o) noexcept {
  if (this != &o) {
    if (base_ != nullptr) munmap(base_, size_);
    name_ = std::move(o.name_);
    base_ = o.base_;
    size_ = o.size_;
    dev_ = o.dev_;
    inode_ = o.inode_;
    o.base_ = nullptr;
  }
  return *this;
}

Segment::~Segment() {
  if (base_ != nullptr) munmap(base_, size_);
}

bool Segment::replaced() const {
  const int fd = shm_open(name_.c_str(), O_RDONLY, 0);
  if (fd < 0) return true;
  struct stat st;
  const bool same = fstat(fd, &st) == 0 && st.st_dev == dev_ && st.st_ino == inode_;
  close(fd);
  return !same;
}

void Segment::unlink() {
  header().dp_stopping.store(1, std::memory_order_release);
  if (!replaced()) shm_unlink(name_.c_str());
}

bool read_stats(const Segment& segment, StatsSnapshot& out, StatsTables tables, int attempts) {
  const SegmentHeader& h = segment.header();
  for (int i = 0; i < attempts; ++i) {
    const uint64_t before = h.stats_epoch.load(std::memory_order_acquire);
    if (before & 1) {
      sched_yield();
      continue;
    }
    std::memcpy(&out.header, &h.stats, sizeof(StatsHeader));
    if (tables != StatsTables::kNone) {
      const uint32_t sas = std::min<uint32_t>(out.header.sa_capacity, h.stats.sa_capacity);
      out.sas.resize(sas);
      std::memcpy(out.sas.data(), segment.sa_stats(), sas * sizeof(SaStats));
    }
    if (tables == StatsTables::kAll) {
      const uint32_t sessions =
          std::min<uint32_t>(out.header.session_capacity, h.stats.session_capacity);
      out.sessions.resize(sessions);
      std::memcpy(out.sessions.data(), segment.session_stats(), sessions * sizeof(SessionStats));
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (h.stats_epoch.load(std::memory_order_relaxed) == before) {
      out.generation = h.generation;
      return true;
    }
  }
  return false;
}

void begin_stats_update(const Segment& segment) {
  auto& epoch = segment.header().stats_epoch;
  epoch.store(epoch.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
}

void end_stats_update(const Segment& segment) {
  auto& epoch = segment.header().stats_epoch;
  epoch.store(epoch.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

}  // namespace softwire::shm
