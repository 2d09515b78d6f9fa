// A minimal pcapng writer (draft-ietf-opsawg-pcapng): one Section Header
// Block, one Interface Description Block per link type used (nanosecond
// timestamps), and Enhanced Packet Blocks with an optional comment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace softwire::cp {

inline constexpr uint16_t kLinktypeEthernet = 1;
inline constexpr uint16_t kLinktypePpp = 9;
inline constexpr uint16_t kLinktypeRaw = 101;  // raw IPv4/IPv6
inline constexpr uint16_t kLinktypeUser0 = 147;

class PcapngWriter {
 public:
  explicit PcapngWriter(std::ostream& out);  // writes the section header
  void write(uint16_t linktype, uint64_t timestamp_ns, const uint8_t* data, size_t length,
             size_t original_length, const std::string& comment);

 private:
  uint32_t interface_for(uint16_t linktype);

  std::ostream& out_;
  std::map<uint16_t, uint32_t> interfaces_;
};

}  // namespace softwire::cp
