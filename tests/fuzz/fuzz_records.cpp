// Fuzzes shm::to_config(SaRecord) and shm::to_config(SessionRecord), which
// validate records read from shared memory: the input bytes fill a zeroed
// record of each kind. When one is accepted, to_record(model) and to_config
// again give the same fields, and the model holds what the record said.
#include <string.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>

#include "config/model.h"
#include "fuzz_sa_compare.h"
#include "fuzz_support.h"
#include "shm/protocol.h"
#include "shm/records.h"

using namespace softwire;
using softwire::fuzz::check;
using softwire::fuzz::check_same_sa;

namespace {

template <typename Record>
void fill(Record& record, const uint8_t* data, size_t size) {
  std::memset(&record, 0, sizeof record);
  std::memcpy(&record, data, std::min(size, sizeof record));
}

void fuzz_sa(const uint8_t* data, size_t size) {
  shm::SaRecord record;
  fill(record, data, size);
  auto parsed = shm::to_config(record);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    check(!error->empty() && error->find(':') != std::string::npos);
    explicit_bzero(&record, sizeof record);
    return;
  }
  const config::SaConfig& sa = std::get<config::SaConfig>(parsed);
  // The model holds what the record said.
  check(sa.spi == record.spi && sa.spi >= 256);
  check(sa.replay_window == record.replay_window);
  check(sa.key.size() == record.key_length &&
        std::equal(sa.key.bytes().begin(), sa.key.bytes().end(), record.key));
  check(std::memcmp(sa.salt.data(), record.salt, 4) == 0);
  check(sa.key.size() == config::proposal_key_bytes(sa.proposal));
  check(sa.local.family == sa.remote.family);
  check(sa.local_ts.address.family == sa.remote_ts.address.family);
  check(sa.life_bytes == record.life_bytes && sa.soft_life_packets == record.soft_life_packets);

  shm::SaRecord again_record = shm::to_record(sa);
  check(again_record.spi == record.spi && again_record.direction == record.direction);
  check(again_record.proposal == record.proposal && again_record.mode == record.mode);
  check(again_record.flags == record.flags && again_record.key_length == record.key_length);
  check(std::memcmp(again_record.key, record.key, record.key_length) == 0);
  auto again = shm::to_config(again_record);
  explicit_bzero(&again_record, sizeof again_record);
  explicit_bzero(&record, sizeof record);
  check(std::holds_alternative<config::SaConfig>(again));
  check_same_sa(sa, std::get<config::SaConfig>(again));
}

void fuzz_session(const uint8_t* data, size_t size) {
  shm::SessionRecord record;
  fill(record, data, size);
  auto parsed = shm::to_config(record);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    check(!error->empty() && error->find(':') != std::string::npos);
    return;
  }
  const config::SessionConfig& s = std::get<config::SessionConfig>(parsed);
  check(!s.identity.empty() && s.identity.size() < shm::kIdentityLength);
  check(std::memcmp(s.identity.data(), record.identity, s.identity.size()) == 0 &&
        record.identity[s.identity.size()] == '\0');
  check(s.sa_in == record.sa_in_spi && s.sa_out == record.sa_out_spi);
  check(s.tunnel_id == record.tunnel_id && s.session_id == record.session_id);
  check(s.peer_tunnel_id == record.peer_tunnel_id && s.peer_session_id == record.peer_session_id);
  check(s.peer_port == record.peer_port && s.mtu == record.mtu);
  check(s.prefixes.size() == record.prefix_count);

  const shm::SessionRecord again_record = shm::to_record(s);
  check(again_record.prefix_count == record.prefix_count);
  check(again_record.total_prefixes == record.prefix_count);
  auto again = shm::to_config(again_record);
  check(std::holds_alternative<config::SessionConfig>(again));
  const config::SessionConfig& t = std::get<config::SessionConfig>(again);
  check(t.identity == s.identity && t.sa_in == s.sa_in && t.sa_out == s.sa_out);
  check(t.tunnel_id == s.tunnel_id && t.session_id == s.session_id);
  check(t.peer_tunnel_id == s.peer_tunnel_id && t.peer_session_id == s.peer_session_id);
  check(t.peer_port == s.peer_port && t.mtu == s.mtu);
  check(t.prefixes == s.prefixes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_sa(data, size);
  fuzz_session(data, size);
  return 0;
}
