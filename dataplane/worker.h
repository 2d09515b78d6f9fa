// The worker lcore's poll loop: every port's queue `index`, then the
// hand-off rings, then transmit, then an RCU quiescent state.
#pragma once

#include <atomic>

#include "dataplane/worker_context.h"

namespace softwire::dp {

// Runs until `stop` becomes true (written by the main lcore, read here).
// Flushes its transmit buffers before returning.
void run_worker(WorkerContext& w, const std::atomic<bool>& stop);

// One iteration of the loop; returns the number of packets received. Exposed
// for tests that drive a worker step by step.
unsigned poll_once(WorkerContext& w);

}  // namespace softwire::dp
