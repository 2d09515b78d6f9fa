// Parses arbitrary bytes as IPv6; on success checks the invariants of the
// extension-header walk and rebuilds the fixed header from the parsed fields.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/proto/ipv6.h"
#include "fuzz_support.h"

using namespace softwire::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes in(data, size);
  Ipv6Header h;
  if (parse_ipv6(in, h) != Ipv6Status::kOk) return 0;

  const size_t end = kIpv6HeaderLength + h.payload_length;
  FUZZ_CHECK(end <= size);
  FUZZ_CHECK(h.payload.data() == data + kIpv6HeaderLength && h.payload.size() == h.payload_length);
  FUZZ_CHECK(h.upper_offset >= kIpv6HeaderLength && h.upper_offset <= end);
  FUZZ_CHECK((h.upper_offset - kIpv6HeaderLength) % 8 == 0);
  FUZZ_CHECK(h.upper_payload.data() == data + h.upper_offset);
  FUZZ_CHECK(h.upper_payload.size() == end - h.upper_offset);
  FUZZ_CHECK(h.extension_header_count <= kIpv6MaxExtensionHeaders);
  FUZZ_CHECK((h.extension_header_count == 0) == (h.upper_offset == kIpv6HeaderLength));
  FUZZ_CHECK(h.extension_header_count == 0 ? h.upper_protocol == h.next_header : true);
  // The walk ends on a non-extension header unless a later fragment stopped it.
  FUZZ_CHECK(!ipv6_is_extension_header(h.upper_protocol) ||
             (h.has_fragment_header && h.is_fragment));
  FUZZ_CHECK(!h.is_fragment || h.has_fragment_header);
  FUZZ_CHECK(h.flow_label <= kIpv6MaxFlowLabel);

  std::array<uint8_t, kIpv6HeaderLength> rebuilt{};
  FUZZ_CHECK(build_ipv6(rebuilt, h) == kIpv6HeaderLength);
  FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.end(), data));

  // The same packet without its padding parses the same.
  Ipv6Header trimmed;
  FUZZ_CHECK(parse_ipv6(in.first(end), trimmed) == Ipv6Status::kOk);
  FUZZ_CHECK(trimmed.upper_offset == h.upper_offset && trimmed.upper_protocol == h.upper_protocol);
  return 0;
}
