// Parses arbitrary bytes as an Ethernet frame and as an ARP packet; on success
// checks the invariants and rebuilds the header from the parsed fields.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/proto/ethernet.h"
#include "fuzz_support.h"

using namespace softwire::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes in(data, size);
  EthernetHeader h;
  if (parse_ethernet(in, h) == EthernetStatus::kOk) {
    FUZZ_CHECK(h.tag_count <= kMaxVlanTags);
    FUZZ_CHECK(h.header_length == kEthernetHeaderLength + kVlanTagLength * h.tag_count);
    FUZZ_CHECK(h.header_length <= size);
    FUZZ_CHECK(h.payload.data() == data + h.header_length);
    FUZZ_CHECK(h.payload.size() == size - h.header_length);
    FUZZ_CHECK(h.ether_type >= kEtherTypeMin && h.ether_type != kEtherTypeVlan &&
               h.ether_type != kEtherTypeQinQ);
    FUZZ_CHECK((h.src[0] & 1) == 0);
    for (size_t i = 0; i < h.tag_count; ++i) {
      FUZZ_CHECK(h.tags[i].pcp <= 7 && h.tags[i].vid <= kVlanIdMask);
      FUZZ_CHECK(i == 0 || h.tags[i].tpid == kEtherTypeVlan);
    }
    std::array<uint8_t, kEthernetHeaderLength + kVlanTagLength * kMaxVlanTags> rebuilt{};
    FUZZ_CHECK(build_ethernet(rebuilt, h) == h.header_length);
    FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.begin() + h.header_length, data));
  }

  ArpPacket arp;
  if (parse_arp(in, arp) == ArpStatus::kOk) {
    FUZZ_CHECK(arp.operation == kArpRequest || arp.operation == kArpReply);
    std::array<uint8_t, kArpLength> rebuilt{};
    FUZZ_CHECK(build_arp(rebuilt, arp) == kArpLength);
    FUZZ_CHECK(std::equal(rebuilt.begin(), rebuilt.end(), data));
    const MacAddress own{0x02, 0, 0, 0, 0, 1};
    const ArpPacket reply = make_arp_reply(arp, own);
    FUZZ_CHECK(build_arp(rebuilt, reply) == kArpLength);
    ArpPacket parsed_reply;
    FUZZ_CHECK(parse_arp(rebuilt, parsed_reply) == ArpStatus::kOk);
    FUZZ_CHECK(parsed_reply.target_ip == arp.sender_ip && parsed_reply.sender_ip == arp.target_ip);
  }
  return 0;
}
