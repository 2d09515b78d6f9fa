// ControlServer and the runtime table operations, driven through a real
// shared-memory segment as softwire-cp would drive them.
#include <gtest/gtest.h>
#include <rte_ring.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "dataplane/upstream.h"
#include "tests/dataplane/control/control_fixture.h"

namespace softwire::dp::testing {
namespace {

using config::Direction;
using shm::MessageType;
using shm::Status;
using upstream_vectors::kVectors;
using upstream_vectors::Vector;

constexpr uint16_t kAccess = 0;
constexpr uint16_t kCore = 1;
constexpr uint32_t kSaIn1 = 4097, kSaOut1 = 69633;  // session 7/9 (s1) in the vectors' config
constexpr uint32_t kSaIn2 = 4098, kSaOut2 = 69634;  // session 7/10 (s2), IPv6 outer

const Vector& vec(std::string_view name) {
  for (const Vector& v : kVectors)
    if (v.name == name) return v;
  ADD_FAILURE() << "no vector " << name;
  return kVectors[0];
}

// ---- SAs ---------------------------------------------------------------------------------

TEST_F(ControlTest, SaAddDeleteAndDuplicates) {
  const uint32_t before = state_->sas_in_use();
  const shm::Message added = call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001)));
  EXPECT_EQ(added.status, Status::kOk) << text(added);
  EXPECT_EQ(state_->sas_in_use(), before + 1);
  const uint32_t index = state_->spi_table.lookup(0x5001);
  ASSERT_NE(index, tables::SpiTable::kNotFound);
  EXPECT_EQ(state_->find_sa(0x5001, shm::Direction::kIn), index);
  EXPECT_TRUE(state_->sas[index].inbound);

  const shm::Message again = call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001)));
  EXPECT_EQ(again.status, Status::kExists);
  EXPECT_NE(text(again).find("spi"), std::string::npos) << text(again);
  // Same SPI, other direction: another SA.
  EXPECT_EQ(call(sa_add(sa_like(kSaOut1, Direction::kOut, 0x5001))).status, Status::kOk);

  EXPECT_EQ(call(sa_delete(0x5001, shm::Direction::kIn)).status, Status::kOk);
  EXPECT_EQ(state_->spi_table.lookup(0x5001), tables::SpiTable::kNotFound);
  EXPECT_FALSE(state_->sa_live(index));
  state_->rcu.reclaim();  // no reader online: the grace period is over
  EXPECT_FALSE(state_->sas[index].key.has_value()) << "key schedule wiped after the grace period";
  EXPECT_EQ(call(sa_delete(0x5001, shm::Direction::kIn)).status, Status::kNotFound);
  EXPECT_EQ(call(sa_delete(0x5001, shm::Direction::kOut)).status, Status::kOk);
  EXPECT_EQ(state_->sas_in_use(), before);
}

TEST_F(ControlTest, SaDeleteRefusedWhileASessionUsesIt) {
  const shm::Message in_use = call(sa_delete(kSaIn1, shm::Direction::kIn));
  EXPECT_EQ(in_use.status, Status::kInUse);
  EXPECT_NE(text(in_use).find("1 session"), std::string::npos) << text(in_use);
  EXPECT_EQ(call(sa_delete(kSaOut1, shm::Direction::kOut)).status, Status::kInUse);
  EXPECT_EQ(call(session_delete(7, 9)).status, Status::kOk);
  EXPECT_EQ(call(sa_delete(kSaIn1, shm::Direction::kIn)).status, Status::kOk);
  EXPECT_EQ(call(sa_delete(kSaOut1, shm::Direction::kOut)).status, Status::kOk);
}

TEST_F(ControlTest, SaTableFull) {
  TearDown();
  std::string text_cfg(upstream_vectors::kConfig);
  text_cfg.replace(text_cfg.find("workers = [ 1 ];"), 16, "workers = [ 1 ]; max_sas = 12;");
  start(text_cfg);
  ASSERT_EQ(state_->sa_capacity, 12u);
  const shm::Message full = call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001)));
  EXPECT_EQ(full.status, Status::kTableFull) << text(full);
  EXPECT_EQ(state_->spi_table.lookup(0x5001), tables::SpiTable::kNotFound);
}

// Every field of an SA record that can be wrong, and the name the reply gives.
TEST_F(ControlTest, EveryInvalidSaField) {
  const std::vector<std::pair<std::string, std::function<void(shm::SaRecord&)>>> cases = {
      {"spi", [](shm::SaRecord& r) { r.spi = 255; }},
      {"direction", [](shm::SaRecord& r) { r.direction = static_cast<shm::Direction>(2); }},
      {"proposal", [](shm::SaRecord& r) { r.proposal = static_cast<shm::Proposal>(4); }},
      {"mode", [](shm::SaRecord& r) { r.mode = static_cast<shm::SaMode>(2); }},
      {"flags", [](shm::SaRecord& r) { r.flags = 0x80; }},
      {"replay_window", [](shm::SaRecord& r) { r.replay_window = 100; }},
      {"replay_window", [](shm::SaRecord& r) { r.replay_window = 8192; }},
      {"replay_window",
       [](shm::SaRecord& r) {
         r.direction = shm::Direction::kOut;
         r.replay_window = 64;
       }},
      {"local_port/remote_port",
       [](shm::SaRecord& r) {
         r.flags = shm::kSaFlagNatT;
         r.remote_port = 0;
       }},
      {"local", [](shm::SaRecord& r) { r.local.family = shm::Family::kNone; }},
      {"local", [](shm::SaRecord& r) { r.local.bytes[3] = 9; }},  // not an access address
      {"remote", [](shm::SaRecord& r) { r.remote.family = shm::Family::kIpv6; }},
      {"remote", [](shm::SaRecord& r) { r.remote.bytes[0] = 224; }},  // multicast
      {"local_ts", [](shm::SaRecord& r) { r.local_ts.length = 33; }},
      {"local_ts",
       [](shm::SaRecord& r) {
         r.mode = shm::SaMode::kTunnel;
         r.local_ts.length = 8;  // 198.51.100.1/8: host bits
       }},
      {"remote_ts", [](shm::SaRecord& r) { r.remote_ts.family = static_cast<shm::Family>(5); }},
      {"local_ts/remote_ts",
       [](shm::SaRecord& r) { r.local_ts.length = 24, r.local_ts.bytes[3] = 0; }},
      {"soft_life", [](shm::SaRecord& r) { r.life_packets = 10, r.soft_life_packets = 11; }},
      {"key", [](shm::SaRecord& r) { r.key_length = 32; }},
      {"key", [](shm::SaRecord& r) { r.key_length = 0; }},
      {"origin", [](shm::SaRecord& r) { r.origin = static_cast<shm::Origin>(2); }},
      {"initial_seq", [](shm::SaRecord& r) { r.initial_seq = uint64_t{1} << 32; }},  // no esn
  };
  const uint32_t before = state_->sas_in_use();
  for (const auto& [field, mutate] : cases) {
    shm::SaRecord r = sa_like(kSaIn1, Direction::kIn, 0x6001);
    mutate(r);
    const shm::Message reply = call(sa_add(r));
    EXPECT_EQ(reply.status, Status::kInvalid) << field;
    EXPECT_EQ(text(reply).rfind(field, 0), 0u) << field << ": " << text(reply);
  }
  EXPECT_EQ(state_->sas_in_use(), before);
  EXPECT_EQ(state_->spi_table.lookup(0x6001), tables::SpiTable::kNotFound);
  EXPECT_EQ(call(sa_delete(1, static_cast<shm::Direction>(9))).status, Status::kInvalid);
}

// ---- Sessions ----------------------------------------------------------------------------

TEST_F(ControlTest, SessionAddDeleteAndDuplicates) {
  ASSERT_EQ(call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001))).status, Status::kOk);
  ASSERT_EQ(call(sa_add(sa_like(kSaOut1, Direction::kOut, 0x5002))).status, Status::kOk);
  const shm::SessionRecord r = session_record("new@example.net", 0x5001, 0x5002, 40, 41,
                                              {"10.40.0.0/24", "2001:db8:40::/64"});
  const shm::Message added = call(session_message(MessageType::kSessionAdd, r));
  ASSERT_EQ(added.status, Status::kOk) << text(added);
  const uint32_t index = state_->find_session(40, 41);
  ASSERT_NE(index, kNoIndex);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a280001), index);
  tables::Ipv6Address v6 = prefix("2001:db8:40::/64").address.bytes;
  v6[15] = 1;
  EXPECT_EQ(state_->prefix_table.lookup_ipv6(v6), index);
  EXPECT_EQ(state_->session_identity[index], "new@example.net");
  EXPECT_EQ(state_->sa_references(state_->find_sa(0x5001, shm::Direction::kIn)), 1u);

  EXPECT_EQ(call(session_message(MessageType::kSessionAdd, r)).status, Status::kExists);
  shm::SessionRecord unknown_sa = r;
  unknown_sa.session_id = 42;
  unknown_sa.sa_in_spi = 0x7777;
  const shm::Message nf = call(session_message(MessageType::kSessionAdd, unknown_sa));
  EXPECT_EQ(nf.status, Status::kNotFound);
  EXPECT_EQ(text(nf).rfind("sa_in_spi", 0), 0u) << text(nf);

  EXPECT_EQ(call(session_delete(40, 41)).status, Status::kOk);
  EXPECT_EQ(state_->find_session(40, 41), kNoIndex);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a280001), tables::PrefixTable::kNoRoute);
  EXPECT_EQ(state_->prefix_table.lookup_ipv6(v6), tables::PrefixTable::kNoRoute);
  EXPECT_FALSE(state_->session_live(index));
  EXPECT_EQ(state_->sa_references(state_->find_sa(0x5001, shm::Direction::kIn)), 0u);
  EXPECT_EQ(call(session_delete(40, 41)).status, Status::kNotFound);
}

TEST_F(ControlTest, SessionAddIsAllOrNothing) {
  const uint32_t sessions = state_->sessions_in_use();
  const uint32_t refs = state_->sa_references(state_->find_sa(kSaIn1, shm::Direction::kIn));
  // The second prefix belongs to session 7/9 already.
  const shm::SessionRecord r =
      session_record("late@example.net", kSaIn1, kSaOut1, 50, 51, {"10.50.0.0/24", "10.1.0.0/30"});
  const shm::Message reply = call(session_message(MessageType::kSessionAdd, r));
  EXPECT_EQ(reply.status, Status::kExists);
  EXPECT_EQ(text(reply).rfind("prefixes[1]", 0), 0u) << text(reply);
  EXPECT_EQ(state_->find_session(50, 51), kNoIndex);
  EXPECT_EQ(state_->sessions_in_use(), sessions);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a320001), tables::PrefixTable::kNoRoute);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a010001), state_->find_session(7, 9));
  EXPECT_EQ(state_->sa_references(state_->find_sa(kSaIn1, shm::Direction::kIn)), refs);
}

TEST_F(ControlTest, SessionTableFull) {
  TearDown();
  std::string text_cfg(upstream_vectors::kConfig);
  text_cfg.replace(text_cfg.find("workers = [ 1 ];"), 16, "workers = [ 1 ]; max_sessions = 6;");
  start(text_cfg);
  const shm::Message full = call(session_message(
      MessageType::kSessionAdd, session_record("x", kSaIn1, kSaOut1, 60, 61, {"10.60.0.0/24"})));
  EXPECT_EQ(full.status, Status::kTableFull) << text(full);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a3c0001), tables::PrefixTable::kNoRoute);
}

TEST_F(ControlTest, EveryInvalidSessionField) {
  const std::vector<std::pair<std::string, std::function<void(shm::SessionRecord&)>>> cases = {
      {"identity", [](shm::SessionRecord& r) { std::memset(r.identity, 'x', sizeof r.identity); }},
      {"identity", [](shm::SessionRecord& r) { r.identity[0] = 0; }},
      {"tunnel_id", [](shm::SessionRecord& r) { r.tunnel_id = 0; }},
      {"session_id", [](shm::SessionRecord& r) { r.session_id = 0; }},
      {"peer_tunnel_id", [](shm::SessionRecord& r) { r.peer_tunnel_id = 0; }},
      {"peer_session_id", [](shm::SessionRecord& r) { r.peer_session_id = 0; }},
      {"peer_port", [](shm::SessionRecord& r) { r.peer_port = 0; }},
      {"mtu", [](shm::SessionRecord& r) { r.mtu = 575; }},
      {"mtu", [](shm::SessionRecord& r) { r.mtu = 9001; }},
      {"prefix_count", [](shm::SessionRecord& r) { r.prefix_count = 9; }},
      {"prefixes[0]", [](shm::SessionRecord& r) { r.prefixes[0].length = 16; }},  // host bits
      {"prefixes[0]", [](shm::SessionRecord& r) { r.prefixes[0].family = shm::Family::kNone; }},
      {"prefixes[0]", [](shm::SessionRecord& r) { r.prefixes[0].length = 33; }},
      // The SA pair must join the same addresses (s2's outbound SA is IPv6).
      {"sa_out_spi", [](shm::SessionRecord& r) { r.sa_out_spi = kSaOut2; }},
      {"origin", [](shm::SessionRecord& r) { r.origin = static_cast<shm::Origin>(7); }},
  };
  const uint32_t sessions = state_->sessions_in_use();
  for (const auto& [field, mutate] : cases) {
    shm::SessionRecord r =
        session_record("bad@example.net", kSaIn1, kSaOut1, 70, 71, {"10.70.1.0/24"});
    mutate(r);
    const shm::Message reply = call(session_message(MessageType::kSessionAdd, r));
    EXPECT_EQ(reply.status, Status::kInvalid) << field;
    EXPECT_EQ(text(reply).rfind(field, 0), 0u) << field << ": " << text(reply);
  }
  EXPECT_EQ(state_->sessions_in_use(), sessions);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a460101), tables::PrefixTable::kNoRoute);
}

TEST_F(ControlTest, ModifySwitchesSaOutAndMtu) {
  ASSERT_EQ(call(sa_add(sa_like(kSaOut1, Direction::kOut, 0x5002))).status, Status::kOk);
  const uint32_t index = state_->find_session(7, 9);
  const uint32_t old_out = state_->find_sa(kSaOut1, shm::Direction::kOut);
  const uint32_t new_out = state_->find_sa(0x5002, shm::Direction::kOut);
  ASSERT_EQ(state_->sessions[index].sa_out.load(), old_out);
  shm::SessionRecord r = state_->session_record(index);
  r.sa_out_spi = 0x5002;
  r.mtu = 1300;
  const shm::Message reply = call(session_message(MessageType::kSessionModify, r));
  ASSERT_EQ(reply.status, Status::kOk) << text(reply);
  EXPECT_EQ(state_->sessions[index].sa_out.load(), new_out);
  EXPECT_EQ(state_->sessions[index].mtu.load(), 1300);
  EXPECT_EQ(state_->sa_references(old_out), 0u);
  EXPECT_EQ(state_->sa_references(new_out), 1u);
  // The old outbound SA is free to go, the new one is not.
  EXPECT_EQ(call(sa_delete(0x5002, shm::Direction::kOut)).status, Status::kInUse);
  EXPECT_EQ(call(sa_delete(kSaOut1, shm::Direction::kOut)).status, Status::kOk);

  r.tunnel_id = 99;
  EXPECT_EQ(call(session_message(MessageType::kSessionModify, r)).status, Status::kNotFound);
  r.tunnel_id = 7;
  r.sa_in_old_spi = 0x9999;
  const shm::Message old = call(session_message(MessageType::kSessionModify, r));
  EXPECT_EQ(old.status, Status::kNotFound);
  EXPECT_EQ(text(old).rfind("sa_in_old_spi", 0), 0u) << text(old);
  r.sa_in_old_spi = shm::kNone;
  r.mtu = 100;
  EXPECT_EQ(call(session_message(MessageType::kSessionModify, r)).status, Status::kInvalid);
  EXPECT_EQ(state_->sessions[index].mtu.load(), 1300) << "a refused modify changes nothing";
}

// Make-before-break: packets of the previous inbound SA still reach the
// session while sa_in_old names it, and no longer once it is cleared.
TEST_F(ControlTest, SaInOldAcceptedByL2tpInputUntilCleared) {
  ASSERT_EQ(call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001))).status, Status::kOk);
  const uint32_t index = state_->find_session(7, 9);
  shm::SessionRecord r = state_->session_record(index);
  r.sa_in_spi = 0x5001;
  r.sa_in_old_spi = kSaIn1;
  ASSERT_EQ(call(session_message(MessageType::kSessionModify, r)).status, Status::kOk);
  EXPECT_EQ(state_->sa_references(state_->find_sa(kSaIn1, shm::Direction::kIn)), 1u);

  const auto run = [&](std::string_view name) {
    const Vector& v = vec(name);
    rte_mbuf* m = make_packet(v.in, v.in_len, kAccess);
    upstream_rx(*worker_, kAccess, &m, 1);
    return worker_->take_tx(kCore);
  };
  auto tx = run("a_v4");  // ESP with SPI 4097, now sa_in_old
  ASSERT_EQ(tx.size(), 1u);
  const Vector& v = vec("a_v4");
  EXPECT_EQ(bytes_of(tx[0]), std::vector<uint8_t>(v.out, v.out + v.out_len));
  for (rte_mbuf* m : tx) rte_pktmbuf_free(m);

  r.sa_in_old_spi = shm::kNone;
  ASSERT_EQ(call(session_message(MessageType::kSessionModify, r)).status, Status::kOk);
  EXPECT_EQ(state_->sa_references(state_->find_sa(kSaIn1, shm::Direction::kIn)), 0u);
  EXPECT_TRUE(run("a_v6_acfc_pfc").empty());
  EXPECT_EQ(dropped(DropReason::session_sa_mismatch), 1u);

  r.sa_in_spi = kSaIn1;  // back to the original SA
  ASSERT_EQ(call(session_message(MessageType::kSessionModify, r)).status, Status::kOk);
  tx = run("a_syn_mss");
  EXPECT_EQ(tx.size(), 1u);
  for (rte_mbuf* m : tx) rte_pktmbuf_free(m);
}

// ---- Prefixes ----------------------------------------------------------------------------

shm::Message binding(uint16_t tunnel, uint16_t session, bool unbind,
                     const std::vector<config::IpPrefix>& prefixes) {
  shm::Message m{};
  m.type = MessageType::kBindPrefixes;
  m.body.prefixes.session = {tunnel, session};
  m.body.prefixes.unbind = unbind ? 1 : 0;
  m.body.prefixes.count = static_cast<uint8_t>(prefixes.size());
  for (size_t i = 0; i < prefixes.size(); ++i)
    m.body.prefixes.prefixes[i] = shm::to_shm(prefixes[i]);
  return m;
}

TEST_F(ControlTest, BindAndUnbindPrefixes) {
  const uint32_t index = state_->find_session(7, 9);
  const auto p1 = prefix("10.80.0.0/24"), p2 = prefix("2001:db8:80::/56");
  ASSERT_EQ(call(binding(7, 9, false, {p1, p2})).status, Status::kOk);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a500007), index);
  EXPECT_EQ(state_->session_prefixes[index].size(), 4u);
  // All or nothing: the second is bound already.
  const shm::Message dup = call(binding(7, 10, false, {prefix("10.81.0.0/24"), p1}));
  EXPECT_EQ(dup.status, Status::kExists);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a510001), tables::PrefixTable::kNoRoute);
  // Unbinding a prefix of another session is refused, whole.
  const shm::Message other = call(binding(7, 10, true, {p1}));
  EXPECT_EQ(other.status, Status::kNotFound);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a500007), index);
  EXPECT_EQ(call(binding(7, 9, true, {p1})).status, Status::kOk);
  EXPECT_EQ(state_->prefix_table.lookup_ipv4(0x0a500007), tables::PrefixTable::kNoRoute);
  EXPECT_EQ(call(binding(99, 9, false, {p1})).status, Status::kNotFound);

  // Invalid bindings.
  shm::Message bad = binding(7, 9, false, {p1});
  bad.body.prefixes.count = 0;
  EXPECT_EQ(text(call(bad)).rfind("count", 0), 0u);
  bad.body.prefixes.count = 9;
  EXPECT_EQ(call(bad).status, Status::kInvalid);
  bad = binding(7, 9, false, {p1});
  bad.body.prefixes.unbind = 2;
  EXPECT_EQ(text(call(bad)).rfind("unbind", 0), 0u);
  bad = binding(7, 9, false, {p1});
  bad.body.prefixes.prefixes[0].length = 8;  // 10.80.0.0/8: host bits
  const shm::Message host_bits = call(bad);
  EXPECT_EQ(host_bits.status, Status::kInvalid);
  EXPECT_EQ(text(host_bits).rfind("prefixes[0]", 0), 0u) << text(host_bits);
  EXPECT_EQ(call(binding(7, 9, false, {p1, p1})).status, Status::kInvalid);
}

// ---- Channel rules -----------------------------------------------------------------------

TEST_F(ControlTest, StaleGenerationIsRefusedAndChangesNothing) {
  const shm::Message reply =
      call(sa_add(sa_like(kSaIn1, Direction::kIn, 0x5001)), generation() + 1);
  EXPECT_EQ(reply.status, Status::kStaleGeneration);
  EXPECT_EQ(state_->find_sa(0x5001, shm::Direction::kIn), kNoIndex);
}

TEST_F(ControlTest, UnknownTypeIsUnsupported) {
  shm::Message m{};
  m.type = static_cast<MessageType>(55);
  EXPECT_EQ(call(m).status, Status::kUnsupported);
  m.type = MessageType::kReply;  // a dp -> cp type is not a command either
  EXPECT_EQ(call(m).status, Status::kUnsupported);
}

TEST_F(ControlTest, CaptureIsStoredForTheWorkers) {
  shm::Message m{};
  m.type = MessageType::kCapture;
  // Any session.
  m.body.capture = shm::CaptureRequest{static_cast<uint8_t>(DropReason::replay), 0, {}, {}, 10};
  EXPECT_EQ(call(m).status, Status::kOk);
  EXPECT_TRUE(state_->drop_capture.armed.load() != 0);
  EXPECT_EQ(state_->drop_capture.reason.load(), static_cast<uint8_t>(DropReason::replay));
  EXPECT_EQ(state_->drop_capture.session_index.load(), shm::kNone);
  EXPECT_EQ(state_->drop_capture.remaining.load(), 10u);
  // One session, named by its key: the dp stores its slot.
  m.body.capture.one_session = 1;
  m.body.capture.session = shm::SessionKey{7, 9};
  EXPECT_EQ(call(m).status, Status::kOk);
  EXPECT_EQ(state_->drop_capture.session_index.load(), state_->find_session(7, 9));
  m.body.capture.count = 0;  // disarm
  EXPECT_EQ(call(m).status, Status::kOk);
  EXPECT_FALSE(state_->drop_capture.armed.load() != 0);
  m.body.capture.count = 10;
  m.body.capture.reason = 200;
  EXPECT_EQ(text(call(m)).rfind("reason", 0), 0u);
  m.body.capture.reason = 0xff;
  m.body.capture.session = shm::SessionKey{7, 999};
  const shm::Message missing = call(m);
  EXPECT_EQ(missing.status, Status::kNotFound);
  EXPECT_EQ(text(missing).rfind("session: no session (7, 999)", 0), 0u) << text(missing);
  m.body.capture.one_session = 2;
  EXPECT_EQ(text(call(m)).rfind("one_session", 0), 0u);
  EXPECT_FALSE(state_->drop_capture.armed.load() != 0) << "refusals leave it disarmed";
}

TEST_F(ControlTest, DeletingTheCapturedSessionEndsTheCapture) {
  shm::Message m{};
  m.type = MessageType::kCapture;
  m.body.capture = shm::CaptureRequest{0xff, 1, {}, shm::SessionKey{7, 9}, 10};
  ASSERT_EQ(call(m).status, Status::kOk);
  ASSERT_TRUE(state_->drop_capture.armed.load() != 0);
  ASSERT_TRUE(state_->delete_session(shm::SessionKey{7, 9}).ok());
  EXPECT_FALSE(state_->drop_capture.armed.load() != 0);
}

// Commands stay queued while the reply ring is full; nothing is lost and the
// replies come in command order.
TEST_F(ControlTest, FullReplyRingLosesNothing) {
  const auto command = [](uint64_t i) {
    // Alternating outcomes, so that replies can be told apart.
    return i % 2 == 0 ? sa_delete(0x7000, shm::Direction::kIn)
                      : sa_delete(kSaIn1, shm::Direction::kIn);
  };
  uint64_t first_id = 0;
  const uint64_t total = shm::kReplyRingRecords + 10;
  uint64_t pushed = 0;
  // The command ring holds half of what the reply ring does: fill in rounds.
  while (pushed < shm::kReplyRingRecords) {
    for (uint32_t i = 0; i < shm::kCommandRingRecords && pushed < shm::kReplyRingRecords; ++i) {
      const uint64_t id = push(command(pushed++));
      if (first_id == 0) first_id = id;
    }
    serve();
  }
  EXPECT_EQ(segment_->replies().depth(), shm::kReplyRingRecords);
  while (pushed < total) push(command(pushed++));
  serve();
  EXPECT_EQ(server_->poll(), 0u) << "no room for replies: nothing executed";
  EXPECT_EQ(segment_->commands().depth(), 10u);
  EXPECT_EQ(segment_->replies().full_count(), 0u) << "the server never pushed into a full ring";

  std::vector<shm::Message> replies = take_replies();
  serve();
  const auto rest = take_replies();
  replies.insert(replies.end(), rest.begin(), rest.end());
  ASSERT_EQ(replies.size(), total);
  for (uint64_t i = 0; i < total; ++i) {
    EXPECT_EQ(replies[i].request_id, first_id + i);
    EXPECT_EQ(replies[i].status, i % 2 == 0 ? Status::kNotFound : Status::kInUse) << i;
  }
  EXPECT_EQ(segment_->commands().depth(), 0u);
  EXPECT_EQ(server_->totals().commands_done, total);
}

// ---- Keys and dumps ----------------------------------------------------------------------

TEST_F(ControlTest, KeysAreWipedFromTheCommandSlot) {
  shm::SaRecord r = sa_like(kSaIn1, Direction::kIn, 0x5001);
  const uint64_t slot_index = segment_->header().commands.tail.load();
  const uint8_t* slot = segment_->base() + segment_->header().commands.offset +
                        (slot_index % shm::kCommandRingRecords) * shm::kMessageSize;
  push(sa_add(r));
  const auto* in_ring = reinterpret_cast<const shm::Message*>(slot);
  ASSERT_EQ(std::memcmp(in_ring->body.sa.key, r.key, 16), 0) << "the key was in the slot";
  serve();
  ASSERT_EQ(take_replies().at(0).status, Status::kOk);
  const uint8_t zeros[32] = {};
  EXPECT_EQ(std::memcmp(in_ring->body.sa.key, zeros, 32), 0);
  EXPECT_EQ(std::memcmp(in_ring->body.sa.salt, zeros, 4), 0);
}

// Dumps return everything a restarted cp needs to adopt the tables: keys,
// origins and the sequence numbers where the SAs are now.
TEST_F(ControlTest, DumpReturnsExactlyTheTables) {
  // A session with 20 prefixes: 8 in its record, 8 + 4 in prefix entries.
  shm::SaRecord dynamic_in = sa_like(kSaIn1, Direction::kIn, 0x5001);
  dynamic_in.origin = shm::Origin::kDynamic;
  dynamic_in.initial_seq = 77;
  ASSERT_EQ(call(sa_add(dynamic_in)).status, Status::kOk);
  shm::SaRecord dynamic_out = sa_like(kSaOut1, Direction::kOut, 0x5002);
  dynamic_out.initial_seq = 500;
  ASSERT_EQ(call(sa_add(dynamic_out)).status, Status::kOk);
  std::vector<config::IpPrefix> many;
  for (int i = 0; i < 20; ++i) many.push_back(prefix("10.90." + std::to_string(i) + ".0/24"));
  shm::SessionRecord r = session_record("many@example.net", 0x5001, 0x5002, 90, 91, {});
  r.origin = shm::Origin::kDynamic;
  ASSERT_EQ(call(session_message(MessageType::kSessionAdd, r)).status, Status::kOk);
  ASSERT_EQ(call(binding(90, 91, false, {many.begin(), many.begin() + 8})).status, Status::kOk);
  ASSERT_EQ(call(binding(90, 91, false, {many.begin() + 8, many.begin() + 16})).status,
            Status::kOk);
  ASSERT_EQ(call(binding(90, 91, false, {many.begin() + 16, many.end()})).status, Status::kOk);
  // And one SA deleted again: it must not appear.
  ASSERT_EQ(call(sa_add(sa_like(kSaIn2, Direction::kIn, 0x5003))).status, Status::kOk);
  ASSERT_EQ(call(sa_delete(0x5003, shm::Direction::kIn)).status, Status::kOk);

  shm::Message dump{};
  dump.type = MessageType::kDump;
  const uint64_t id = push(dump);
  serve();
  const auto out = take_replies();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back().type, MessageType::kReply);
  EXPECT_EQ(out.back().status, Status::kOk);

  std::map<std::pair<uint32_t, int>, shm::SaRecord> sas_seen;
  std::map<std::pair<uint16_t, uint16_t>, std::vector<config::IpPrefix>> prefixes_seen;
  std::map<std::pair<uint16_t, uint16_t>, shm::SessionRecord> sessions_seen;
  for (const shm::Message& m : out) {
    EXPECT_EQ(m.request_id, id);
    EXPECT_EQ(m.generation, generation());
    if (m.type == MessageType::kDumpSa) {
      EXPECT_TRUE(sas_seen
                      .emplace(std::make_pair(m.body.sa.spi, static_cast<int>(m.body.sa.direction)),
                               m.body.sa)
                      .second);
    } else if (m.type == MessageType::kDumpSession) {
      const auto key = std::make_pair(m.body.session.tunnel_id, m.body.session.session_id);
      EXPECT_TRUE(sessions_seen.emplace(key, m.body.session).second);
      for (unsigned i = 0; i < m.body.session.prefix_count; ++i)
        prefixes_seen[key].push_back(
            std::get<config::IpPrefix>(shm::to_config(m.body.session.prefixes[i])));
    } else if (m.type == MessageType::kDumpPrefixes) {
      const auto key =
          std::make_pair(m.body.prefixes.session.tunnel_id, m.body.prefixes.session.session_id);
      EXPECT_TRUE(sessions_seen.count(key)) << "prefixes before their session";
      for (unsigned i = 0; i < m.body.prefixes.count; ++i)
        prefixes_seen[key].push_back(
            std::get<config::IpPrefix>(shm::to_config(m.body.prefixes.prefixes[i])));
    } else {
      EXPECT_EQ(&m, &out.back()) << "only the final reply is not a dump entry";
    }
  }
  // Each SA as added (to_config of the dump = the configuration, key included).
  ASSERT_EQ(sas_seen.size(), config_.sas.size() + 2);
  for (const auto& sa : config_.sas) {
    const auto it = sas_seen.find({sa.spi, sa.direction == Direction::kIn ? 0 : 1});
    ASSERT_NE(it, sas_seen.end()) << sa.spi;
    const auto back = shm::to_config(it->second);
    ASSERT_TRUE(std::holds_alternative<config::SaConfig>(back)) << std::get<std::string>(back);
    const config::SaConfig& got = std::get<config::SaConfig>(back);
    EXPECT_EQ(got.key, sa.key) << sa.spi;
    EXPECT_EQ(got.salt, sa.salt) << sa.spi;
    EXPECT_EQ(got.local_ts, sa.local_ts) << sa.spi;
    EXPECT_EQ(got.replay_window, sa.replay_window) << sa.spi;
    EXPECT_EQ(it->second.origin, shm::Origin::kStatic);
    EXPECT_EQ(it->second.initial_seq, sa.direction == Direction::kIn ? 0u : 1u) << sa.spi;
  }
  const shm::SaRecord& in = sas_seen.at({0x5001, 0});
  EXPECT_EQ(in.origin, shm::Origin::kDynamic);
  EXPECT_EQ(in.initial_seq, 77u);
  EXPECT_EQ(std::memcmp(in.key, dynamic_in.key, 16), 0);
  EXPECT_EQ(sas_seen.at({0x5002, 1}).initial_seq, 500u);
  ASSERT_EQ(sessions_seen.size(), config_.sessions.size() + 1);
  for (const auto& s : config_.sessions) {
    const auto key = std::make_pair(s.tunnel_id, s.session_id);
    ASSERT_TRUE(sessions_seen.count(key)) << s.identity;
    const shm::SessionRecord& d = sessions_seen[key];
    EXPECT_EQ(std::string(d.identity), s.identity);
    EXPECT_EQ(d.sa_in_spi, s.sa_in);
    EXPECT_EQ(d.sa_out_spi, s.sa_out);
    EXPECT_EQ(d.sa_in_old_spi, shm::kNone);
    EXPECT_EQ(d.mtu, s.mtu);
    EXPECT_EQ(d.peer_tunnel_id, s.peer_tunnel_id);
    EXPECT_EQ(d.total_prefixes, s.prefixes.size());
    EXPECT_EQ(prefixes_seen[key], s.prefixes);
  }
  const auto key = std::make_pair(uint16_t{90}, uint16_t{91});
  EXPECT_EQ(sessions_seen[key].total_prefixes, 20u);
  EXPECT_EQ(sessions_seen[key].origin, shm::Origin::kDynamic);
  EXPECT_EQ(sessions_seen[std::make_pair(uint16_t{7}, uint16_t{9})].origin, shm::Origin::kStatic);
  EXPECT_EQ(prefixes_seen[key], many);
}

// A re-installed SA resumes its sequence numbers (SaRecord::initial_seq):
// inbound, what was accepted before counts as seen; outbound, numbering
// continues.
TEST_F(ControlTest, InitialSeqResumesSequenceNumbers) {
  const uint32_t session = state_->find_session(7, 9);
  const shm::SessionRecord s = state_->session_record(session);
  std::vector<config::IpPrefix> prefixes = state_->session_prefixes[session];
  ASSERT_EQ(call(session_delete(7, 9)).status, Status::kOk);
  ASSERT_EQ(call(sa_delete(kSaIn1, shm::Direction::kIn)).status, Status::kOk);
  ASSERT_EQ(call(sa_delete(kSaOut1, shm::Direction::kOut)).status, Status::kOk);
  shm::SaRecord in = sa_like(kSaIn1, Direction::kIn, kSaIn1);
  in.initial_seq = 1000;  // above every vector's sequence number
  ASSERT_EQ(call(sa_add(in)).status, Status::kOk);
  shm::SaRecord out = sa_like(kSaOut1, Direction::kOut, kSaOut1);
  out.initial_seq = 4242;
  ASSERT_EQ(call(sa_add(out)).status, Status::kOk);
  shm::SessionRecord again = s;
  again.prefix_count = static_cast<uint8_t>(prefixes.size());
  for (size_t i = 0; i < prefixes.size(); ++i) again.prefixes[i] = shm::to_shm(prefixes[i]);
  ASSERT_EQ(call(session_message(MessageType::kSessionAdd, again)).status, Status::kOk);

  EXPECT_EQ(state_->sas[state_->find_sa(kSaOut1, shm::Direction::kOut)].next_seq, 4242u);
  const Vector& v = vec("a_v4");
  rte_mbuf* m = make_packet(v.in, v.in_len, kAccess);
  upstream_rx(*worker_, kAccess, &m, 1);
  EXPECT_TRUE(worker_->take_tx(kCore).empty());
  EXPECT_EQ(dropped(DropReason::replay), 1u);
}

// ---- Lifetimes ---------------------------------------------------------------------------

TEST_F(ControlTest, LifetimeEventsGoToTheReplyRingOnce) {
  SaState& sa = state_->sas[state_->find_sa(kSaOut1, shm::Direction::kOut)];
  sa.soft_expired.add();
  sa.seq_exhausted.add();
  server_->poll_lifetimes();
  server_->poll_lifetimes();
  const auto events = take_replies();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, MessageType::kEventSaSoftExpired);
  EXPECT_EQ(events[1].type, MessageType::kEventSeqExhausted);
  for (const auto& e : events) {
    EXPECT_EQ(e.body.sa_key.spi, kSaOut1);
    EXPECT_EQ(e.body.sa_key.direction, shm::Direction::kOut);
    EXPECT_EQ(e.generation, generation());
  }
  sa.hard_expired.add();
  server_->poll_lifetimes();
  const auto hard = take_replies();
  ASSERT_EQ(hard.size(), 1u);
  EXPECT_EQ(hard[0].type, MessageType::kEventSaHardExpired);
}

// ---- Deleted SAs and sessions vs. packets in hand-off rings -------------------------------

class ControlHandoffTest : public ControlTest {
 protected:
  void SetUp() override { start(std::string(upstream_vectors::kConfig), 2); }
};

TEST_F(ControlHandoffTest, PacketsOfADeletedSaAreDroppedByTheOwner) {
  WorkerCounters counters1;
  WorkerContext w1(1, *state_, counters1, 32);
  const uint32_t sa_index = state_->find_sa(kSaIn1, shm::Direction::kIn);
  const uint16_t owner = state_->sas[sa_index].owner;
  WorkerContext& owner_ctx = owner == 0 ? *worker_ : w1;
  WorkerContext& other_ctx = owner == 0 ? w1 : *worker_;
  WorkerCounters& owner_counters = owner == 0 ? counters_ : counters1;
  const Vector& v = vec("a_v4");
  rte_mbuf* m = make_packet(v.in, v.in_len, kAccess);
  upstream_rx(other_ctx, kAccess, &m, 1);
  rte_ring* ring = state_->handoff_up[owner];
  ASSERT_EQ(rte_ring_count(ring), 1u);

  ASSERT_EQ(call(session_delete(7, 9)).status, Status::kOk);
  ASSERT_EQ(call(sa_delete(kSaIn1, shm::Direction::kIn)).status, Status::kOk);
  // The slot is recycled (no reader holds it) and taken by a new SA with
  // other keys: the parked packet must still not be decrypted with it.
  state_->rcu.reclaim();
  ASSERT_EQ(call(sa_add(sa_like(kSaIn1, Direction::kIn, kSaIn1))).status, Status::kOk);

  ASSERT_EQ(rte_ring_sc_dequeue(ring, reinterpret_cast<void**>(&m)), 0);
  upstream_owned(owner_ctx, &m, 1);
  EXPECT_TRUE(owner_ctx.take_tx(kCore).empty());
  EXPECT_EQ(owner_counters.drops[static_cast<size_t>(DropReason::sa_deleted)].get(), 1u);
  EXPECT_EQ(state_->sas[state_->find_sa(kSaIn1, shm::Direction::kIn)].replayed.get(), 0u);
  EXPECT_EQ(state_->sas[state_->find_sa(kSaIn1, shm::Direction::kIn)].auth_failed.get(), 0u);
}

}  // namespace
}  // namespace softwire::dp::testing
