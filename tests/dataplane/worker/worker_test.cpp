// The worker loop and transmit path on real (net_ring) ports: poll_once()
// receives, runs a pipeline and transmits; a transmit queue that accepts
// fewer packets than offered drops the rest as tx_full.
#include "dataplane/worker.h"

#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_ring.h>

#include <array>

#include "tests/dataplane/dp_fixture.h"

namespace softwire::dp::testing {
namespace {

constexpr char kConfig[] = R"(
dataplane = { workers = [ 1 ]; };
ports = (
  { name = "access"; role = "access"; device = "net_ring_a";
    mac = "02:00:00:00:00:02"; addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; },
  { name = "core"; role = "core"; device = "net_ring_c";
    mac = "02:00:00:00:01:02"; addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }
);
sas = ( { spi = 0x1001; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
          proposal = "aes128gcm16"; key = "0x000102030405060708090a0b0c0d0e0faabbccdd"; } );
)";

// One ethdev per configured port, backed by an RX and a TX rte_ring that the
// test fills and drains. Created before the state so their port ids are 0, 1.
struct RingPort {
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  uint16_t port_id = 0;
};

class WorkerTest : public DataplaneTest {
 protected:
  static void SetUpTestSuite() {
    DataplaneTest::SetUpTestSuite();
    if (ports_[0].rx != nullptr) return;
    for (int i = 0; i < 2; ++i) {
      const std::string n = std::to_string(i);
      ports_[i].rx = rte_ring_create(("wt_rx" + n).c_str(), 64, SOCKET_ID_ANY, 0);
      // A small TX ring: 15 usable slots, so a flush of more overflows it.
      ports_[i].tx = rte_ring_create(("wt_tx" + n).c_str(), 16, SOCKET_ID_ANY, 0);
      const int id = rte_eth_from_rings(("wt_eth" + n).c_str(), &ports_[i].rx, 1, &ports_[i].tx, 1,
                                        SOCKET_ID_ANY);
      ASSERT_GE(id, 0);
      ports_[i].port_id = static_cast<uint16_t>(id);
      rte_eth_conf conf{};
      ASSERT_EQ(rte_eth_dev_configure(ports_[i].port_id, 1, 1, &conf), 0);
      ASSERT_EQ(rte_eth_rx_queue_setup(ports_[i].port_id, 0, 64, SOCKET_ID_ANY, nullptr, pool_), 0);
      ASSERT_EQ(rte_eth_tx_queue_setup(ports_[i].port_id, 0, 64, SOCKET_ID_ANY, nullptr), 0);
      ASSERT_EQ(rte_eth_dev_start(ports_[i].port_id), 0);
    }
  }

  void SetUp() override {
    make_state(kConfig);
    ASSERT_EQ(state_->ports[0].port_id, ports_[0].port_id);
    ASSERT_EQ(state_->ports[1].port_id, ports_[1].port_id);
  }

  // Frees everything the SC transmitted on `port` and returns the frames.
  std::vector<std::vector<uint8_t>> drain_tx(int port) {
    std::vector<std::vector<uint8_t>> frames;
    void* m;
    while (rte_ring_dequeue(ports_[port].tx, &m) == 0) {
      frames.push_back(bytes_of(static_cast<rte_mbuf*>(m)));
      rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    return frames;
  }

  rte_mbuf* small_frame() {
    std::array<uint8_t, 60> frame{};
    return make_packet(frame);
  }

  static inline std::array<RingPort, 2> ports_{};
};

TEST_F(WorkerTest, TransmitQueueFullDropsTheRestAsTxFull) {
  const uint16_t core = state_->core_port();
  for (int i = 0; i < 40; ++i) worker_->send(core, small_frame());
  worker_->flush_all();
  // 40 fit the worker's TX buffer: one flush offers all 40 to a ring with 15
  // free slots.
  EXPECT_EQ(drain_tx(core).size(), 15u);
  EXPECT_EQ(dropped(DropReason::tx_full), 25u);
  EXPECT_EQ(counters_.ports[core].tx_packets.get(), 15u);
  EXPECT_EQ(counters_.ports[core].tx_bytes.get(), 15u * 60);
}

TEST_F(WorkerTest, PollOnceReceivesRunsThePipelineAndTransmits) {
  // An ARP request for the core port's address, received on the core port:
  // the loop must count it, hand it to the downstream pipeline, and the
  // neighbour stage's reply must leave on the same port.
  const uint16_t core = state_->core_port();
  std::array<uint8_t, 60> arp{};
  const uint8_t header[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00,
                            0x01, 0x01, 0x08, 0x06,                                    // Ethernet
                            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,            // request
                            0x02, 0x00, 0x00, 0x00, 0x01, 0x01, 203,  0,    113,  2,   // sender
                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 203,  0,    113,  1};  // target
  std::copy(std::begin(header), std::end(header), arp.begin());
  rte_mbuf* m = make_packet(arp, core);
  ASSERT_EQ(rte_ring_enqueue(ports_[core].rx, m), 0);

  EXPECT_EQ(poll_once(*worker_), 1u);
  EXPECT_EQ(counters_.ports[core].rx_packets.get(), 1u);
  EXPECT_EQ(counters_.ports[core].rx_bytes.get(), 60u);
  EXPECT_EQ(counters_.arp_replies.get(), 1u);
  const auto frames = drain_tx(core);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0][21], 2) << "ARP opcode: reply";
  EXPECT_EQ(counters_.ports[core].tx_packets.get(), 1u);
  EXPECT_EQ(poll_once(*worker_), 0u) << "nothing left to receive";
}

TEST_F(WorkerTest, PollOnceServesTheHandOffRings) {
  // A packet another worker handed over after the SPI lookup is consumed by
  // the owner's loop, which resumes at esp_decrypt: ESP sequence number 0 is
  // never valid (RFC 4303), so it ends as a replay of that SA.
  rte_mbuf* m = small_frame();
  const uint32_t sa = state_->sa_indices_in_config_order.at(0);
  meta(m).sa_index = sa;
  meta(m).sa_generation = state_->sas[sa].generation.load();  // as sa_lookup records it
  meta(m).esp_offset = 0;
  ASSERT_EQ(rte_ring_enqueue(state_->handoff_up[0], m), 0);
  EXPECT_EQ(poll_once(*worker_), 1u);
  EXPECT_EQ(rte_ring_count(state_->handoff_up[0]), 0u);
  EXPECT_EQ(dropped(DropReason::replay), 1u);
  EXPECT_EQ(state_->sas[sa].replayed.get(), 1u);
}

}  // namespace
}  // namespace softwire::dp::testing
