#include "dataplane/tables/rcu.h"

#include <rte_errno.h>
#include <rte_malloc.h>

#include <cstring>
#include <system_error>

#include "dataplane/tables/dpdk_names.h"

namespace softwire::tables {

Rcu::Rcu(std::string_view name_prefix, uint32_t max_readers, uint32_t defer_capacity, int socket_id)
    : name_(checked_name(name_prefix, kMaxNamePrefix, "_rcu")), max_readers_(max_readers) {
  // rte_rcu_qsbr_init rejects 0 threads; one spare slot costs 64 bytes.
  const uint32_t threads = max_readers == 0 ? 1 : max_readers;
  const size_t size = rte_rcu_qsbr_get_memsize(threads);
  qsbr_ = static_cast<rte_rcu_qsbr*>(
      rte_zmalloc_socket(name_.c_str(), size, RTE_CACHE_LINE_SIZE, socket_id));
  if (qsbr_ == nullptr) throw_dpdk_error(ENOMEM, "rte_zmalloc_socket", name_);
  if (rte_rcu_qsbr_init(qsbr_, threads) != 0) {
    rte_free(qsbr_);
    throw_dpdk_error(rte_errno, "rte_rcu_qsbr_init", name_);
  }

  rte_rcu_qsbr_dq_parameters params{};
  params.name = name_.c_str();
  // Single writer: the main lcore enqueues and reclaims.
  params.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE;
  params.size = defer_capacity == 0 ? 1 : defer_capacity;
  params.esize = sizeof(DeferredAction);
  // Reclaim a little on every enqueue so the queue never grows unbounded
  // between two reclaim() calls.
  params.trigger_reclaim_limit = 0;
  params.max_reclaim_size = 32;
  params.free_fn = &Rcu::run_deferred;
  params.p = this;
  params.v = qsbr_;
  defer_queue_ = rte_rcu_qsbr_dq_create(&params);
  if (defer_queue_ == nullptr) {
    const int error = rte_errno;
    rte_free(qsbr_);
    throw_dpdk_error(error, "rte_rcu_qsbr_dq_create", name_);
  }
}

Rcu::~Rcu() {
  // Every user (table, allocator) must be gone or drained by now; the
  // remaining actions only reference objects that are still alive.
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  rte_rcu_qsbr_dq_delete(defer_queue_);
  rte_free(qsbr_);
}

static_assert(sizeof(Rcu::ReclaimFn) == 8 && sizeof(void*) == 8, "element layout assumes LP64");

void Rcu::run_deferred(void* /*self*/, void* element, unsigned count) {
  // The ring only guarantees 4-byte alignment of the copied element.
  for (unsigned i = 0; i < count; ++i) {
    DeferredAction action;
    std::memcpy(&action, static_cast<const char*>(element) + i * sizeof(action), sizeof(action));
    action.fn(action.context, action.value);
  }
}

bool Rcu::register_reader(uint32_t thread_id) {
  if (thread_id >= max_readers_) return false;
  if (rte_rcu_qsbr_thread_register(qsbr_, thread_id) != 0) return false;
  rte_rcu_qsbr_thread_online(qsbr_, thread_id);
  return true;
}

void Rcu::unregister_reader(uint32_t thread_id) {
  if (thread_id >= max_readers_) return;
  rte_rcu_qsbr_thread_offline(qsbr_, thread_id);
  rte_rcu_qsbr_thread_unregister(qsbr_, thread_id);
}

void Rcu::defer(ReclaimFn fn, void* context, uint64_t value) {
  DeferredAction action{fn, context, value};
  if (rte_rcu_qsbr_dq_enqueue(defer_queue_, &action) == 0) return;
  // Queue full (readers slow): wait for them, which completes every queued
  // grace period, so the action itself can run now.
  synchronize();
  fn(context, value);
}

unsigned Rcu::reclaim() {
  unsigned freed = 0;
  rte_rcu_qsbr_dq_reclaim(defer_queue_, UINT32_MAX, &freed, nullptr, nullptr);
  return freed;
}

unsigned Rcu::pending() {
  unsigned pending = 0;
  // DPDK only reports the occupancy as a side effect of a reclaim (n > 0).
  rte_rcu_qsbr_dq_reclaim(defer_queue_, UINT32_MAX, nullptr, &pending, nullptr);
  return pending;
}

void Rcu::synchronize() {
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  reclaim();
}

}  // namespace softwire::tables
