// CpService against FakeDataplane: the punt loop (LCP echo answered through
// the inject ring, security samples logged with the identity), drop capture,
// operator requests and --observe-only.
#include "control/cp_service.h"

#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "config/loader.h"
#include "shm/records.h"
#include "tests/control/fake_dataplane.h"

namespace softwire::cp {
namespace {

using testing::FakeDataplane;
using testing::unique_instance;

std::string config_text(const std::string& instance) {
  return "instance = \"" + instance + "\";\n" + R"(
dataplane = { workers = [ 1 ]; };
ports = (
  { name = "access"; role = "access"; device = "net_null0"; mac = "02:00:00:00:00:02";
    addresses = [ "198.51.100.1/24" ]; gateway_mac = "02:00:00:00:00:01"; },
  { name = "core"; role = "core"; device = "net_null1"; mac = "02:00:00:00:01:02";
    addresses = [ "203.0.113.1/24" ]; gateway_mac = "02:00:00:00:01:01"; }
);
sas = (
  { spi = 0x1001; direction = "in"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x000102030405060708090a0b0c0d0e0f01020304"; },
  { spi = 0x2001; direction = "out"; local = "198.51.100.1"; remote = "192.0.2.1";
    proposal = "aes128gcm16"; key = "0x000102030405060708090a0b0c0d0e0f01020304"; }
);
sessions = (
  { identity = "alice@example.net"; sa_in = 0x1001; sa_out = 0x2001; tunnel_id = 1;
    session_id = 1; peer_tunnel_id = 11; peer_session_id = 11; prefixes = [ "10.1.0.0/24" ]; }
);
control = { socket = "/tmp/unused.sock"; };
)";
}

const std::vector<std::string> kDropReasons = {"unknown_spi", "auth_failed", "replay",
                                               "spoofed_source"};
const std::vector<std::string> kPuntKinds = {"l2tp_control", "ppp_control", "ike", "icmp"};

// Names are written once by the data plane when it creates the segment.
void write_names(const FakeDataplane& dp) {
  shm::StatsHeader& s = dp.segment().header().stats;
  for (size_t i = 0; i < kDropReasons.size(); ++i)
    shm::copy_string(s.drop_reason_names[i], shm::kNameLength, kDropReasons[i]);
  for (size_t i = 0; i < kPuntKinds.size(); ++i)
    shm::copy_string(s.punt_kind_names[i], shm::kNameLength, kPuntKinds[i]);
  s.drop_reason_count = static_cast<uint32_t>(kDropReasons.size());
  s.punt_kind_count = static_cast<uint32_t>(kPuntKinds.size());
  s.ports = 2;
  shm::copy_string(s.port_names[0], shm::kNameLength, "access");
  shm::copy_string(s.port_names[1], shm::kNameLength, "core");
  s.port_roles[1] = 1;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dp_.start();
    write_names(dp_);
    config_ = config::load_config_text(config_text(dp_.instance()), "test.conf");
  }
  void make_service(bool observe_only) {
    CpService::Options o;
    o.observe_only = observe_only;
    o.log = &log_;
    o.security_log = &security_;
    o.link.instance = dp_.instance();
    o.link.attach_retry_ns = 0;
    service_ = std::make_unique<CpService>(config_, metrics_, o);
  }
  template <typename F>
  bool pump(F done) {
    const uint64_t deadline = shm::monotonic_ns() + 30'000'000'000ull;
    while (shm::monotonic_ns() < deadline) {
      service_->poll();
      if (done()) return true;
      sched_yield();
    }
    return false;
  }
  // Sends a request; returns the response once it arrived.
  std::optional<JsonValue> request(const std::string& line) {
    std::optional<std::string> response;
    service_->handle(line, [&](const std::string& r) { response = r; });
    if (!pump([&] { return response.has_value(); })) return std::nullopt;
    return parse_json(*response);
  }
  void push_punt(unsigned worker, const shm::PacketRecord& record) {
    ASSERT_TRUE(dp_.segment().punt(worker).push(&record, sizeof record));
  }

  FakeDataplane dp_{unique_instance("service")};
  config::Config config_;
  CpMetrics metrics_;
  std::ostringstream log_, security_;
  std::unique_ptr<CpService> service_;
};

TEST_F(ServiceTest, AnswersLcpEchoThroughTheInjectRing) {
  make_service(false);
  ASSERT_TRUE(pump([&] { return service_->controller()->synced(); }));
  shm::PacketRecord echo{};
  echo.kind = shm::PacketKind::kPunt;
  echo.punt_kind = 1;  // ppp_control
  echo.layer = shm::Layer::kPpp;
  echo.session = {1, 1};
  echo.session_index = 0;
  const uint8_t frame[] = {0xff, 0x03, 0xc0, 0x21, 9,   7,   0,   12,
                           0x11, 0x22, 0x33, 0x44, 'h', 'i', '!', '!'};
  std::memcpy(echo.data, frame, sizeof frame);
  echo.length = sizeof frame;
  push_punt(1, echo);
  const shm::RingView inject = dp_.segment().inject();
  ASSERT_TRUE(pump([&] { return inject.depth() == 1; }));
  shm::PacketRecord reply;
  std::memcpy(&reply, inject.peek(), sizeof reply);
  EXPECT_EQ(reply.kind, shm::PacketKind::kInjectPpp);
  EXPECT_EQ(reply.session.tunnel_id, 1);
  const uint8_t expected[] = {0xc0, 0x21, 10, 7, 0, 12, 0, 0, 0, 0, 'h', 'i', '!', '!'};
  ASSERT_EQ(reply.length, sizeof expected);
  EXPECT_EQ(std::memcmp(reply.data, expected, sizeof expected), 0);
  EXPECT_EQ(metrics_.lcp_echo_replies.load(), 1u);
  EXPECT_EQ(metrics_.punts_received[1].load(), 1u);
  auto counters = request(R"({"id":1,"json":true,"args":["show","counters"]})");
  ASSERT_TRUE(counters);
  const JsonValue* cp = counters->find("result")->find("controlplane");
  EXPECT_EQ(cp->find("lcp_echo_replies")->number, 1);
  EXPECT_EQ(cp->find("punts_received")->find("ppp_control")->number, 1);
}

TEST_F(ServiceTest, SecuritySamplesCarryTheIdentity) {
  make_service(false);
  ASSERT_TRUE(pump([&] { return service_->controller()->synced(); }));
  shm::PacketRecord sample{};
  sample.kind = shm::PacketKind::kSecuritySample;
  sample.drop_reason = 3;  // spoofed_source
  sample.session = {1, 1};
  sample.spi = 0x1001;
  sample.sa_index = 0;
  sample.session_index = 0;
  sample.outer_src.family = shm::Family::kIpv4;
  sample.outer_src.bytes[0] = 192;
  sample.outer_src.bytes[3] = 1;
  push_punt(0, sample);
  sample.drop_reason = 1;  // auth_failed: by SPI only
  sample.session = {0, 0};
  push_punt(0, sample);
  ASSERT_TRUE(pump([&] { return metrics_.security_samples.load() == 2; }));
  // One JSON object per line, each with the identity that owns the session / SA.
  std::istringstream lines(security_.str());
  std::vector<std::string> events;
  for (std::string line; std::getline(lines, line);) {
    auto v = parse_json(line);
    ASSERT_TRUE(v) << line;
    events.push_back(v->find("event")->string);
    ASSERT_NE(v->find("identity"), nullptr) << line;
    EXPECT_EQ(v->find("identity")->string, "alice@example.net");
  }
  EXPECT_EQ(events, (std::vector<std::string>{"spoofing", "auth_failure"}));
}

TEST_F(ServiceTest, CaptureCollectsDropsAndDisarms) {
  make_service(false);
  ASSERT_TRUE(pump([&] { return service_->controller()->synced(); }));
  std::optional<std::string> response;
  service_->handle(R"({"id":9,"args":["capture","drops","--reason","replay","--count","2",)"
                   R"("--write","x.pcapng"]})",
                   [&](const std::string& r) { response = r; });
  // Armed once the data plane acknowledged it.
  ASSERT_TRUE(pump([&] { return service_->link().in_flight() == 0; }));
  EXPECT_FALSE(response.has_value());
  shm::PacketRecord drop{};
  drop.kind = shm::PacketKind::kDropCapture;
  drop.drop_reason = 2;
  drop.layer = shm::Layer::kEthernet;
  drop.session = {1, 1};
  drop.spi = shm::kNone;
  drop.length = 3;
  drop.original_length = 60;
  drop.data[0] = 0xab;
  drop.timestamp_ns = 1234;
  push_punt(0, drop);
  push_punt(1, drop);
  ASSERT_TRUE(pump([&] { return response.has_value(); }));
  auto v = parse_json(*response);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("code")->number, 0);
  const JsonValue& packets = *v->find("result")->find("packets");
  ASSERT_EQ(packets.array.size(), 2u);
  EXPECT_EQ(packets.array[0].find("reason")->string, "replay");
  EXPECT_EQ(packets.array[0].find("identity")->string, "alice@example.net");
  EXPECT_EQ(packets.array[0].find("data")->string, "ab0000");
  EXPECT_EQ(packets.array[0].find("original_length")->number, 60);
  ASSERT_TRUE(pump([&] { return service_->link().in_flight() == 0; }));
  // Armed with the reason's index and the count, then disarmed.
  const auto executed = dp_.executed();
  EXPECT_EQ(std::count(executed.begin(), executed.end(), shm::MessageType::kCapture), 2);
  auto bad = request(R"({"id":10,"args":["capture","drops","--reason","nope","--write","x"]})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->find("code")->number, 2);
  EXPECT_EQ(bad->find("error")->string.rfind("--reason: \"nope\" is not a drop reason", 0), 0u);
}

TEST_F(ServiceTest, RequestsAreCheckedAndAnswered) {
  make_service(false);
  ASSERT_TRUE(pump([&] { return service_->controller()->synced(); }));
  auto r = request("not json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->find("code")->number, 2);
  r = request(R"({"id":3,"args":["frobnicate"]})");
  EXPECT_EQ(r->find("error")->string, "command: unknown: frobnicate");
  EXPECT_EQ(r->find("id")->number, 3);
  r = request(R"({"id":4,"args":["session","add","identity=b","sa_in=0x1001","sa_out=0x2001",)"
              R"("tunnel_id=1","session_id=2","peer_tunnel_id=1","peer_session_id=2",)"
              R"("prefixes=10.1.0.128/25"]})");
  EXPECT_EQ(r->find("code")->number, 1);
  EXPECT_EQ(r->find("error")->string,
            "prefixes: 10.1.0.128/25 overlaps a prefix of session \"alice@example.net\"");
  r = request(R"({"id":5,"args":["wait-synced","5"]})");
  EXPECT_EQ(r->find("code")->number, 0);
  EXPECT_TRUE(r->find("result")->find("synced")->boolean);
  r = request(R"({"id":6,"json":true,"args":["show","drops","--all"]})");
  EXPECT_EQ(r->find("result")->find("drops")->object.size(), kDropReasons.size());
  r = request(R"({"id":7,"json":true,"args":["show","drops"]})");
  EXPECT_TRUE(r->find("result")->find("drops")->object.empty());
}

TEST_F(ServiceTest, ObserveOnlyNeverWrites) {
  make_service(true);
  ASSERT_TRUE(pump([&] { return service_->link().connected(); }));
  shm::PacketRecord punt{};
  punt.kind = shm::PacketKind::kPunt;
  push_punt(0, punt);
  auto r = request(R"({"id":1,"args":["session","del","alice@example.net"]})");
  EXPECT_EQ(r->find("code")->number, 1);
  EXPECT_NE(r->find("error")->string.find("--observe-only"), std::string::npos);
  r = request(R"({"id":2,"json":true,"args":["show","counters"]})");
  EXPECT_EQ(r->find("code")->number, 0);
  EXPECT_TRUE(r->find("result")->find("dataplane")->find("connected")->boolean);
  EXPECT_TRUE(r->find("result")->find("dataplane")->find("ports")->find("core"));
  for (int i = 0; i < 100; ++i) service_->poll();
  EXPECT_TRUE(dp_.executed().empty());
  EXPECT_EQ(dp_.segment().punt(0).depth(), 1u);  // left for a managing cp
  EXPECT_EQ(dp_.segment().header().cp_pid.load(), 0u);
}

}  // namespace
}  // namespace softwire::cp
