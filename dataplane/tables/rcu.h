// Quiescent-state-based RCU over rte_rcu_qsbr, shared by every lookup table.
//
// Readers are worker lcores, each with a small thread id (0..max_readers-1,
// the worker index, not the lcore id). A worker calls quiescent() once per
// poll-loop iteration, at a point where it holds no pointer or index obtained
// from a table. The writer is the main lcore, and only the main lcore: it
// removes an object from every table, then calls defer() to run a reclaim
// action (return an index to a free list, free memory) once every registered
// reader has passed a quiescent state, and calls reclaim() periodically.
//
// With no registered (or no online) readers every grace period is over at
// once, so the same code serves tests, standalone start-up and shutdown.
#pragma once

#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace softwire::tables {

class Rcu {
 public:
  // Reclaim action: called on the main lcore, after the grace period of the
  // defer() call that queued it.
  using ReclaimFn = void (*)(void* context, uint64_t value);

  // name_prefix: at most kMaxNamePrefix characters, unique per instance (it
  // names the DPDK ring of the defer queue). defer_capacity: actions that may
  // wait at once; when full, defer() blocks for a grace period instead of
  // failing. Throws std::system_error on DPDK allocation failure.
  Rcu(std::string_view name_prefix, uint32_t max_readers, uint32_t defer_capacity, int socket_id);
  ~Rcu();
  Rcu(const Rcu&) = delete;
  Rcu& operator=(const Rcu&) = delete;

  static constexpr size_t kMaxNamePrefix = 8;

  // --- reader side: called by the worker that owns thread_id ---------------
  // Registers and puts the thread online. Returns false if thread_id is out
  // of range.
  bool register_reader(uint32_t thread_id);
  // Offline, then unregistered: the writer stops waiting for this thread.
  void unregister_reader(uint32_t thread_id);
  // A worker about to block (or sleep) goes offline so it does not stall
  // grace periods; online() again before its next table access.
  void online(uint32_t thread_id) { rte_rcu_qsbr_thread_online(qsbr_, thread_id); }
  void offline(uint32_t thread_id) { rte_rcu_qsbr_thread_offline(qsbr_, thread_id); }
  // Once per loop iteration: one store-release of the global token (cheap).
  void quiescent(uint32_t thread_id) { rte_rcu_qsbr_quiescent(qsbr_, thread_id); }

  // --- writer side: main lcore only -----------------------------------------
  // Runs fn(context, value) after a grace period that starts now. Never
  // fails: if the defer queue is full it waits for readers, reclaims and
  // retries.
  void defer(ReclaimFn fn, void* context, uint64_t value);
  // Runs every action whose grace period is over; returns how many ran.
  unsigned reclaim();
  // Reclaims what it can, then returns how many actions still wait.
  unsigned pending();
  // Blocks until every reader has passed a quiescent state, then reclaims
  // everything. For rare paths (capacity pressure, shutdown).
  void synchronize();

  // Grace-period tokens, for writers that must order two updates (see
  // PrefixTable): start() now, later grace_period_over(token, wait).
  uint64_t start_grace_period() { return rte_rcu_qsbr_start(qsbr_); }
  bool grace_period_over(uint64_t token, bool wait) {
    return rte_rcu_qsbr_check(qsbr_, token, wait) == 1;
  }

  // The underlying variable, for libraries with their own RCU integration
  // (rte_hash_rcu_qsbr_add).
  rte_rcu_qsbr* qsbr() const { return qsbr_; }
  uint32_t max_readers() const { return max_readers_; }

 private:
  struct DeferredAction {
    ReclaimFn fn;
    void* context;
    uint64_t value;
  };
  static void run_deferred(void* self, void* element, unsigned count);

  std::string name_;
  uint32_t max_readers_;
  // Shared: each reader writes its own per-thread counter (quiescent,
  // online/offline, register); the writer writes the global token. DPDK's
  // memory ordering inside rte_rcu_qsbr makes this safe.
  rte_rcu_qsbr* qsbr_ = nullptr;
  // Writer (main lcore) only: enqueue and reclaim.
  rte_rcu_qsbr_dq* defer_queue_ = nullptr;
};

}  // namespace softwire::tables
