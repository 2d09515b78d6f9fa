// Fuzzes the UDP/4500 classifier: the payload span stays inside the input,
// the kind agrees with the leading bytes, and builders reproduce the framing.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/proto/natt.h"
#include "fuzz_support.h"

using namespace softwire::proto;
using softwire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes input(data, size);
  NattPayload out;
  if (parse_natt(input, out) != NattStatus::kOk) return 0;
  check(out.payload.data() >= data || out.payload.empty());
  check(out.payload.empty() || out.payload.data() + out.payload.size() == data + size);
  uint8_t rebuilt[kNattNonEspMarkerSize];
  switch (out.kind) {
    case NattKind::kKeepalive:
      check(size == 1 && out.payload.empty());
      check(build_natt_keepalive(rebuilt) == 1 && rebuilt[0] == data[0]);
      break;
    case NattKind::kIke:
      check(out.payload.data() == data + kNattNonEspMarkerSize);
      check(out.payload.size() >= kNattIkeHeaderSize);
      check(build_natt_non_esp_marker(rebuilt) == kNattNonEspMarkerSize);
      check(std::memcmp(rebuilt, data, kNattNonEspMarkerSize) == 0);
      break;
    case NattKind::kEsp:
      check(out.payload.data() == data && out.payload.size() == size);
      check(size >= kNattMinEspSize && load_be32(data) != 0);
      break;
  }
  return 0;
}
