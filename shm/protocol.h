// The control channel between softwire-dp and softwire-cp: the layout of the
// POSIX shared-memory segment `/softwire-<instance>`. This is the one header
// that both dataplane/ and control/ include; it depends on neither, nor on
// DPDK.
//
// Everything in the segment is plain data: indices and values, never
// pointers (the two processes map it at different addresses). Every field
// says who writes it and who reads it. "dp" is the data plane's main lcore
// unless a worker is named.
//
// Layout version history: 1 = first release; 2 = CaptureRequest names the
// session by its key instead of the dp's slot index. Bump kLayoutVersion whenever a
// struct below changes size or meaning; a peer with another version refuses
// to attach.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace softwire::shm {

inline constexpr uint64_t kMagic = 0x314d48534557534eull;  // "NSWESHM1" little-endian
inline constexpr uint32_t kLayoutVersion = 2;

// Ring sizes in records (powers of two).
inline constexpr uint32_t kCommandRingRecords = 4096;  // cp -> dp
inline constexpr uint32_t kReplyRingRecords = 8192;    // dp -> cp: replies, events, dump entries
inline constexpr uint32_t kPuntRingRecords = 1024;     // dp worker -> cp, one ring per worker
inline constexpr uint32_t kInjectRingRecords = 1024;   // cp -> dp

inline constexpr unsigned kMaxWorkers = 32;
inline constexpr unsigned kMaxPorts = 8;
inline constexpr unsigned kMaxDropReasons = 64;
inline constexpr unsigned kMaxPuntKinds = 16;
inline constexpr unsigned kNameLength = 32;       // NUL-terminated names in the stats area
inline constexpr unsigned kIdentityLength = 128;  // NUL-terminated; identities are < 128 bytes
inline constexpr unsigned kPrefixesPerRecord = 8;
inline constexpr unsigned kPacketBytes = 2048;  // punt/inject payload
inline constexpr unsigned kBurstBuckets = 9;    // rx burst sizes: 1, 2-3, 4-7, ..., 128-255, 256
inline constexpr uint32_t kNone = UINT32_MAX;   // "no index" / "no SPI"

// ---------------------------------------------------------------------------
// Values shared by records.

enum class Family : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

struct Address {
  Family family;
  uint8_t reserved[3];
  uint8_t bytes[16];  // network order; IPv4 in bytes[0..3]
};

struct Prefix {
  Family family;
  uint8_t length;
  uint8_t bytes[16];
};

enum class Direction : uint8_t { kIn = 0, kOut = 1 };
// Same order as config::Proposal.
enum class Proposal : uint8_t {
  kAes128Gcm16 = 0,
  kAes256Gcm16 = 1,
  kAes128Gmac = 2,
  kAes256Gmac = 3
};
enum class SaMode : uint8_t { kTransport = 0, kTunnel = 1 };

// Where an object came from. A restarted cp reconciling a dump deletes
// static objects its configuration no longer has, and adopts dynamic ones
// (added by softwire-ctl before the cp restarted) instead of deleting them.
enum class Origin : uint8_t { kStatic = 0, kDynamic = 1 };

inline constexpr uint8_t kSaFlagEsn = 1;
inline constexpr uint8_t kSaFlagNatT = 2;

// An SA as in the configuration. Key material travels in sa_add commands and
// in kDumpSa entries, inside the 0600 segment only, so that a restarted cp can
// adopt dynamic SAs (and replay them if the dp restarts later). Both sides
// wipe slots and buffers that held keys after use and never log them.
struct SaRecord {
  uint32_t spi;
  Direction direction;
  Proposal proposal;
  SaMode mode;
  uint8_t flags;  // kSaFlag*
  uint32_t replay_window;
  uint16_t local_port, remote_port;
  Address local, remote;
  Prefix local_ts, remote_ts;
  uint64_t life_bytes, life_packets, soft_life_bytes, soft_life_packets;
  uint8_t key_length;  // 16 or 32
  uint8_t key[32];
  uint8_t salt[4];
  Origin origin;  // set by the cp at add, returned in dumps
  uint8_t reserved;
  // Where the SA's sequence numbers resume when the cp replays it into a
  // restarted dp, so that neither side's anti-replay is defeated: outbound,
  // the next sequence number to send (0 = start at 1); inbound, the highest
  // sequence number already accepted (0 = none): everything at or below it
  // counts as seen.
  uint64_t initial_seq;
};

// A session. Sessions are keyed by (tunnel_id, session_id), the dp's lookup
// key; SAs by (direction, spi).
struct SessionRecord {
  char identity[kIdentityLength];
  uint32_t sa_in_spi;  // inbound SA that owns the session
  uint32_t
      sa_in_old_spi;    // make-before-break: the previous inbound SA, still accepted; kNone if none
  uint32_t sa_out_spi;  // outbound SA; switching it is one atomic store in the dp
  uint16_t tunnel_id, session_id;
  uint16_t peer_tunnel_id, peer_session_id;
  uint16_t peer_port;
  uint16_t mtu;
  uint8_t prefix_count;  // prefixes in this record (session_add: the first ones)
  Origin origin;         // set by the cp at add, returned in dumps
  uint8_t reserved[2];
  uint32_t total_prefixes;  // dumps: all prefixes of the session (more follow in kDumpPrefixes)
  Prefix prefixes[kPrefixesPerRecord];
};

struct SaKey {
  uint32_t spi;
  Direction direction;
  uint8_t reserved[3];
};

struct SessionKey {
  uint16_t tunnel_id, session_id;
};

struct PrefixBinding {
  SessionKey session;
  uint8_t unbind;  // 0 = add these prefixes to the session, 1 = remove them
  uint8_t count;   // 1..kPrefixesPerRecord
  uint8_t reserved[2];
  Prefix prefixes[kPrefixesPerRecord];
};

// Drop capture (metrics issue): copy the first `count` dropped packets that
// match into the punt rings as PacketKind::kDropCapture.
struct CaptureRequest {
  uint8_t reason;       // drop reason index, or 0xff = any
  uint8_t one_session;  // 1: only packets of `session`; 0: any session
  uint8_t reserved[2];
  SessionKey session;  // the dp resolves it (kNotFound when it has no such session)
  uint32_t count;      // 0 disarms
};

// ---------------------------------------------------------------------------
// Messages on the command ring (cp -> dp) and the reply ring (dp -> cp).

enum class MessageType : uint16_t {
  // Commands: each gets exactly one kReply with the same request_id (a dump
  // first streams its entries, then the reply).
  kSaAdd = 1,          // body.sa
  kSaDelete = 2,       // body.sa_key; refused (kInUse) while a session references it
  kSessionAdd = 3,     // body.session (sa_*_spi name existing SAs)
  kSessionModify = 4,  // body.session: sa_in/sa_in_old/sa_out and mtu of an existing session
  kSessionDelete = 5,  // body.session_key; its prefixes go with it
  kBindPrefixes = 6,   // body.prefixes
  kDump = 7,           // no body: dp streams kDumpSa, kDumpSession, kDumpPrefixes, then kReply
  kCapture = 8,        // body.capture
  // dp -> cp only.
  kReply = 100,               // status for request_id
  kDumpSa = 101,              // body.sa (with key and origin)
  kDumpSession = 102,         // body.session
  kDumpPrefixes = 103,        // body.prefixes: more prefixes of a dumped session
  kEventSaSoftExpired = 110,  // body.sa_key
  kEventSaHardExpired = 111,  // body.sa_key
  kEventSeqExhausted = 112,   // body.sa_key
};

enum class Status : uint16_t {
  kOk = 0,
  kExists = 1,    // add of something that exists
  kNotFound = 2,  // modify/delete/bind of something that does not exist, or an unknown SA
  kTableFull = 3,
  kInvalid = 4,          // a field out of range; the reply's text says which
  kInUse = 5,            // SA delete while a session references it
  kStaleGeneration = 6,  // the command carried another generation than the dp's
  kUnsupported = 7,      // unknown message type
};

struct Message {
  MessageType type;
  Status status;  // replies only
  uint32_t reserved;
  uint64_t request_id;  // chosen by the cp, echoed in replies and dump entries
  uint64_t generation;  // commands: the dp generation the cp believes in; replies/events: the dp's
  union Body {
    SaRecord sa;
    SessionRecord session;
    SaKey sa_key;
    SessionKey session_key;
    PrefixBinding prefixes;
    CaptureRequest capture;
    char text[128];  // kReply: NUL-terminated detail when status != kOk
  } body;
};
static_assert(std::is_trivially_copyable_v<Message>);
inline constexpr size_t kMessageSize = 512;  // ring slot size
static_assert(sizeof(Message) <= kMessageSize);

// ---------------------------------------------------------------------------
// Packets on the punt rings (dp workers -> cp) and the inject ring (cp -> dp).

enum class PacketKind : uint8_t {
  kPunt = 1,            // control traffic; `punt_kind` says which
  kSecuritySample = 2,  // header sample of a dropped packet (spoofing, replay, auth, unknown SPI)
  kDropCapture = 3,     // a dropped packet copied on request (kCapture)
  kInjectPpp = 10,      // cp -> dp: data = PPP protocol (2 bytes) + information; the dp adds
                        // ff03, L2TP, UDP, ESP with the session's outbound SA
};

// What data[0] is.
enum class Layer : uint8_t { kEthernet = 1, kIp = 2, kUdp = 3, kL2tp = 4, kPpp = 5 };

struct PacketRecord {
  PacketKind kind;
  uint8_t punt_kind;    // kPunt: index into the stats area's punt kind names
  uint8_t drop_reason;  // kSecuritySample, kDropCapture: index into the drop reason names
  Layer layer;
  uint16_t port;  // index of the receiving port (configuration order)
  uint16_t worker;
  uint32_t sa_index;       // kNone when not known yet
  uint32_t spi;            // kNone when not known
  uint32_t session_index;  // kNone when not known
  SessionKey session;  // (tunnel_id, session_id) when known; the key of the session for kInjectPpp
  Address outer_src, outer_dst;
  uint16_t outer_src_port, outer_dst_port;  // UDP, when the outer packet has one; else 0
  uint16_t length;                          // bytes in data
  uint16_t original_length;                 // bytes of the packet when it was punted or dropped
  uint64_t timestamp_ns;                    // CLOCK_REALTIME
  uint8_t data[kPacketBytes];
};
static_assert(std::is_trivially_copyable_v<PacketRecord>);
inline constexpr size_t kPacketRecordSize = 2176;
static_assert(sizeof(PacketRecord) <= kPacketRecordSize);

// ---------------------------------------------------------------------------
// The rings. One producer and one consumer each; the producer owns `tail`,
// the consumer owns `head`. Both count records forever (64-bit, no wrap in
// practice); slot = index % records. A record is visible to the consumer
// once `tail` (release) passes it, so a producer killed mid-write leaves
// nothing half-written behind: its replacement starts again from `tail`.
struct alignas(64) RingHeader {
  uint32_t records;                        // written once by the dp at creation
  uint32_t record_size;                    // ditto
  uint64_t offset;                         // of slot 0 from the segment start; ditto
  alignas(64) std::atomic<uint64_t> tail;  // written by the producer only
  alignas(64) std::atomic<uint64_t> head;  // written by the consumer only
  alignas(
      64) std::atomic<uint64_t> full;  // producer: records not written because the ring was full
};

// ---------------------------------------------------------------------------
// Statistics, written by the dp main lcore only, every stats period, as a
// snapshot of the workers' counters (workers are never stopped or slowed).
// Readers use SegmentHeader::stats_epoch (read_stats() in segment.h): read it
// (acquire), retry if odd, copy, read it again, retry if it changed. The dp
// makes it odd before writing and even after. The stats structs are plain
// data so that they can be copied.

struct PortStats {
  uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;  // summed over workers
  uint64_t nic_missed, nic_errors;                      // rte_eth_stats imissed, ierrors + oerrors
};

struct WorkerStats {
  uint64_t drops[kMaxDropReasons];
  uint64_t punts[kMaxPuntKinds];
  uint64_t polls, busy_polls;
  uint64_t burst_sizes[kBurstBuckets];  // non-empty receive bursts by size bucket
  uint64_t arp_replies, nd_replies;
  uint64_t punt_policed_peer, punt_policed_global;  // punts dropped by the policers
  uint64_t punt_ring_full;                          // punts and samples lost to a full punt ring
  uint64_t handoff_up_depth, handoff_down_depth;    // records in this worker's hand-off rings now
  uint64_t ports_rx_packets[kMaxPorts], ports_tx_packets[kMaxPorts];
  Address last_policed_peer;  // outer source of the last punt the peer policer dropped
};

enum class SaStateCode : uint8_t { kFree = 0, kActive = 1, kSoftExpired = 2, kHardExpired = 3 };

struct SaStats {
  SaStateCode state;  // kFree: slot unused
  Direction direction;
  uint8_t reserved[2];
  uint32_t spi;
  uint64_t packets, bytes, auth_failed, replayed;
  // Outbound: the next sequence number to send; inbound: the highest
  // authenticated sequence number (the window's top). The cp keeps the last
  // value it saw to replay SAs with SaRecord::initial_seq.
  uint64_t seq;
};

struct SessionStats {
  uint8_t in_use;
  uint8_t reserved;
  uint16_t tunnel_id, session_id;
  uint16_t reserved2;
  uint64_t up_packets, up_bytes, down_packets, down_bytes, spoofed;
};

struct StatsHeader {
  uint64_t published_ns;  // CLOCK_REALTIME of the snapshot
  uint64_t uptime_ns;     // since the dp generation started
  uint64_t snapshots;     // how many were published
  uint32_t workers, ports;
  uint32_t sa_capacity, session_capacity;  // entries in the SA / session arrays below
  uint32_t sas_in_use, sessions_in_use;
  uint32_t ipv4_prefixes, ipv6_prefixes;
  uint64_t mempool_in_use, mempool_capacity;
  uint64_t command_ring_depth, reply_ring_depth, inject_ring_depth;
  uint64_t inject_dropped;  // inject records the dp could not send (no session, no mbuf, ring full)
  uint64_t commands_done;   // commands executed since start
  uint32_t drop_reason_count, punt_kind_count;           // valid entries in the name tables
  char drop_reason_names[kMaxDropReasons][kNameLength];  // written once at creation
  char punt_kind_names[kMaxPuntKinds][kNameLength];      // ditto
  char port_names[kMaxPorts][kNameLength];               // ditto
  uint8_t port_roles[kMaxPorts];                         // 0 access, 1 core; ditto
  PortStats port_stats[kMaxPorts];
  WorkerStats worker_stats[kMaxWorkers];
  uint64_t sa_offset, session_offset;  // from the segment start: SaStats[sa_capacity],
                                       // SessionStats[session_capacity]; written once
  // The entries of a table of more than 65,536 are rewritten a tenth per
  // snapshot (dp::StatsPublisher::table_slice): up to 9 snapshots old.
};

// ---------------------------------------------------------------------------
// The segment header, at offset 0.

struct alignas(64) SegmentHeader {
  // Written once by the dp at creation, magic last (release): a reader that
  // sees kMagic sees everything else.
  std::atomic<uint64_t> magic;
  uint32_t layout_version;
  uint32_t header_size;  // sizeof(SegmentHeader)
  uint64_t segment_size;
  uint64_t generation;  // random, nonzero, new at every dp start
  uint64_t dp_pid;
  uint64_t dp_started_ns;  // CLOCK_REALTIME
  uint32_t workers;        // punt rings in use
  uint32_t control_mode;   // 1 when the dp takes its tables from the cp
  // Liveness, CLOCK_MONOTONIC ns.
  alignas(64) std::atomic<uint64_t> dp_heartbeat_ns;  // written by the dp main lcore
  std::atomic<uint64_t> dp_stopping;                  // dp: 1 when it exits cleanly
  alignas(64) std::atomic<uint64_t> cp_heartbeat_ns;  // written by the cp
  std::atomic<uint64_t> cp_pid;                       // written by the cp when it attaches
  RingHeader commands;
  RingHeader replies;
  RingHeader inject;
  RingHeader punt[kMaxWorkers];
  alignas(64) std::atomic<uint64_t> stats_epoch;  // dp: odd while writing `stats` and the arrays
  StatsHeader stats;
};

static_assert(std::is_trivially_copyable_v<StatsHeader>);

// Segment name for an instance: "/softwire-<instance>".
inline constexpr const char* kSegmentPrefix = "/softwire-";

}  // namespace softwire::shm
