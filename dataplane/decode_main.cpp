// softwire-decode: reads a pcap of softwire traffic and decodes every layer
// with the data plane's codecs, one line per frame. With -c, ESP is
// decrypted with the configuration's inbound and outbound SAs through the
// same AEAD engine the workers use (a diagnostic tool: no anti-replay, no
// session checks). No EAL is needed.
//
//   softwire-decode [-c CONFIG] FILE.pcap

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/loader.h"
#include "crypto/aead_engine.h"
#include "dataplane/proposal_alg.h"
#include "dataplane/proto/esp.h"
#include "dataplane/proto/ethernet.h"
#include "dataplane/proto/ipv4.h"
#include "dataplane/proto/ipv6.h"
#include "dataplane/proto/l2tp.h"
#include "dataplane/proto/natt.h"
#include "dataplane/proto/ppp.h"
#include "dataplane/proto/udp.h"

namespace {

using namespace softwire;
using namespace softwire::proto;

struct Sa {
  std::unique_ptr<crypto::SaKey> key;
  bool esn = false;
  bool gmac = false;
};

class Decoder {
 public:
  explicit Decoder(const config::Config* cfg) {
    if (cfg == nullptr) return;
    for (const auto& sa : cfg->sas) {
      std::vector<uint8_t> keymat = sa.key.bytes();
      keymat.insert(keymat.end(), sa.salt.begin(), sa.salt.end());
      auto& entry = sas_[sa.spi];
      entry.key = std::make_unique<crypto::SaKey>(dp::aead_alg(sa.proposal), keymat, engine_);
      entry.esn = sa.esn;
      entry.gmac = !config::proposal_encrypts(sa.proposal);
      explicit_bzero(keymat.data(), keymat.size());
    }
  }

  // Returns the description of one frame, and whether every layer decoded.
  std::string decode(ConstBytes frame, bool& complete) {
    out_.clear();
    complete = decode_ethernet(frame);
    return out_;
  }

 private:
  template <typename Status>
  bool fail(const char* layer, Status status) {
    out_ += std::string(" | ") + layer + " REJECTED: " + std::string(to_string(status));
    return false;
  }
  void add(const std::string& s) { out_ += (out_.empty() ? "" : " | ") + s; }

  bool decode_ethernet(ConstBytes frame) {
    EthernetHeader eth;
    if (auto s = parse_ethernet(frame, eth); s != EthernetStatus::kOk) return fail("ethernet", s);
    char buf[64];
    std::snprintf(buf, sizeof buf, "eth type 0x%04x%s", eth.ether_type,
                  eth.tag_count ? " vlan" : "");
    add(buf);
    return decode_ip(eth.payload, eth.ether_type == 0x86dd, /*outer=*/true);
  }

  bool decode_ip(ConstBytes packet, bool v6, bool outer) {
    ConstBytes payload;
    uint8_t protocol;
    char buf[160];
    if (outer) outer_v6_ = v6;
    if (v6) {
      Ipv6Header ip;
      if (auto s = parse_ipv6(packet, ip); s != Ipv6Status::kOk) return fail("ipv6", s);
      char a[64], b[64];
      inet_ntop(AF_INET6, ip.src.data(), a, sizeof a);
      inet_ntop(AF_INET6, ip.dst.data(), b, sizeof b);
      std::snprintf(buf, sizeof buf, "ipv6 %s > %s hlim %u", a, b, ip.hop_limit);
      payload = ip.upper_payload;
      protocol = ip.upper_protocol;
    } else {
      Ipv4Header ip;
      if (auto s = parse_ipv4(packet, ip); s != Ipv4Status::kOk) return fail("ipv4", s);
      std::snprintf(buf, sizeof buf, "ipv4 %u.%u.%u.%u > %u.%u.%u.%u ttl %u%s", ip.src >> 24,
                    (ip.src >> 16) & 255, (ip.src >> 8) & 255, ip.src & 255, ip.dst >> 24,
                    (ip.dst >> 16) & 255, (ip.dst >> 8) & 255, ip.dst & 255, ip.ttl,
                    ip.is_fragment ? " fragment" : "");
      payload = ip.payload;
      protocol = ip.protocol;
    }
    add(buf);
    if (!outer) return true;  // the inner packet: the softwire's payload
    if (protocol == 50) return decode_esp(payload, outer);
    if (protocol == 17) {
      UdpHeader udp;
      if (auto s = parse_udp(payload, v6 ? IpVersion::kIpv6 : IpVersion::kIpv4, udp);
          s != UdpStatus::kOk)
        return fail("udp", s);
      std::snprintf(buf, sizeof buf, "udp %u > %u", udp.src_port, udp.dst_port);
      add(buf);
      if (udp.dst_port == 4500 || udp.src_port == 4500) {
        NattPayload natt;
        if (auto s = parse_natt(udp.payload, natt); s != NattStatus::kOk) return fail("nat-t", s);
        if (natt.kind == NattKind::kKeepalive) return add("nat-t keepalive"), true;
        if (natt.kind == NattKind::kIke) return add("ike (non-ESP marker)"), true;
        return decode_esp(natt.payload, outer);
      }
      if (udp.dst_port == 1701) return decode_l2tp(udp.payload);
      if (udp.dst_port == 500) return add("ike"), true;
    }
    std::snprintf(buf, sizeof buf, "protocol %u", protocol);
    add(buf);
    return true;
  }

  bool decode_esp(ConstBytes packet, bool) {
    EspPacket esp;
    if (auto s = parse_esp(packet, esp); s != EspStatus::kOk) return fail("esp", s);
    char buf[96];
    std::snprintf(buf, sizeof buf, "esp spi 0x%x seq %u len %zu", esp.spi, esp.seq,
                  esp.ciphertext.size());
    add(buf);
    const auto it = sas_.find(esp.spi);
    if (it == sas_.end()) return true;  // no key: the outer layers are all there is
    const Sa& sa = it->second;
    if (sa.esn) {
      add("(ESN: high bits unknown to a stateless decoder, not decrypted)");
      return true;
    }
    std::vector<uint8_t> copy(packet.begin(), packet.end());
    std::array<uint8_t, 8> aad;
    std::copy(copy.begin(), copy.begin() + 8, aad.begin());
    crypto::AeadOp op{};
    op.key = sa.key.get();
    op.iv = copy.data() + 8;
    op.tag = copy.data() + copy.size() - kEspIcvSize;
    if (sa.gmac) {  // RFC 4543: SPI, seq, IV and payload are all authenticated
      op.data = copy.data();
      op.len = static_cast<uint32_t>(copy.size() - kEspIcvSize);
    } else {
      op.aad = aad.data();
      op.aad_len = 8;
      op.data = copy.data() + kEspHeaderSize;
      op.len = static_cast<uint32_t>(esp.ciphertext.size());
    }
    engine_.decrypt(std::span(&op, 1));
    if (op.status != crypto::AeadStatus::ok) return add("esp REJECTED: auth_failed"), false;
    EspTrailer trailer;
    const ConstBytes plaintext(copy.data() + kEspHeaderSize, esp.ciphertext.size());
    if (auto s = parse_esp_trailer(plaintext, trailer); s != EspStatus::kOk)
      return fail("esp trailer", s);
    std::snprintf(buf, sizeof buf, "decrypted, pad %u, next header %u", trailer.pad_length,
                  trailer.next_header);
    add(buf);
    if (trailer.next_header == 4 || trailer.next_header == 41) {
      // Tunnel mode: an inner IP header carries the UDP/L2TP.
      return decode_ip_then_l2tp(trailer.payload, trailer.next_header == 41);
    }
    if (trailer.next_header != 17) return true;
    // Transport mode: the UDP header's checksum rules are those of the outer family.
    return decode_udp_l2tp(trailer.payload, outer_v6_ ? IpVersion::kIpv6 : IpVersion::kIpv4);
  }

  bool decode_ip_then_l2tp(ConstBytes packet, bool v6) {
    if (v6) {
      Ipv6Header ip;
      if (auto s = parse_ipv6(packet, ip); s != Ipv6Status::kOk) return fail("tunnel ipv6", s);
      add("tunnel ipv6");
      return decode_udp_l2tp(ip.upper_payload, IpVersion::kIpv6);
    }
    Ipv4Header ip;
    if (auto s = parse_ipv4(packet, ip); s != Ipv4Status::kOk) return fail("tunnel ipv4", s);
    add("tunnel ipv4");
    return decode_udp_l2tp(ip.payload, IpVersion::kIpv4);
  }

  bool decode_udp_l2tp(ConstBytes datagram, IpVersion version) {
    UdpHeader udp;
    if (auto s = parse_udp(datagram, version, udp); s != UdpStatus::kOk) return fail("udp", s);
    char buf[48];
    std::snprintf(buf, sizeof buf, "udp %u > %u", udp.src_port, udp.dst_port);
    add(buf);
    return decode_l2tp(udp.payload);
  }

  bool decode_l2tp(ConstBytes message) {
    L2tpHeader l2tp;
    if (auto s = parse_l2tp(message, l2tp); s != L2tpStatus::kOk) return fail("l2tp", s);
    char buf[80];
    std::snprintf(buf, sizeof buf, "l2tp %s tunnel %u session %u%s%s%s",
                  l2tp.is_control ? "control" : "data", l2tp.tunnel_id, l2tp.session_id,
                  l2tp.has_length ? " L" : "", l2tp.has_sequence ? " S" : "",
                  l2tp.has_offset ? " O" : "");
    add(buf);
    if (l2tp.is_control) return true;
    PppHeader ppp;
    if (auto s = parse_ppp(l2tp.payload, ppp); s != PppStatus::kOk) return fail("ppp", s);
    std::snprintf(buf, sizeof buf, "ppp 0x%04x%s%s", ppp.protocol,
                  ppp.has_address_control ? "" : " acfc", ppp.protocol_compressed ? " pfc" : "");
    add(buf);
    if (!is_ip_data(ppp.protocol)) return true;
    return decode_ip(ppp.payload, ppp.protocol == kPppProtocolIpv6, /*outer=*/false);
  }

  crypto::AeadEngine engine_;
  std::map<uint32_t, Sa> sas_;
  std::string out_;
  bool outer_v6_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, pcap_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-c" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (pcap_path.empty() && a[0] != '-') {
      pcap_path = a;
    } else {
      std::fprintf(stderr, "usage: softwire-decode [-c CONFIG] FILE.pcap\n");
      return 2;
    }
  }
  if (pcap_path.empty()) {
    std::fprintf(stderr, "usage: softwire-decode [-c CONFIG] FILE.pcap\n");
    return 2;
  }
  std::unique_ptr<config::Config> cfg;
  try {
    if (!config_path.empty())
      cfg = std::make_unique<config::Config>(config::load_config_file(config_path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(pcap_path.c_str(), err);
  if (pcap == nullptr) {
    std::fprintf(stderr, "softwire-decode: %s\n", err);
    return 1;
  }
  Decoder decoder(cfg.get());
  pcap_pkthdr* header;
  const u_char* data;
  unsigned frames = 0, complete_frames = 0;
  while (pcap_next_ex(pcap, &header, &data) == 1) {
    bool complete = false;
    const std::string line = decoder.decode(ConstBytes(data, header->caplen), complete);
    std::printf("%4u %s\n", ++frames, line.c_str());
    complete_frames += complete;
  }
  pcap_close(pcap);
  std::printf("%u frames, %u decoded completely, %u rejected at some layer\n", frames,
              complete_frames, frames - complete_frames);
  return 0;
}
