// Test fixture for pipeline stages: EAL once per test program (--no-huge,
// no shared config, unique file prefix), one mempool, and a DataplaneState
// built from configuration text with fake port ids 0..n-1 (no ports are
// started; stages only queue packets in the worker's TX buffers, and tests
// take them from there with WorkerContext::take_tx()).
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "dataplane/dataplane_state.h"
#include "dataplane/mbuf_meta.h"
#include "dataplane/ports.h"
#include "dataplane/worker_context.h"

namespace softwire::dp::testing {

inline void init_eal_once() {
  static bool done = false;
  if (done) return;
  const std::string prefix = "swtest" + std::to_string(getpid());
  std::vector<std::string> args = {"dp_test",         "--no-huge",     "-m",
                                   "512",             "--no-shconf",   "--file-prefix",
                                   prefix,            "--no-pci",      "-l",
                                   "0",               "--log-level", "*:error"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0) << "EAL init failed";
  done = true;
}

class DataplaneTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    init_eal_once();
    if (pool_ == nullptr)
      pool_ = rte_pktmbuf_pool_create("dp_test_pool", 4095, 0, kMbufPrivSize, kMbufDataRoom,
                                      SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }

  void TearDown() override {
    worker_.reset();
    state_.reset();
    // Every test must give back every mbuf it took.
    EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u) << "mbuf leak";
  }

  // Loads `config_text` (a complete softwire configuration) and builds the
  // state and one worker context (index 0).
  void make_state(const std::string& config_text, unsigned workers = 1) {
    config_ = config::load_config_text(config_text, "test.conf");
    std::vector<PortHandle> handles;
    for (size_t i = 0; i < config_.ports.size(); ++i)
      handles.push_back(PortHandle{static_cast<uint16_t>(i), config_.ports[i].name,
                                   static_cast<uint16_t>(workers), false});
    state_ = std::make_unique<DataplaneState>(config_, handles, workers, SOCKET_ID_ANY);
    state_->apply(config_);
    worker_ = std::make_unique<WorkerContext>(0, *state_, counters_, 32);
  }

  rte_mbuf* make_packet(const uint8_t* bytes, size_t len, uint16_t ingress_port = 0) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    EXPECT_NE(m, nullptr);
    char* data = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
    EXPECT_NE(data, nullptr);
    std::memcpy(data, bytes, len);
    meta(m) = MbufMeta{};
    meta(m).ingress_port = ingress_port;
    return m;
  }
  template <typename Array>
  rte_mbuf* make_packet(const Array& bytes, uint16_t ingress_port = 0) {
    return make_packet(bytes.data(), bytes.size(), ingress_port);
  }

  static std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    return {p, p + rte_pktmbuf_data_len(m)};
  }

  uint64_t dropped(DropReason r) const { return counters_.drops[static_cast<size_t>(r)].get(); }
  uint64_t punted(PuntKind k) const { return counters_.punts[static_cast<size_t>(k)].get(); }

  static inline rte_mempool* pool_ = nullptr;
  config::Config config_;
  WorkerCounters counters_;
  std::unique_ptr<DataplaneState> state_;
  std::unique_ptr<WorkerContext> worker_;
};

}  // namespace softwire::dp::testing
