// The SA round-trip check that fuzz_records (channel record -> config) and
// fuzz_ctl_args (softwire-ctl arguments -> config -> record -> config) share:
// every field the channel carries survives.
#pragma once

#include "config/model.h"
#include "fuzz_support.h"

namespace softwire::fuzz {

inline void check_same_sa(const config::SaConfig& a, const config::SaConfig& b) {
  check(a.spi == b.spi && a.direction == b.direction && a.proposal == b.proposal);
  check(a.mode == b.mode && a.esn == b.esn && a.nat_t == b.nat_t);
  check(a.replay_window == b.replay_window);
  check(a.local_port == b.local_port && a.remote_port == b.remote_port);
  check(a.local == b.local && a.remote == b.remote);
  check(a.local_ts == b.local_ts && a.remote_ts == b.remote_ts);
  check(a.life_bytes == b.life_bytes && a.life_packets == b.life_packets);
  check(a.soft_life_bytes == b.soft_life_bytes && a.soft_life_packets == b.soft_life_packets);
  check(a.key == b.key && a.salt == b.salt);
}

}  // namespace softwire::fuzz
