// Upstream pipeline tests: scapy-made SI frames in, exact core frames out,
// every upstream drop reason and punt kind counted exactly.
#include "dataplane/upstream.h"

#include <gtest/gtest.h>
#include <rte_ring.h>

#include <cstring>  // before dp_fixture.h, which uses std::memcpy without it
#include <string>
#include <vector>

#include "dataplane/stages/inner_ip.h"
#include "tests/dataplane/dp_fixture.h"
#include "upstream_vectors.h"

namespace softwire::dp::testing {
namespace {

using upstream_vectors::kVectors;
using upstream_vectors::Vector;

constexpr uint16_t kAccess = 0;
constexpr uint16_t kCore = 1;

const Vector& vec(std::string_view name) {
  for (const Vector& v : kVectors)
    if (v.name == name) return v;
  ADD_FAILURE() << "no vector " << name;
  return kVectors[0];
}

class UpstreamTest : public DataplaneTest {
 protected:
  void SetUp() override { make_state(std::string(upstream_vectors::kConfig)); }

  rte_mbuf* packet(std::string_view name, size_t len = SIZE_MAX) {
    const Vector& v = vec(name);
    return make_packet(v.in, std::min(len, v.in_len), kAccess);
  }

  // Runs the named frames as one burst on worker `w` (default: worker_).
  std::vector<rte_mbuf*> run(std::vector<std::string_view> names, WorkerContext* w = nullptr) {
    if (w == nullptr) w = worker_.get();
    std::vector<rte_mbuf*> burst;
    for (auto name : names) burst.push_back(packet(name));
    upstream_rx(*w, kAccess, burst.data(), static_cast<uint16_t>(burst.size()));
    EXPECT_TRUE(w->take_tx(kAccess).empty());
    return w->take_tx(kCore);
  }

  static void free_all(std::vector<rte_mbuf*>& pkts) {
    for (rte_mbuf* m : pkts) rte_pktmbuf_free(m);
    pkts.clear();
  }

  // Forwards `name` alone and checks the core frame against scapy's.
  void expect_forwarded(std::string_view name) {
    auto tx = run({name});
    EXPECT_EQ(tx.size(), 1u) << name << ": " << drop_summary();
    const Vector& v = vec(name);
    if (!tx.empty()) {
      EXPECT_EQ(bytes_of(tx[0]), std::vector<uint8_t>(v.out, v.out + v.out_len)) << name;
    }
    free_all(tx);
  }

  std::string drop_summary() const {
    std::string out;
    for (size_t i = 0; i < kDropReasonCount; ++i)
      if (counters_.drops[i].get() != 0)
        out += std::string(kDropReasons[i].name) + "=" + std::to_string(counters_.drops[i].get()) +
               " ";
    return out;
  }

  uint64_t total_drops() const {
    uint64_t sum = 0;
    for (const auto& c : counters_.drops) sum += c.get();
    return sum;
  }
  uint64_t total_punts() const {
    uint64_t sum = 0;
    for (const auto& c : counters_.punts) sum += c.get();
    return sum;
  }

  SaState& sa(uint32_t spi) {
    const uint32_t index = state_->spi_table.lookup(spi);
    EXPECT_NE(index, tables::SpiTable::kNotFound);
    return state_->sas[index];
  }
  SessionState& session(uint16_t tunnel, uint16_t id) {
    const uint32_t index = state_->session_table.lookup(tables::SessionKey{tunnel, id});
    EXPECT_NE(index, tables::SessionTable::kNotFound);
    return state_->sessions[index];
  }
};

TEST_F(UpstreamTest, ForwardsEverySaModeAndFamilyExactly) {
  const std::vector<std::string_view> names = {
      "a_v4",     "a_v6_acfc_pfc",    "a_syn_mss",     "a_syn6_mss",
      "b_v4_esn", "c_v6_natt_tunnel", "d_v4_gmac_esn", "e_v4_natt_tunnel_v6",
      "a_padded"};
  auto tx = run(names);  // one burst: one crypto call over four SAs
  EXPECT_EQ(tx.size(), names.size()) << drop_summary();
  for (size_t i = 0; i < std::min(names.size(), tx.size()); ++i) {
    const Vector& v = vec(names[i]);
    EXPECT_EQ(bytes_of(tx[i]), std::vector<uint8_t>(v.out, v.out + v.out_len)) << names[i];
  }
  free_all(tx);
  EXPECT_EQ(total_drops(), 0u);
  SessionState& s1 = session(7, 9);
  EXPECT_EQ(s1.up_packets.get(), 5u);
  uint64_t bytes = 0;
  for (auto n : {"a_v4", "a_v6_acfc_pfc", "a_syn_mss", "a_syn6_mss", "a_padded"})
    bytes += vec(n).out_len - 14;
  EXPECT_EQ(s1.up_bytes.get(), bytes);
  EXPECT_EQ(sa(0x1001).packets.get(), 5u);
  EXPECT_EQ(sa(0x1003).packets.get(), 1u);
  EXPECT_EQ(sa(0x1004).packets.get(), 1u);
}

struct DropCase {
  const char* vector;
  DropReason reason;
};

TEST_F(UpstreamTest, EveryDropReasonIsCountedExactly) {
  const DropCase cases[] = {
      {"runt", DropReason::malformed_l2},
      {"vlan", DropReason::malformed_l2},
      {"wrong_mac", DropReason::not_for_us},
      {"bad_ip_checksum", DropReason::malformed_ip},
      {"bad_ipv6_length", DropReason::malformed_ip},
      {"frag4", DropReason::fragment},
      {"frag6", DropReason::fragment},
      {"other_dst", DropReason::not_for_us},
      {"tcp_to_us", DropReason::unexpected_protocol},
      {"udp_53", DropReason::unexpected_protocol},
      {"keepalive", DropReason::nat_keepalive},
      {"bad_udp_len", DropReason::malformed_udp},
      {"esp_reserved_spi", DropReason::malformed_esp},
      {"esp_short", DropReason::malformed_esp},
      {"esp_unaligned", DropReason::malformed_esp},
      {"unknown_spi", DropReason::unknown_spi},
      {"a_in_udp", DropReason::encap_mismatch},
      {"c_without_udp", DropReason::encap_mismatch},
      {"a_forged", DropReason::auth_failed},
      {"a_bad_padding", DropReason::bad_padding},
      {"a_bad_nh", DropReason::bad_next_header},
      {"a_dummy", DropReason::dummy_packet},
      {"c_bad_nh", DropReason::bad_next_header},
      {"c_malformed_inner", DropReason::malformed_inner},
      {"c_selector_src", DropReason::selector_mismatch},
      {"c_selector_proto", DropReason::selector_mismatch},
      {"dec_bad_udp", DropReason::malformed_udp},
      {"dport_1702", DropReason::selector_mismatch},
      {"l2tp_v3", DropReason::malformed_l2tp},
      {"unknown_session", DropReason::unknown_session},
      {"inject_s2", DropReason::session_sa_mismatch},
      {"bad_ppp", DropReason::malformed_ppp},
      {"v6_in_ipv4_ppp", DropReason::malformed_inner},
      {"bad_inner_checksum", DropReason::malformed_inner},
      {"spoof_other_session", DropReason::spoofed_source},
      {"spoof_unassigned", DropReason::spoofed_source},
      {"ttl1", DropReason::ttl_expired},
      {"hlim1", DropReason::ttl_expired},
  };
  for (const DropCase& c : cases) {
    const uint64_t before = dropped(c.reason), all_before = total_drops();
    auto tx = run({c.vector});
    EXPECT_TRUE(tx.empty()) << c.vector;
    free_all(tx);
    EXPECT_EQ(dropped(c.reason), before + 1)
        << c.vector << " not counted as " << to_string(c.reason);
    EXPECT_EQ(total_drops(), all_before + 1) << c.vector;
  }
  EXPECT_EQ(total_punts(), 0u);
  EXPECT_EQ(sa(0x1001).auth_failed.get(), 1u);
  EXPECT_EQ(session(7, 9).spoofed.get(), 2u);
  EXPECT_EQ(session(7, 10).up_packets.get(), 0u);  // the injection did not reach s2
}

TEST_F(UpstreamTest, EveryPuntKindIsCountedExactly) {
  const std::pair<const char*, PuntKind> cases[] = {
      {"icmp4", PuntKind::icmp},
      {"icmp6_echo", PuntKind::icmp},
      {"ike500", PuntKind::ike},
      {"ike4500", PuntKind::ike},
      {"l2tp_control", PuntKind::l2tp_control},
      {"lcp", PuntKind::ppp_control},
  };
  for (const auto& [name, kind] : cases) {
    const uint64_t before = punted(kind), all = total_punts();
    auto tx = run({name});
    EXPECT_TRUE(tx.empty()) << name;
    free_all(tx);
    EXPECT_EQ(punted(kind), before + 1) << name;
    EXPECT_EQ(total_punts(), all + 1) << name;
  }
  EXPECT_EQ(total_drops(), 0u);
}

TEST_F(UpstreamTest, ReplayedPacketsAreDropped) {
  expect_forwarded("a_v4");
  auto tx = run({"a_v4"});
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(dropped(DropReason::replay), 1u);
  // The same sequence number twice in one burst: both pass the pre-check,
  // the second fails the post-authentication update.
  tx = run({"a_v6_acfc_pfc", "a_v6_acfc_pfc"});
  EXPECT_EQ(tx.size(), 1u);
  free_all(tx);
  EXPECT_EQ(dropped(DropReason::replay), 2u);
  EXPECT_EQ(sa(0x1001).replayed.get(), 2u);
  EXPECT_EQ(sa(0x1001).packets.get(), 2u);
  // Left of the window (64): 100 then 30.
  tx = run({"b_seq100", "b_seq30"});
  EXPECT_EQ(tx.size(), 1u);
  free_all(tx);
  EXPECT_EQ(dropped(DropReason::replay), 3u);
}

TEST_F(UpstreamTest, ForgedPacketsNeverAdvanceTheWindow) {
  for (auto name : {"b_seq1000_forged", "c_forged", "d_forged"}) {
    auto tx = run({name});
    EXPECT_TRUE(tx.empty());
  }
  EXPECT_EQ(dropped(DropReason::auth_failed), 3u);
  for (uint32_t spi : {0x1002u, 0x1003u, 0x1004u}) {
    EXPECT_EQ(sa(spi).auth_failed.get(), 1u);
    EXPECT_EQ(sa(spi).window->highest(), 0u);
    EXPECT_EQ(sa(spi).packets.get(), 0u);
  }
  // Had 1000 been accepted, 30 would be left of the 64-packet window.
  auto tx = run({"b_seq30"});
  EXPECT_EQ(tx.size(), 1u);
  free_all(tx);
  EXPECT_EQ(sa(0x1002).window->highest(), 30u);
  expect_forwarded("c_v6_natt_tunnel");
  expect_forwarded("d_v4_gmac_esn");
}

TEST_F(UpstreamTest, HardLifetimeExpiresTheSa) {
  SaState& f = sa(0x1006);
  expect_forwarded("f_1");
  EXPECT_EQ(f.soft_expired.get(), 0u);
  expect_forwarded("f_2");
  EXPECT_EQ(f.soft_expired.get(), 1u);
  EXPECT_EQ(f.hard_expired.get(), 0u);
  expect_forwarded("f_3");
  EXPECT_EQ(f.hard_expired.get(), 1u);
  auto tx = run({"f_4"});
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(dropped(DropReason::sa_expired), 1u);
  EXPECT_EQ(f.packets.get(), 3u);
}

TEST_F(UpstreamTest, HardLifetimeHoldsWithinOneBurst) {
  auto tx = run({"f_1", "f_2", "f_3", "f_4"});
  EXPECT_EQ(tx.size(), 3u);
  free_all(tx);
  EXPECT_EQ(dropped(DropReason::sa_expired), 1u);
  EXPECT_EQ(sa(0x1006).packets.get(), 3u);
}

TEST_F(UpstreamTest, TruncationAtEveryOffsetIsDroppedAndCounted) {
  for (auto name :
       {"a_v4", "b_v4_esn", "c_v6_natt_tunnel", "d_v4_gmac_esn", "e_v4_natt_tunnel_v6"}) {
    const Vector& v = vec(name);
    for (size_t len = 0; len < v.in_len; ++len) {
      const uint64_t before = total_drops() + total_punts();
      rte_mbuf* m = packet(name, len);
      upstream_rx(*worker_, kAccess, &m, 1);
      auto tx = worker_->take_tx(kCore);
      EXPECT_TRUE(tx.empty()) << name << " cut at " << len;
      free_all(tx);
      EXPECT_EQ(total_drops() + total_punts(), before + 1) << name << " cut at " << len;
    }
    // Nothing truncated touched the replay window: the whole packet passes.
    expect_forwarded(name);
  }
  EXPECT_EQ(total_punts(), 0u);
}

TEST_F(UpstreamTest, InnerIpHelpers) {
  uint8_t ip4[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 1, 17};
  EXPECT_FALSE(decrement_ttl(ip4, false));
  EXPECT_EQ(ip4[8], 1);
  uint8_t ip6[40] = {0x60};
  ip6[7] = 0;
  EXPECT_FALSE(decrement_ttl(ip6, true));
  EXPECT_EQ(mss_for_mtu(1500, false), 1460);
  EXPECT_EQ(mss_for_mtu(1500, true), 1440);
}

class UpstreamHandoffTest : public UpstreamTest {
 protected:
  void SetUp() override { make_state(std::string(upstream_vectors::kConfig), 2); }
};

TEST_F(UpstreamHandoffTest, PacketsGoToTheSaOwner) {
  WorkerCounters counters1;
  WorkerContext w1(1, *state_, counters1, 32);
  const uint16_t owner = sa(0x1001).owner;
  WorkerContext& owner_ctx = owner == 0 ? *worker_ : w1;
  WorkerContext& other_ctx = owner == 0 ? w1 : *worker_;
  auto tx = run({"a_v4"}, &other_ctx);
  EXPECT_TRUE(tx.empty());
  rte_ring* ring = state_->handoff_up[owner];
  ASSERT_EQ(rte_ring_count(ring), 1u);
  rte_mbuf* m = nullptr;
  ASSERT_EQ(rte_ring_sc_dequeue(ring, reinterpret_cast<void**>(&m)), 0);
  upstream_owned(owner_ctx, &m, 1);
  tx = owner_ctx.take_tx(kCore);
  ASSERT_EQ(tx.size(), 1u);
  const Vector& v = vec("a_v4");
  EXPECT_EQ(bytes_of(tx[0]), std::vector<uint8_t>(v.out, v.out + v.out_len));
  free_all(tx);

  // A full ring drops and counts.
  static int dummy;
  std::vector<void*> fill(rte_ring_free_count(ring), &dummy);
  ASSERT_EQ(rte_ring_enqueue_bulk(ring, fill.data(), static_cast<unsigned>(fill.size()), nullptr),
            fill.size());
  WorkerCounters& other_counters = owner == 0 ? counters1 : counters_;
  tx = run({"a_v6_acfc_pfc"}, &other_ctx);
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(other_counters.drops[static_cast<size_t>(DropReason::handoff_full)].get(), 1u);
  std::vector<void*> drain(fill.size());
  EXPECT_EQ(rte_ring_dequeue_bulk(ring, drain.data(), static_cast<unsigned>(drain.size()), nullptr),
            drain.size());
}

}  // namespace
}  // namespace softwire::dp::testing
