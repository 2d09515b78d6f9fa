// The pcapng writer of `softwire-ctl capture drops`, read back by tshark.
#include "control/pcapng.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace softwire::cp {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
  pclose(p);
  return out;
}

TEST(Pcapng, TsharkReadsPacketsCommentsAndLinkTypes) {
  char path[] = "/tmp/softwire-pcapng-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  // An Ethernet frame with IPv4/UDP and a raw IPv4 packet (odd length: padding).
  const std::vector<uint8_t> ip = {0x45, 0,    0,    29,   0,    1, 0,    0, 64, 17,
                                   0,    0,    10,   0,    0,    1, 10,   0, 0,  2,
                                   0x30, 0x39, 0x00, 0x35, 0x00, 9, 0x00, 0, 'x'};
  std::vector<uint8_t> ether = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
  ether.insert(ether.end(), ip.begin(), ip.end());
  {
    std::ofstream out(path, std::ios::binary);
    PcapngWriter w(out);
    w.write(kLinktypeEthernet, 1'700'000'000'123'456'789ull, ether.data(), ether.size(),
            ether.size() + 100, "reason=replay identity=alice@example.net");
    w.write(kLinktypeRaw, 1'700'000'001'000'000'000ull, ip.data(), ip.size(), ip.size(),
            "reason=no_route");
  }
  const std::string fields =
      run(std::string("tshark -r ") + path +
          " -T fields -E separator='|' -e frame.comment -e frame.len -e frame.cap_len "
          "-e frame.time_epoch -e ip.dst -e udp.dstport 2>/dev/null");
  unlink(path);
  EXPECT_EQ(fields,
            "reason=replay identity=alice@example.net|143|43|1700000000.123456789|10.0.0.2|53\n"
            "reason=no_route|29|29|1700000001.000000000|10.0.0.2|53\n");
}

}  // namespace
}  // namespace softwire::cp
