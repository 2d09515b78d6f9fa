#include "dataplane/proto/ipv6.h"

namespace softwire::proto {

std::string_view to_string(Ipv6Status status) {
  switch (status) {
    case Ipv6Status::kOk:
      return "ok";
    case Ipv6Status::kTruncated:
      return "truncated";
    case Ipv6Status::kBadVersion:
      return "bad_version";
    case Ipv6Status::kJumbogram:
      return "jumbogram";
    case Ipv6Status::kBadPayloadLength:
      return "bad_payload_length";
    case Ipv6Status::kTruncatedExtensionHeader:
      return "truncated_extension_header";
    case Ipv6Status::kHopByHopNotFirst:
      return "hop_by_hop_not_first";
    case Ipv6Status::kTooManyExtensionHeaders:
      return "too_many_extension_headers";
  }
  return "unknown";
}

size_t build_ipv6(MutableBytes out, const Ipv6Fields& f) {
  if (out.size() < kIpv6HeaderLength || f.flow_label > kIpv6MaxFlowLabel) return 0;
  uint8_t* p = out.data();
  store_be32(p, (uint32_t{6} << 28) | (uint32_t{f.traffic_class} << 20) | f.flow_label);
  store_be16(p + 4, f.payload_length);
  p[6] = f.next_header;
  p[7] = f.hop_limit;
  std::memcpy(p + 8, f.src.data(), 16);
  std::memcpy(p + 24, f.dst.data(), 16);
  return kIpv6HeaderLength;
}

}  // namespace softwire::proto
