#include "control/pcapng.h"

#include <algorithm>
#include <string>

namespace softwire::cp {

namespace {

void put32(std::string& b, uint32_t v) {
  b.append(reinterpret_cast<const char*>(&v), 4);  // host order; the SHB's magic says which
}
void put16(std::string& b, uint16_t v) {
  b.append(reinterpret_cast<const char*>(&v), 2);
}
void pad4(std::string& b) {
  while (b.size() % 4 != 0) b.push_back('\0');
}

// Type, length, body, length again.
void block(std::ostream& out, uint32_t type, const std::string& body) {
  std::string b;
  const auto total = static_cast<uint32_t>(12 + body.size());
  put32(b, type);
  put32(b, total);
  b += body;
  put32(b, total);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

}  // namespace

PcapngWriter::PcapngWriter(std::ostream& out) : out_(out) {
  std::string body;
  put32(body, 0x1A2B3C4D);  // byte-order magic
  put16(body, 1);           // major version
  put16(body, 0);           // minor version
  put32(body, 0xffffffff);  // section length: unknown (-1, 64 bits)
  put32(body, 0xffffffff);
  block(out_, 0x0A0D0D0A, body);
}

uint32_t PcapngWriter::interface_for(uint16_t linktype) {
  auto it = interfaces_.find(linktype);
  if (it != interfaces_.end()) return it->second;
  std::string body;
  put16(body, linktype);
  put16(body, 0);
  put32(body, 0);  // snaplen: no limit
  put16(body, 9);  // if_tsresol
  put16(body, 1);
  body.push_back(9);  // 10^-9: nanoseconds
  pad4(body);
  put16(body, 0);  // opt_endofopt
  put16(body, 0);
  block(out_, 1, body);
  const auto id = static_cast<uint32_t>(interfaces_.size());
  interfaces_.emplace(linktype, id);
  return id;
}

void PcapngWriter::write(uint16_t linktype, uint64_t timestamp_ns, const uint8_t* data,
                         size_t length, size_t original_length, const std::string& comment) {
  const uint32_t id = interface_for(linktype);
  std::string body;
  put32(body, id);
  put32(body, static_cast<uint32_t>(timestamp_ns >> 32));
  put32(body, static_cast<uint32_t>(timestamp_ns));
  put32(body, static_cast<uint32_t>(length));
  put32(body, static_cast<uint32_t>(std::max(original_length, length)));
  body.append(reinterpret_cast<const char*>(data), length);
  pad4(body);
  if (!comment.empty()) {
    const size_t n = std::min<size_t>(comment.size(), 0xfff0);
    put16(body, 1);  // opt_comment
    put16(body, static_cast<uint16_t>(n));
    body.append(comment, 0, n);
    pad4(body);
    put16(body, 0);
    put16(body, 0);
  }
  block(out_, 6, body);
}

}  // namespace softwire::cp
