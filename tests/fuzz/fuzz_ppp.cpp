// Fuzzes the PPP header parser: header and payload tile the input, the
// protocol number is valid, and the builder reproduces the header bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/proto/ppp.h"
#include "fuzz_support.h"

using namespace softwire::proto;
using softwire::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes input(data, size);
  PppHeader h;
  if (parse_ppp(input, h) != PppStatus::kOk) return 0;
  check(is_valid_ppp_protocol(h.protocol));
  check(h.header_length >= 1 && h.header_length <= kPppMaxHeaderSize && h.header_length <= size);
  check(h.header_length == (h.has_address_control ? 2u : 0u) + (h.protocol_compressed ? 1u : 2u));
  check(h.payload.data() == data + h.header_length);
  check(h.header_length + h.payload.size() == size);
  check(!h.protocol_compressed || h.protocol < 0x100);

  uint8_t rebuilt[kPppMaxHeaderSize];
  const size_t written = build_ppp(rebuilt, {.protocol = h.protocol,
                                             .address_control = h.has_address_control,
                                             .compress_protocol = h.protocol_compressed});
  // The builder adds FF 03 to LCP whatever it is asked (RFC 1661 §6.6).
  if (h.protocol == kPppProtocolLcp && !h.has_address_control) {
    check(written == h.header_length + 2);
    return 0;
  }
  // ... and never compresses 0x00ff, which could read as the address byte.
  if (h.protocol == 0x00ff && h.protocol_compressed) {
    check(written == h.header_length + 1);
    return 0;
  }
  check(written == h.header_length);
  check(std::memcmp(rebuilt, data, written) == 0);
  PppHeader again;
  check(parse_ppp(ConstBytes(rebuilt, written), again) == PppStatus::kOk);
  check(again.protocol == h.protocol && again.header_length == h.header_length);
  return 0;
}
