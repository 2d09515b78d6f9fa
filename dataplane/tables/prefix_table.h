// IPv4 and IPv6 prefixes -> session index, longest-prefix match. One table
// serves both directions: downstream forwarding (inner destination ->
// session) and anti-spoofing (inner source -> session, which must equal the
// session the L2TP header named).
//
// Library choice (DPDK 22.11)
// ---------------------------
// IPv4: rte_fib, DIR24_8, 4-byte entries. IPv6: rte_lpm6.
// - rte_lpm (IPv4) has RCU support (rte_lpm_rcu_qsbr_add) but keeps its rules
//   in a flat array per depth and scans it linearly on every add/delete: a
//   million /30s of one depth cost O(n^2) to load. rte_fib keeps rules in a
//   RIB tree (O(32) updates) and has a bulk lookup.
// - rte_fib6 (TRIE) was the first choice for IPv6 but is unusable at scale in
//   22.11: trie_modify() reserves (ceil(len,8) - max(covering len, 24)) / 8
//   tbl8 groups for EVERY prefix that has no route inside its own aligned
//   block (5 groups, 5 KiB, per /64 without a covering route: 5 GiB for a
//   million /64s), and never returns the reservation on delete (the RIB
//   lookup that computes it finds the prefix being deleted; fixed upstream
//   after 22.11): 10 add/delete cycles of one /64 exhaust 50 groups
//   (reproduced). rte_lpm6 allocates groups on demand with reference
//   counts (a million dense /64s use ~4,100 groups), keeps rules in an
//   rte_hash (O(1) updates) and has a bulk lookup. Its next hop has 21 bits:
//   session indices with IPv6 prefixes must stay below 2^21 (2,097,151).
// - Neither rte_fib nor rte_lpm6 has RCU integration in 22.11
//   (rte_fib_rcu_qsbr_add/rte_fib6_rcu_qsbr_add came later; rte_lpm6 has
//   none). What they do on update (lib/fib/dir24_8.c, lib/lpm/rte_lpm6.c):
//   * entries are single aligned 4-byte stores, and a new tbl8 group is
//     filled before the entry pointing to it is written, so a reader looking
//     up an address while it changes gets the old or the new next hop (x86
//     TSO; on weakly ordered CPUs the libraries' plain stores promise
//     nothing);
//   * when a group is no longer needed it is folded into its parent entry,
//     then zeroed (DIR24_8) or invalidated (LPM6) and returned to the free
//     pool at once, and the next allocation may reuse it at once.
//   A reader that loaded the parent entry just before the fold then reads
//   either the zeroed group or, if the group was already reused for another
//   range, a next hop of an unrelated prefix: a packet sent to the wrong
//   subscriber.
// What this class adds:
//   * IPv4 next hops are stored as session index + 1 and the FIB default is
//     0, so a zeroed group reads as kNoRoute; an invalidated LPM6 entry is a
//     miss, also kNoRoute. A reader racing a fold fails closed (drop);
//   * a tbl8 reuse barrier: after a modification that may have freed a
//     group the writer starts an RCU grace period, and before the next
//     modification of the same family it waits for that grace period to end
//     (rte_rcu_qsbr_check). A group freed by one add/remove is thus never
//     handed to another range while a reader may still hold a pointer to
//     it. Within a single call no group is both freed and reallocated:
//     DIR24_8 allocates only for prefixes longer than /24, all inside one
//     /24 whose group cannot become uniform before the call's last write
//     (the rest still holds the old value); LPM6 add only allocates and
//     delete only frees.
//     Which modifications may free a group: every removal; an LPM6 add
//     never; a DIR24_8 add or replace only where it writes into a group and
//     the group ends up uniform (DIR24_8 folds a group exactly then): for a
//     prefix longer than /24, when its /24 resolves to one next hop after
//     the write (checked with one 256-address bulk lookup); for /24 or
//     shorter, only when more specific routes split its range (then the
//     barrier is started without looking further). Adding host routes or
//     small prefixes, the bulk case, therefore needs no grace period at all;
//     removals cost one grace period (about one worker loop iteration) each
//     while readers are online.
// Worst case for a concurrent reader, therefore: for an address whose route
// is being changed, the old session, the new one, or kNoRoute, during one
// loop iteration. Never a session that is not, or was not, routed there.
//
// Memory for 1,000,000 sessions, each with one IPv4 /30 dense in 10.0.0.0/8
// and one IPv6 /64 dense in 2001:db8::/32, default tbl8 sizing (measured by
// tests/dataplane/tables/million_test.cpp through rte_malloc heap stats),
// all reserved at creation, nothing more after inserting:
//   IPv4 ~480 MiB: tbl24 64 MiB + 32,274 tbl8 groups 31.5 MiB + RIB mempool
//        of 2M nodes (rte_fib doubles max_routes) ~390 MiB;
//   IPv6 ~155 MiB: tbl24 64 MiB + tbl8 31.5 MiB + rule hash ~60 MiB;
//   total PrefixTable 640 MiB. (SpiTable and SessionTable: 94 MiB each.)
//
// Addresses: IPv4 as uint32 in HOST byte order (rte_be_to_cpu_32 of the
// header field), IPv6 as 16 bytes in network order.
#pragma once

#include <rte_fib.h>
#include <rte_lpm6.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/tables/rcu.h"
#include "dataplane/tables/status.h"

namespace softwire::tables {

using Ipv6Address = std::array<uint8_t, 16>;
static_assert(sizeof(Ipv6Address) == 16);

struct PrefixTableConfig {
  uint32_t max_ipv4_prefixes = 0;
  uint32_t max_ipv6_prefixes = 0;
  // tbl8 groups (1 KiB each). 0 picks max/32 + 1024, sized for prefixes
  // assigned densely from pools (1M dense /30s need 16,384 groups, 1M dense
  // /64s about 4,100). Scattered prefixes need up to one group per IPv4
  // prefix longer than /24 and up to (length - 24) / 8 per IPv6 prefix.
  uint32_t ipv4_tbl8_groups = 0;
  uint32_t ipv6_tbl8_groups = 0;
};

class PrefixTable {
 public:
  static constexpr uint32_t kNoRoute = UINT32_MAX;
  // Largest session index for IPv4 prefixes (next hop = index + 1, 31 bits)
  // and for IPv6 prefixes (rte_lpm6: 21-bit next hops).
  static constexpr uint32_t kMaxSessionIndex = (1u << 31) - 3;
  static constexpr uint32_t kMaxIpv6SessionIndex = (1u << 21) - 1;
  static constexpr size_t kMaxNamePrefix = 8;
  static constexpr unsigned kMaxBurst = 64;

  // name_prefix: 1..8 characters, unique per instance. Throws on failure.
  PrefixTable(std::string_view name_prefix, const PrefixTableConfig& config, Rcu& rcu,
              int socket_id);
  ~PrefixTable();
  PrefixTable(const PrefixTable&) = delete;
  PrefixTable& operator=(const PrefixTable&) = delete;

  // --- writer (main lcore) ---------------------------------------------------
  // Host bits beyond `length` are ignored. kExists for a prefix already
  // present (whatever its session), kFull at the configured maximum or when
  // the library runs out of tbl8 groups, kInvalid for a bad length (IPv4
  // 0..32, IPv6 1..128) or index.
  TableStatus add_ipv4(uint32_t address, uint8_t length, uint32_t session_index);
  TableStatus remove_ipv4(uint32_t address, uint8_t length);
  // Points an existing prefix at another session without a no-route window.
  TableStatus replace_ipv4(uint32_t address, uint8_t length, uint32_t session_index);
  TableStatus add_ipv6(const Ipv6Address& address, uint8_t length, uint32_t session_index);
  TableStatus remove_ipv6(const Ipv6Address& address, uint8_t length);
  TableStatus replace_ipv6(const Ipv6Address& address, uint8_t length, uint32_t session_index);
  uint32_t ipv4_size() const { return ipv4_size_; }
  uint32_t ipv6_size() const { return ipv6_size_; }

  // --- readers (workers) -----------------------------------------------------
  uint32_t lookup_ipv4(uint32_t address) const;
  uint32_t lookup_ipv6(const Ipv6Address& address) const;
  // session_indices[i] = index or kNoRoute; any n (processed in kMaxBurst
  // chunks).
  void lookup_ipv4_bulk(const uint32_t* addresses, unsigned n, uint32_t* session_indices) const;
  void lookup_ipv6_bulk(const Ipv6Address* addresses, unsigned n, uint32_t* session_indices) const;

  // Tests: whether the next modification of that family waits for a grace
  // period first.
  bool ipv4_barrier_pending() const { return ipv4_.barrier_pending; }
  bool ipv6_barrier_pending() const { return ipv6_.barrier_pending; }

 private:
  struct Family {
    // Writer only: the reuse barrier token, valid while barrier_pending.
    uint64_t barrier_token = 0;
    bool barrier_pending = false;
  };
  void wait_for_tbl8_barrier(Family& family);
  void start_tbl8_barrier(Family& family);
  // After a successful IPv4 add/replace of this (masked) prefix: whether
  // DIR24_8 may have folded a tbl8 group.
  bool ipv4_write_may_free_tbl8(uint32_t address, uint8_t length) const;
  TableStatus modify_ipv4(uint32_t address, uint8_t length, uint32_t session_index, bool replace);
  TableStatus modify_ipv6(const Ipv6Address& address, uint8_t length, uint32_t session_index,
                          bool replace);

  Rcu& rcu_;
  PrefixTableConfig config_;
  // Shared: the writer updates them through add/delete, workers only call
  // the lookup functions. The RIB (fib4_) and rule hash (lpm6_) inside are
  // touched by the writer only.
  rte_fib* fib4_ = nullptr;
  rte_lpm6* lpm6_ = nullptr;
  // Writer only.
  Family ipv4_;
  Family ipv6_;
  uint32_t ipv4_size_ = 0;
  uint32_t ipv6_size_ = 0;
};

}  // namespace softwire::tables
