// Parses arbitrary bytes as IPv4; on success checks the invariants, rebuilds
// the header from the parsed fields and decrements the TTL.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/proto/ipv4.h"
#include "fuzz_support.h"

using namespace softwire::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes in(data, size);
  Ipv4Header h;
  if (parse_ipv4(in, h) != Ipv4Status::kOk) return 0;

  FUZZ_CHECK(h.header_length >= kIpv4MinHeaderLength && h.header_length <= 60);
  FUZZ_CHECK(h.header_length % 4 == 0);
  FUZZ_CHECK(h.header_length <= h.total_length && h.total_length <= size);
  FUZZ_CHECK(h.payload.data() == data + h.header_length);
  FUZZ_CHECK(h.payload.size() == h.total_length - h.header_length);
  FUZZ_CHECK(h.payload_length == h.payload.size());
  FUZZ_CHECK(h.options.data() == data + kIpv4MinHeaderLength);
  FUZZ_CHECK(h.options.size() == h.header_length - kIpv4MinHeaderLength);
  FUZZ_CHECK(h.is_fragment == (h.more_fragments || h.fragment_offset != 0));
  FUZZ_CHECK(checksum_ok(in.first(h.header_length)));

  // Round trip: every byte but the checksum is rebuilt as it was; the checksum
  // may only differ between the two encodings of zero.
  std::array<uint8_t, 60> rebuilt{};
  FUZZ_CHECK(build_ipv4(rebuilt, h) == h.header_length);
  const uint16_t rebuilt_checksum = load_be16(rebuilt.data() + 10);
  FUZZ_CHECK(rebuilt_checksum == h.checksum ||
             (rebuilt_checksum == 0x0000 && h.checksum == 0xffff));
  store_be16(rebuilt.data() + 10, h.checksum);
  FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.begin() + h.header_length, data));
  Ipv4Header reparsed;
  FUZZ_CHECK(parse_ipv4(ConstBytes(rebuilt).first(h.header_length), reparsed) == Ipv4Status::kOk ||
             h.total_length > h.header_length);  // the payload is not in `rebuilt`

  if (h.ttl > 1) {
    std::array<uint8_t, 60> header{};
    std::copy_n(data, h.header_length, header.begin());
    ipv4_decrement_ttl(header);
    FUZZ_CHECK(checksum_ok(ConstBytes(header).first(h.header_length)));
    FUZZ_CHECK(header[8] == h.ttl - 1);
  }
  return 0;
}
