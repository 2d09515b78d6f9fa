#include "dataplane/proto/udp.h"

namespace softwire::proto {
namespace {

// Writes ports, length and a zero checksum; false if the length is out of range.
bool write_udp_header(MutableBytes datagram, const UdpFields& f) {
  if (datagram.size() < kUdpHeaderLength || datagram.size() > 0xffff) return false;
  uint8_t* p = datagram.data();
  store_be16(p, f.src_port);
  store_be16(p + 2, f.dst_port);
  store_be16(p + 4, static_cast<uint16_t>(datagram.size()));
  store_be16(p + 6, 0);
  return true;
}

// RFC 768: a computed checksum of zero is transmitted as all ones.
void store_udp_checksum(MutableBytes datagram, uint16_t pseudo_header_sum) {
  const uint16_t checksum = internet_checksum(datagram, pseudo_header_sum);
  store_be16(datagram.data() + 6, checksum == 0 ? 0xffff : checksum);
}

}  // namespace

std::string_view to_string(UdpStatus status) {
  switch (status) {
    case UdpStatus::kOk:
      return "ok";
    case UdpStatus::kTruncated:
      return "truncated";
    case UdpStatus::kBadLength:
      return "bad_length";
    case UdpStatus::kZeroChecksum:
      return "zero_checksum";
    case UdpStatus::kBadChecksum:
      return "bad_checksum";
  }
  return "unknown";
}

size_t build_udp_ipv4(MutableBytes datagram, const UdpFields& f, uint32_t src, uint32_t dst,
                      UdpChecksum mode) {
  if (!write_udp_header(datagram, f)) return 0;
  if (mode == UdpChecksum::kCompute) {
    store_udp_checksum(datagram, ipv4_pseudo_header_sum(src, dst, kIpProtocolUdp,
                                                        static_cast<uint16_t>(datagram.size())));
  }
  return kUdpHeaderLength;
}

size_t build_udp_ipv6(MutableBytes datagram, const UdpFields& f, std::span<const uint8_t, 16> src,
                      std::span<const uint8_t, 16> dst) {
  if (!write_udp_header(datagram, f)) return 0;
  store_udp_checksum(datagram, ipv6_pseudo_header_sum(src, dst, kIpProtocolUdp,
                                                      static_cast<uint32_t>(datagram.size())));
  return kUdpHeaderLength;
}

}  // namespace softwire::proto
