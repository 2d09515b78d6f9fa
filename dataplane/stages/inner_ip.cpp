#include "dataplane/stages/inner_ip.h"

#include "dataplane/proto/bytes.h"
#include "dataplane/proto/checksum.h"
#include "dataplane/proto/ipv4.h"

namespace softwire::dp {

using proto::load_be16;
using proto::store_be16;

bool decrement_ttl(uint8_t* ip, bool v6) {
  if (v6) {
    if (ip[7] <= 1) return false;
    --ip[7];
    return true;
  }
  if (ip[8] <= 1) return false;
  const uint16_t old_word = load_be16(ip + 8);  // TTL and protocol share a checksum word
  --ip[8];
  store_be16(ip + 10, proto::checksum_update16(load_be16(ip + 10), old_word, load_be16(ip + 8)));
  return true;
}

void clamp_tcp_mss_l4(uint8_t* tcp, size_t tcp_len, uint16_t max_mss) {
  constexpr size_t kTcpMinHeader = 20;
  constexpr uint8_t kSyn = 0x02;
  if (tcp_len < kTcpMinHeader || (tcp[13] & kSyn) == 0) return;
  const size_t header_len = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (header_len < kTcpMinHeader || header_len > tcp_len) return;
  size_t i = kTcpMinHeader;
  while (i < header_len) {
    const uint8_t kind = tcp[i];
    if (kind == 0) return;  // end of option list
    if (kind == 1) {        // NOP
      ++i;
      continue;
    }
    if (header_len - i < 2) return;
    const uint8_t opt_len = tcp[i + 1];
    if (opt_len < 2 || opt_len > header_len - i) return;
    if (kind == 2 && opt_len == 4) {
      uint8_t* mss = tcp + i + 2;
      const uint16_t old_mss = load_be16(mss);
      if (old_mss <= max_mss) return;
      store_be16(mss, max_mss);
      // The option starts at an even or odd offset: update the 16-bit words of
      // the checksum that actually changed.
      if ((i & 1) == 0) {
        store_be16(tcp + 16, proto::checksum_update16(load_be16(tcp + 16), old_mss, max_mss));
      } else {
        // MSS value spans words [i+1,i+2] and [i+3,i+4]: patch as a 32-bit
        // field over the aligned words (kind/len bytes are unchanged).
        const size_t w = i + 1;  // even offset
        const uint32_t old32 = (uint32_t{tcp[w]} << 24) | (uint32_t{old_mss} << 8) | tcp[w + 3];
        const uint32_t new32 = (uint32_t{tcp[w]} << 24) | (uint32_t{max_mss} << 8) | tcp[w + 3];
        store_be16(tcp + 16, proto::checksum_update32(load_be16(tcp + 16), old32, new32));
      }
      return;
    }
    i += opt_len;
  }
}

void clamp_tcp_mss(uint8_t* ip, size_t len, bool v6, uint16_t max_mss) {
  if (v6) {
    if (len < 40 || ip[6] != proto::kIpProtocolTcp) return;
    clamp_tcp_mss_l4(ip + 40, len - 40, max_mss);
    return;
  }
  if (len < 20 || ip[9] != proto::kIpProtocolTcp) return;
  if ((load_be16(ip + 6) & 0x1fff) != 0) return;  // not the first fragment
  const size_t ihl = size_t{ip[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > len) return;
  clamp_tcp_mss_l4(ip + ihl, len - ihl, max_mss);
}

}  // namespace softwire::dp
