// Parses arbitrary bytes as a UDP datagram over IPv4 and IPv6 (the first 32
// bytes give the addresses); on success checks the invariants, and rebuilds
// the datagram with a computed checksum that must verify.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/proto/udp.h"
#include "fuzz_support.h"

using namespace softwire::proto;

namespace {

void check(ConstBytes datagram, IpVersion version, ConstBytes addresses) {
  UdpHeader h;
  const UdpStatus status = parse_udp(datagram, version, h);
  const uint32_t src4 = load_be32(addresses.data());
  const uint32_t dst4 = load_be32(addresses.data() + 4);
  const std::span<const uint8_t, 16> src6 = addresses.first<16>();
  const std::span<const uint8_t, 16> dst6 = addresses.subspan<16, 16>();
  if (status != UdpStatus::kOk) {
    FUZZ_CHECK(status != UdpStatus::kBadChecksum);  // parse never verifies
    return;
  }
  FUZZ_CHECK(h.length == datagram.size() && h.length >= kUdpHeaderLength);
  FUZZ_CHECK(h.payload.data() == datagram.data() + kUdpHeaderLength);
  FUZZ_CHECK(h.payload.size() == h.length - kUdpHeaderLength);
  FUZZ_CHECK(version == IpVersion::kIpv4 || h.checksum != 0);
  const UdpStatus verified = version == IpVersion::kIpv4
                                 ? verify_udp_checksum_ipv4(datagram, src4, dst4)
                                 : verify_udp_checksum_ipv6(datagram, src6, dst6);
  FUZZ_CHECK(verified == UdpStatus::kOk || verified == UdpStatus::kBadChecksum);

  std::vector<uint8_t> rebuilt(datagram.begin(), datagram.end());
  const size_t written = version == IpVersion::kIpv4 ? build_udp_ipv4(rebuilt, h, src4, dst4)
                                                     : build_udp_ipv6(rebuilt, h, src6, dst6);
  FUZZ_CHECK(written == kUdpHeaderLength);
  FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.begin() + 6, datagram.begin()));
  UdpHeader reparsed;
  FUZZ_CHECK(parse_udp(rebuilt, version, reparsed) == UdpStatus::kOk);
  FUZZ_CHECK(reparsed.checksum != 0);
  const UdpStatus reverified = version == IpVersion::kIpv4
                                   ? verify_udp_checksum_ipv4(rebuilt, src4, dst4)
                                   : verify_udp_checksum_ipv6(rebuilt, src6, dst6);
  FUZZ_CHECK(reverified == UdpStatus::kOk);
  // A datagram that verified carried exactly the checksum we compute: the
  // pseudo-header is never all zero, so only 0 has two encodings, and 0 is
  // sent as 0xffff (a received 0 means "none" over IPv4).
  if (verified == UdpStatus::kOk && h.checksum != 0) FUZZ_CHECK(reparsed.checksum == h.checksum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kAddresses = 32;
  if (size < kAddresses) return 0;
  const ConstBytes addresses(data, kAddresses);
  const ConstBytes datagram(data + kAddresses, size - kAddresses);
  check(datagram, IpVersion::kIpv4, addresses);
  check(datagram, IpVersion::kIpv6, addresses);
  return 0;
}
