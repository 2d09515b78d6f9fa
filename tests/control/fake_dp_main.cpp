// softwire-fake-dp INSTANCE: runs FakeDataplane (a segment and a command
// executor, no DPDK) until SIGTERM (clean stop: the segment is removed) or
// SIGKILL (like a crashed data plane). For process-level tests of
// softwire-cp and softwire-ctl. On SIGUSR1 it prints its tables as JSON to
// standard output (one line).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "control/json.h"
#include "shm/records.h"
#include "tests/control/fake_dataplane.h"

namespace {

volatile sig_atomic_t stop = 0;
volatile sig_atomic_t dump = 0;

void on_signal(int signo) {
  if (signo == SIGUSR1)
    dump = 1;
  else
    stop = 1;
}

std::string tables_json(const softwire::cp::testing::FakeDataplane& dp) {
  using softwire::cp::JsonWriter;
  JsonWriter w;
  w.begin_object().key("generation").value(dp.generation()).key("sas").begin_array();
  for (const auto& [id, sa] : dp.sas()) {
    w.begin_object().key("spi").value(uint64_t{sa.spi});
    w.key("direction").value(sa.direction == softwire::shm::Direction::kIn ? "in" : "out");
    w.key("origin").value(unsigned{static_cast<uint8_t>(sa.origin)});
    w.key("initial_seq").value(sa.initial_seq).end_object();
  }
  w.end_array().key("sessions").begin_array();
  for (const auto& [key, s] : dp.sessions()) {
    std::string identity;
    softwire::shm::read_string(s.record.identity, sizeof s.record.identity, identity);
    w.begin_object().key("identity").value(identity);
    w.key("tunnel_id").value(unsigned{s.record.tunnel_id});
    w.key("session_id").value(unsigned{s.record.session_id});
    w.key("sa_in").value(uint64_t{s.record.sa_in_spi});
    w.key("sa_in_old").value(uint64_t{s.record.sa_in_old_spi});
    w.key("sa_out").value(uint64_t{s.record.sa_out_spi});
    w.key("mtu").value(unsigned{s.record.mtu});
    w.key("origin").value(unsigned{static_cast<uint8_t>(s.record.origin)});
    w.key("prefixes").begin_array();
    for (const auto& p : s.prefixes) w.value(p.to_string());
    w.end_array().end_object();
  }
  w.end_array().key("executed").value(uint64_t{dp.executed().size()}).end_object();
  return w.take();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: softwire-fake-dp INSTANCE\n";
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
  softwire::cp::testing::FakeDataplane dp(argv[1]);
  dp.start();
  std::cout << "ready " << dp.generation() << std::endl;
  while (!stop) {
    if (dump) {
      dump = 0;
      std::cout << tables_json(dp) << std::endl;
    }
    usleep(2000);
  }
  dp.stop(true);
  return 0;
}
