#include "dataplane/tables/prefix_table.h"

#include <rte_errno.h>
#include <rte_rib.h>

#include <algorithm>

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {
namespace {

// The FIB default next hop; stored next hops are session index + 1.
constexpr uint64_t kFibNoRoute = 0;

uint32_t to_session(uint64_t next_hop) {
  return next_hop == kFibNoRoute ? PrefixTable::kNoRoute : static_cast<uint32_t>(next_hop - 1);
}

uint32_t ipv4_mask(uint8_t length) {
  return length == 0 ? 0 : ~uint32_t{0} << (32 - length);
}

Ipv6Address ipv6_masked(const Ipv6Address& address, uint8_t length) {
  Ipv6Address masked{};
  for (unsigned byte = 0; byte < 16; ++byte) {
    const int bits = std::clamp(int{length} - int(byte * 8), 0, 8);
    masked[byte] = static_cast<uint8_t>(address[byte] & (0xff00 >> bits));
  }
  return masked;
}

// rte_fib_create sizes its RIB at twice max_routes, which covers the
// branching nodes (at most one per prefix).
int fib_max_routes(uint32_t max_prefixes) {
  return int(std::min<uint64_t>(uint64_t{max_prefixes} + 16, INT32_MAX / 2));
}

TableStatus from_fib_error(int ret) {
  if (ret == 0) return TableStatus::kOk;
  if (ret == -ENOSPC || ret == -ENOMEM) return TableStatus::kFull;
  if (ret == -ENOENT) return TableStatus::kNotFound;
  return TableStatus::kInvalid;
}

}  // namespace

PrefixTable::PrefixTable(std::string_view name_prefix, const PrefixTableConfig& config, Rcu& rcu,
                         int socket_id)
    : rcu_(rcu), config_(config) {
  if (config_.ipv4_tbl8_groups == 0)
    config_.ipv4_tbl8_groups = config.max_ipv4_prefixes / 32 + 1024;
  if (config_.ipv6_tbl8_groups == 0)
    config_.ipv6_tbl8_groups = config.max_ipv6_prefixes / 32 + 1024;

  const std::string name4 = checked_name(name_prefix, kMaxNamePrefix, "_v4");
  rte_fib_conf conf4{};
  conf4.type = RTE_FIB_DIR24_8;
  conf4.default_nh = kFibNoRoute;
  conf4.max_routes = fib_max_routes(config_.max_ipv4_prefixes);
  conf4.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
  conf4.dir24_8.num_tbl8 = config_.ipv4_tbl8_groups;
  fib4_ = rte_fib_create(name4.c_str(), socket_id, &conf4);
  if (fib4_ == nullptr) throw_dpdk_error(rte_errno, "rte_fib_create", name4);

  const std::string name6 = checked_name(name_prefix, kMaxNamePrefix, "_v6");
  rte_lpm6_config conf6{};
  conf6.max_rules = std::max<uint32_t>(config_.max_ipv6_prefixes, 1);
  conf6.number_tbl8s = config_.ipv6_tbl8_groups;
  lpm6_ = rte_lpm6_create(name6.c_str(), socket_id, &conf6);
  if (lpm6_ == nullptr) {
    const int error = rte_errno;
    rte_fib_free(fib4_);
    throw_dpdk_error(error, "rte_lpm6_create", name6);
  }
}

PrefixTable::~PrefixTable() {
  rte_lpm6_free(lpm6_);
  rte_fib_free(fib4_);
}

void PrefixTable::wait_for_tbl8_barrier(Family& family) {
  if (!family.barrier_pending) return;
  rcu_.grace_period_over(family.barrier_token, /*wait=*/true);
  family.barrier_pending = false;
}

void PrefixTable::start_tbl8_barrier(Family& family) {
  family.barrier_token = rcu_.start_grace_period();
  family.barrier_pending = true;
}

bool PrefixTable::ipv4_write_may_free_tbl8(uint32_t address, uint8_t length) const {
  constexpr uint8_t kTbl24Depth = 24;
  if (length <= kTbl24Depth) {
    // Its range starts and ends on /24 boundaries: it writes tbl24 entries
    // only, unless more specific routes split it into pieces.
    rte_rib* rib = rte_fib_get_rib(fib4_);
    for (rte_rib_node* n = nullptr;
         (n = rte_rib_get_nxt(rib, address, length, n, RTE_RIB_GET_NXT_ALL)) != nullptr;) {
      uint8_t depth = 0;
      rte_rib_get_depth(n, &depth);
      if (depth > length) return true;
    }
    return false;
  }
  // Inside one /24: DIR24_8 folds its group when all 256 entries are equal.
  uint32_t block[256];
  uint64_t next_hops[256];
  const uint32_t base = address & ipv4_mask(kTbl24Depth);
  for (uint32_t i = 0; i < 256; ++i) block[i] = base | i;
  rte_fib_lookup_bulk(fib4_, block, next_hops, 256);
  for (uint32_t i = 1; i < 256; ++i)
    if (next_hops[i] != next_hops[0]) return false;
  return true;
}

TableStatus PrefixTable::modify_ipv4(uint32_t address, uint8_t length, uint32_t session_index,
                                     bool replace) {
  if (length > RTE_FIB_MAXDEPTH || session_index > kMaxSessionIndex) return TableStatus::kInvalid;
  address &= ipv4_mask(length);
  const bool present = rte_rib_lookup_exact(rte_fib_get_rib(fib4_), address, length) != nullptr;
  if (!replace && present) return TableStatus::kExists;
  if (replace && !present) return TableStatus::kNotFound;
  if (!replace && ipv4_size_ >= config_.max_ipv4_prefixes) return TableStatus::kFull;
  wait_for_tbl8_barrier(ipv4_);
  const int ret = rte_fib_add(fib4_, address, length, uint64_t{session_index} + 1);
  // A failed add may have written part of its range: assume the worst.
  if (ret != 0 || ipv4_write_may_free_tbl8(address, length)) start_tbl8_barrier(ipv4_);
  if (ret == 0 && !replace) ++ipv4_size_;
  return from_fib_error(ret);
}

TableStatus PrefixTable::add_ipv4(uint32_t address, uint8_t length, uint32_t session_index) {
  return modify_ipv4(address, length, session_index, /*replace=*/false);
}

TableStatus PrefixTable::replace_ipv4(uint32_t address, uint8_t length, uint32_t session_index) {
  return modify_ipv4(address, length, session_index, /*replace=*/true);
}

TableStatus PrefixTable::remove_ipv4(uint32_t address, uint8_t length) {
  if (length > RTE_FIB_MAXDEPTH) return TableStatus::kInvalid;
  address &= ipv4_mask(length);
  if (rte_rib_lookup_exact(rte_fib_get_rib(fib4_), address, length) == nullptr) {
    return TableStatus::kNotFound;
  }
  wait_for_tbl8_barrier(ipv4_);
  const int ret = rte_fib_delete(fib4_, address, length);
  start_tbl8_barrier(ipv4_);
  if (ret == 0) --ipv4_size_;
  return from_fib_error(ret);
}

TableStatus PrefixTable::modify_ipv6(const Ipv6Address& address, uint8_t length,
                                     uint32_t session_index, bool replace) {
  if (length == 0 || length > RTE_LPM6_MAX_DEPTH || session_index > kMaxIpv6SessionIndex) {
    return TableStatus::kInvalid;
  }
  const Ipv6Address masked = ipv6_masked(address, length);
  uint32_t current;
  const bool present = rte_lpm6_is_rule_present(lpm6_, masked.data(), length, &current) == 1;
  if (!replace && present) return TableStatus::kExists;
  if (replace && !present) return TableStatus::kNotFound;
  if (!replace && ipv6_size_ >= config_.max_ipv6_prefixes) return TableStatus::kFull;
  wait_for_tbl8_barrier(ipv6_);
  // LPM6 add only allocates groups: no barrier after it (see the header).
  const int ret = rte_lpm6_add(lpm6_, masked.data(), length, session_index);
  if (ret == 0 && !replace) ++ipv6_size_;
  return from_fib_error(ret);
}

TableStatus PrefixTable::add_ipv6(const Ipv6Address& address, uint8_t length,
                                  uint32_t session_index) {
  return modify_ipv6(address, length, session_index, /*replace=*/false);
}

TableStatus PrefixTable::replace_ipv6(const Ipv6Address& address, uint8_t length,
                                      uint32_t session_index) {
  return modify_ipv6(address, length, session_index, /*replace=*/true);
}

TableStatus PrefixTable::remove_ipv6(const Ipv6Address& address, uint8_t length) {
  if (length == 0 || length > RTE_LPM6_MAX_DEPTH) return TableStatus::kInvalid;
  const Ipv6Address masked = ipv6_masked(address, length);
  wait_for_tbl8_barrier(ipv6_);
  const int ret = rte_lpm6_delete(lpm6_, masked.data(), length);
  start_tbl8_barrier(ipv6_);
  if (ret == 0) --ipv6_size_;
  return from_fib_error(ret);
}

uint32_t PrefixTable::lookup_ipv4(uint32_t address) const {
  uint64_t next_hop = kFibNoRoute;
  rte_fib_lookup_bulk(fib4_, &address, &next_hop, 1);
  return to_session(next_hop);
}

uint32_t PrefixTable::lookup_ipv6(const Ipv6Address& address) const {
  uint32_t session_index;
  return rte_lpm6_lookup(lpm6_, address.data(), &session_index) == 0 ? session_index : kNoRoute;
}

void PrefixTable::lookup_ipv4_bulk(const uint32_t* addresses, unsigned n,
                                   uint32_t* session_indices) const {
  uint64_t next_hops[kMaxBurst];
  for (unsigned done = 0; done < n;) {
    const unsigned chunk = std::min(n - done, kMaxBurst);
    rte_fib_lookup_bulk(fib4_, const_cast<uint32_t*>(addresses + done), next_hops, int(chunk));
    for (unsigned i = 0; i < chunk; ++i) session_indices[done + i] = to_session(next_hops[i]);
    done += chunk;
  }
}

void PrefixTable::lookup_ipv6_bulk(const Ipv6Address* addresses, unsigned n,
                                   uint32_t* session_indices) const {
  int32_t next_hops[kMaxBurst];
  for (unsigned done = 0; done < n;) {
    const unsigned chunk = std::min(n - done, kMaxBurst);
    // The API takes a non-const array but only reads it.
    auto* ips =
        const_cast<uint8_t(*)[16]>(reinterpret_cast<const uint8_t(*)[16]>(addresses + done));
    rte_lpm6_lookup_bulk_func(lpm6_, ips, next_hops, chunk);
    for (unsigned i = 0; i < chunk; ++i) {
      session_indices[done + i] = next_hops[i] < 0 ? kNoRoute : uint32_t(next_hops[i]);
    }
    done += chunk;
  }
}

}  // namespace softwire::tables
