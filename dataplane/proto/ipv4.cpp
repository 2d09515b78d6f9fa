#include "dataplane/proto/ipv4.h"

#include <cstring>

namespace softwire::proto {

std::string_view to_string(Ipv4Status status) {
  switch (status) {
    case Ipv4Status::kOk:
      return "ok";
    case Ipv4Status::kTruncated:
      return "truncated";
    case Ipv4Status::kBadVersion:
      return "bad_version";
    case Ipv4Status::kBadHeaderLength:
      return "bad_header_length";
    case Ipv4Status::kBadTotalLength:
      return "bad_total_length";
    case Ipv4Status::kBadChecksum:
      return "bad_checksum";
    case Ipv4Status::kReservedFlag:
      return "reserved_flag";
    case Ipv4Status::kBadOptions:
      return "bad_options";
  }
  return "unknown";
}

bool ipv4_options_valid(ConstBytes options) {
  constexpr uint8_t kEndOfOptions = 0;
  constexpr uint8_t kNoOperation = 1;
  size_t offset = 0;
  while (offset < options.size()) {
    const uint8_t type = options[offset];
    if (type == kEndOfOptions) return true;  // the rest is padding
    if (type == kNoOperation) {
      ++offset;
      continue;
    }
    // Every other option is type, length (counting both), data.
    if (options.size() - offset < 2) return false;
    const uint8_t length = options[offset + 1];
    if (length < 2 || length > options.size() - offset) return false;
    offset += length;
  }
  return true;
}

size_t build_ipv4(MutableBytes out, const Ipv4Fields& f) {
  if (f.options.size() % 4 != 0 || f.options.size() > kIpv4MaxOptionsLength) return 0;
  const size_t header_length = ipv4_header_length(f);
  const size_t total_length = header_length + f.payload_length;
  if (out.size() < header_length || total_length > 0xffff) return 0;
  if (f.fragment_offset > kIpv4MaxFragmentOffset) return 0;
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x40 | (header_length / 4));
  p[1] = f.tos;
  store_be16(p + 2, static_cast<uint16_t>(total_length));
  store_be16(p + 4, f.identification);
  store_be16(p + 6, static_cast<uint16_t>((f.dont_fragment ? 0x4000 : 0) |
                                          (f.more_fragments ? 0x2000 : 0) | f.fragment_offset));
  p[8] = f.ttl;
  p[9] = f.protocol;
  store_be16(p + 10, 0);
  store_be32(p + 12, f.src);
  store_be32(p + 16, f.dst);
  if (!f.options.empty()) std::memcpy(p + kIpv4MinHeaderLength, f.options.data(), f.options.size());
  store_be16(p + 10, internet_checksum(out.first(header_length)));
  return header_length;
}

}  // namespace softwire::proto
