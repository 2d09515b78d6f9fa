// A DataplaneState (dp_fixture, EAL --no-huge) served by a ControlServer
// through a real shared-memory segment with a unique instance name, plus a
// minimal "control plane" that pushes commands and collects replies.
#pragma once

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>  // before dp_fixture.h, which uses std::memcpy without it
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/addresses.h"
#include "dataplane/control_server.h"
#include "shm/records.h"
#include "shm/segment.h"
#include "tests/dataplane/dp_fixture.h"
#include "upstream_vectors.h"

namespace softwire::dp::testing {

class ControlTest : public DataplaneTest {
 protected:
  void SetUp() override { start(std::string(upstream_vectors::kConfig)); }

  void start(const std::string& config_text, unsigned workers = 1) {
    make_state(config_text, workers);
    static int serial = 0;
    instance_ = "dp1test-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
    segment_.emplace(shm::Segment::create(
        instance_, {workers, state_->sa_capacity, state_->session_capacity}, 0x5eed0001));
    server_ = std::make_unique<ControlServer>(*state_, *segment_, pool_, true);
  }

  void TearDown() override {
    server_.reset();
    if (segment_) {
      segment_->unlink();
      segment_.reset();
    }
    DataplaneTest::TearDown();
  }

  uint64_t generation() const { return segment_->header().generation; }

  // Queues a command; returns its request id.
  uint64_t push(shm::Message m, std::optional<uint64_t> generation = std::nullopt) {
    m.request_id = ++last_request_;
    m.generation = generation.value_or(this->generation());
    EXPECT_TRUE(segment_->commands().push(&m, sizeof m)) << "command ring full";
    return m.request_id;
  }
  // Runs the server until it is idle.
  void serve() {
    for (int i = 0; i < 100000 && server_->poll() != 0; ++i) {
    }
  }
  std::vector<shm::Message> take_replies() {
    std::vector<shm::Message> out;
    const shm::RingView ring = segment_->replies();
    while (const uint8_t* slot = ring.peek()) {
      shm::Message m;
      std::memcpy(&m, slot, sizeof m);
      out.push_back(m);
      ring.pop();
    }
    return out;
  }
  // One command, served, and its single reply.
  shm::Message call(const shm::Message& m, std::optional<uint64_t> generation = std::nullopt) {
    const uint64_t id = push(m, generation);
    serve();
    const auto replies = take_replies();
    EXPECT_EQ(replies.size(), 1u);
    if (replies.empty()) return shm::Message{};
    EXPECT_EQ(replies[0].type, shm::MessageType::kReply);
    EXPECT_EQ(replies[0].request_id, id);
    EXPECT_EQ(replies[0].generation, this->generation());
    return replies[0];
  }
  static std::string text(const shm::Message& reply) {
    std::string t;
    shm::read_string(reply.body.text, sizeof reply.body.text, t);
    return t;
  }

  // ---- Records.
  const config::SaConfig& sa_config(uint32_t spi, config::Direction d) const {
    const config::SaConfig* sa = config_.find_sa(spi, d);
    EXPECT_NE(sa, nullptr);
    return *sa;
  }
  // The configured SA `spi`, as a record with another SPI.
  shm::SaRecord sa_like(uint32_t spi, config::Direction d, uint32_t new_spi) const {
    shm::SaRecord r = shm::to_record(sa_config(spi, d));
    r.spi = new_spi;
    return r;
  }
  static shm::Message sa_add(const shm::SaRecord& r) {
    shm::Message m{};
    m.type = shm::MessageType::kSaAdd;
    m.body.sa = r;
    return m;
  }
  static shm::Message sa_delete(uint32_t spi, shm::Direction d) {
    shm::Message m{};
    m.type = shm::MessageType::kSaDelete;
    m.body.sa_key.spi = spi;
    m.body.sa_key.direction = d;
    return m;
  }
  static shm::Message session_message(shm::MessageType type, const shm::SessionRecord& r) {
    shm::Message m{};
    m.type = type;
    m.body.session = r;
    return m;
  }
  static shm::Message session_delete(uint16_t tunnel, uint16_t session) {
    shm::Message m{};
    m.type = shm::MessageType::kSessionDelete;
    m.body.session_key = {tunnel, session};
    return m;
  }
  static shm::SessionRecord session_record(const std::string& identity, uint32_t sa_in,
                                           uint32_t sa_out, uint16_t tunnel, uint16_t session,
                                           const std::vector<std::string>& prefixes) {
    config::SessionConfig c;
    c.identity = identity;
    c.sa_in = sa_in;
    c.sa_out = sa_out;
    c.tunnel_id = tunnel;
    c.session_id = session;
    c.peer_tunnel_id = 100;
    c.peer_session_id = 200;
    for (const auto& p : prefixes) c.prefixes.push_back(prefix(p));
    return shm::to_record(c);
  }
  static config::IpPrefix prefix(const std::string& text) {
    const auto parsed = config::parse_ip_prefix(text);
    EXPECT_TRUE(parsed) << text;
    return *parsed.value;
  }

  std::string instance_;
  std::optional<shm::Segment> segment_;
  std::unique_ptr<ControlServer> server_;
  uint64_t last_request_ = 0;
};

}  // namespace softwire::dp::testing
