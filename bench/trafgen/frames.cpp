// The library aligns struct gcm_key_data only when LINUX is defined; the
// wrappers below align it themselves, so the define is not needed for that,
// but it keeps the struct layout the one the library was built with.
#ifndef LINUX
#define LINUX
#endif
#include "frames.h"

#include <intel-ipsec-mb.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace softwire::trafgen {
namespace {

constexpr size_t kEthernet = 14;
constexpr size_t kEspHeader = 8;  // SPI, sequence number
constexpr size_t kIv = 8;         // RFC 4106 explicit IV
constexpr size_t kIcv = 16;
constexpr size_t kUdp = 8;
constexpr size_t kL2tp = 6;  // flags/version, tunnel id, session id (no L, S, O)
constexpr size_t kPpp = 4;   // ff 03 + protocol
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoEsp = 50;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

uint8_t* put_ethernet(uint8_t* p, const Mac& dst, const Mac& src, Family family) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  put16(p + 12, family == Family::kV4 ? 0x0800 : 0x86dd);
  return p + kEthernet;
}

// IPv4 header without options: DF, TTL 64, ID 0 (RFC 6864: DF datagrams
// need no unique ID), header checksum filled in.
void put_ipv4(uint8_t* p, size_t total, uint8_t proto, const V4& src, const V4& dst) {
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, static_cast<uint16_t>(total));
  put16(p + 4, 0);
  put16(p + 6, 0x4000);
  p[8] = 64;
  p[9] = proto;
  put16(p + 10, 0);
  std::memcpy(p + 12, src.data(), 4);
  std::memcpy(p + 16, dst.data(), 4);
  put16(p + 10, static_cast<uint16_t>(~checksum_fold(checksum_add(0, {p, 20}))));
}

void put_ipv6(uint8_t* p, size_t payload, uint8_t next, const V6& src, const V6& dst) {
  put32(p, 0x60000000u);
  put16(p + 4, static_cast<uint16_t>(payload));
  p[6] = next;
  p[7] = 64;
  std::memcpy(p + 8, src.data(), 16);
  std::memcpy(p + 24, dst.data(), 16);
}

// Pseudo-header sum (RFC 768 / RFC 8200 §8.1) for UDP.
uint64_t pseudo_sum(std::span<const uint8_t> src, std::span<const uint8_t> dst, size_t udp_len) {
  return checksum_add(checksum_add(0, src), dst) + udp_len + kProtoUdp;
}

// UDP's transmitted form of a computed checksum: 0 means "none", so 0xffff.
uint16_t udp_checksum(uint64_t sum) {
  const uint16_t c = static_cast<uint16_t>(~checksum_fold(sum));
  return c == 0 ? 0xffff : c;
}

struct alignas(64) KeyData {
  gcm_key_data key;
};
struct alignas(64) ContextData {
  gcm_context_data ctx;
};

}  // namespace

uint64_t checksum_add(uint64_t sum, std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  // Four 16-bit words at a time; the caller's sum has room for ~2^32 rounds.
  while (n >= 8) {
    sum += (uint64_t{p[0]} << 8 | p[1]) + (uint64_t{p[2]} << 8 | p[3]) +
           (uint64_t{p[4]} << 8 | p[5]) + (uint64_t{p[6]} << 8 | p[7]);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    sum += uint64_t{p[0]} << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n == 1) sum += uint64_t{p[0]} << 8;
  return sum;
}

uint16_t checksum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

struct FrameBuilder::Crypto {
  IMB_MGR* mgr = nullptr;
  bool aes256 = false;
  bool cached = false;
  std::vector<uint8_t> raw;  // per SA pair: AES key || salt
  size_t raw_stride = 0;
  std::vector<KeyData> keys;  // expanded per SA, or one scratch entry
  ContextData ctx;

  ~Crypto() {
    if (mgr != nullptr) free_mb_mgr(mgr);
  }

  void expand(const uint8_t* aes_key, KeyData& out) const {
    if (aes256) {
      IMB_AES256_GCM_PRE(mgr, aes_key, &out.key);
    } else {
      IMB_AES128_GCM_PRE(mgr, aes_key, &out.key);
    }
  }

  const gcm_key_data& key(uint32_t k) {
    if (cached) return keys[k].key;
    expand(&raw[k * raw_stride], keys[0]);
    return keys[0].key;
  }

  const uint8_t* salt(uint32_t k) const { return &raw[k * raw_stride + (aes256 ? 32 : 16)]; }

  // In place: data[0, len) becomes ciphertext, the tag goes to data + len.
  void encrypt(uint32_t k, uint8_t* data, size_t len, const uint8_t iv[12], const uint8_t aad[8]) {
    const gcm_key_data& kd = key(k);
    if (aes256) {
      IMB_AES256_GCM_ENC(mgr, &kd, &ctx.ctx, data, data, len, iv, aad, 8, data + len, kIcv);
    } else {
      IMB_AES128_GCM_ENC(mgr, &kd, &ctx.ctx, data, data, len, iv, aad, 8, data + len, kIcv);
    }
  }
};

FrameBuilder::FrameBuilder(const Options& options) : options_(options), frame_(2048 + 64) {
  const size_t ip = options.inner == Family::kV4 ? 20 : 40;
  payload_.resize(options.inner_size - ip - kUdp);
  for (size_t j = 0; j < payload_.size(); ++j) payload_[j] = static_cast<uint8_t>(j);
  payload_sum_ = checksum_add(0, payload_);

  if (options.direction != Direction::kUp) return;
  crypto_ = std::make_unique<Crypto>();
  Crypto& c = *crypto_;
  c.mgr = alloc_mb_mgr(0);
  if (c.mgr == nullptr) throw std::runtime_error("intel-ipsec-mb: alloc_mb_mgr failed");
  init_mb_mgr_auto(c.mgr, nullptr);
  if (int err = imb_get_errno(c.mgr); err != 0) {
    throw std::runtime_error(std::string("intel-ipsec-mb: ") + imb_get_strerror(err));
  }
  c.aes256 = options.aes256;
  c.raw_stride = (options.aes256 ? 32 : 16) + 4;
  c.raw.resize(size_t{options.sas} * c.raw_stride);
  for (uint32_t k = 0; k < options.sas; ++k) {
    const std::vector<uint8_t> key = sa_key(options.seed, spi_in(k), options.aes256);
    std::memcpy(&c.raw[k * c.raw_stride], key.data(), key.size());
  }
  c.cached = options.sas <= kMaxCachedKeys;
  c.keys.resize(c.cached ? options.sas : 1);
  if (c.cached) {
    for (uint32_t k = 0; k < options.sas; ++k) c.expand(&c.raw[k * c.raw_stride], c.keys[k]);
  }
  next_seq_.assign(options.sas, 0);
}

FrameBuilder::~FrameBuilder() = default;

std::span<const uint8_t> FrameBuilder::build(uint64_t index) {
  const auto session = static_cast<uint32_t>(index % options_.sessions);
  return options_.direction == Direction::kUp ? build_up(session) : build_down(session);
}

size_t FrameBuilder::write_inner(uint8_t* at, uint32_t session) const {
  const bool up = options_.direction == Direction::kUp;
  const size_t total = options_.inner_size;
  uint8_t* udp;
  uint64_t sum;
  if (options_.inner == Family::kV4) {
    const V4 host = session_v4_host(session);
    const V4& src = up ? host : kPeerV4;
    const V4& dst = up ? kPeerV4 : host;
    put_ipv4(at, total, kProtoUdp, src, dst);
    udp = at + 20;
    sum = pseudo_sum(src, dst, total - 20);
  } else {
    const V6 host = session_v6_host(session);
    const V6& src = up ? host : kPeerV6;
    const V6& dst = up ? kPeerV6 : host;
    put_ipv6(at, total - 40, kProtoUdp, src, dst);
    udp = at + 40;
    sum = pseudo_sum(src, dst, total - 40);
  }
  const size_t udp_len = kUdp + payload_.size();
  put16(udp, kInnerPort);
  put16(udp + 2, kInnerPort);
  put16(udp + 4, static_cast<uint16_t>(udp_len));
  std::memcpy(udp + kUdp, payload_.data(), payload_.size());
  sum += uint64_t{kInnerPort} * 2 + udp_len + payload_sum_;
  put16(udp + 6, udp_checksum(sum));
  return total;
}

std::span<const uint8_t> FrameBuilder::build_down(uint32_t session) {
  uint8_t* p = put_ethernet(frame_.data(), kCoreMac, kCoreGatewayMac, options_.inner);
  const size_t inner = write_inner(p, session);
  return {frame_.data(), kEthernet + inner};
}

std::span<const uint8_t> FrameBuilder::build_up(uint32_t session) {
  const uint32_t k = sa_of_session(options_, session);
  const uint32_t spi = spi_in(k);
  const uint32_t seq = ++next_seq_[k];
  const bool v4 = options_.outer == Family::kV4;
  const size_t outer = v4 ? 20 : 40;

  uint8_t* ip = put_ethernet(frame_.data(), kAccessMac, kAccessGatewayMac, options_.outer);
  uint8_t* esp = ip + outer;
  put32(esp, spi);
  put32(esp + 4, seq);
  uint8_t* iv = esp + kEspHeader;  // the 64-bit sequence number: unique per key
  put32(iv, 0);
  put32(iv + 4, seq);

  // ESP payload: UDP / L2TP / PPP / inner.
  uint8_t* udp = iv + kIv;
  const size_t udp_len = kUdp + kL2tp + kPpp + options_.inner_size;
  put16(udp, kL2tpPort);
  put16(udp + 2, kL2tpPort);
  put16(udp + 4, static_cast<uint16_t>(udp_len));
  put16(udp + 6, 0);
  uint8_t* l2tp = udp + kUdp;
  put16(l2tp, 0x0002);  // data message, version 2, no optional fields
  put16(l2tp + 2, tunnel_id(session));
  put16(l2tp + 4, session_id(session));
  uint8_t* ppp = l2tp + kL2tp;
  ppp[0] = 0xff;
  ppp[1] = 0x03;
  put16(ppp + 2, options_.inner == Family::kV4 ? 0x0021 : 0x0057);
  write_inner(ppp + kPpp, session);

  // Trailer: monotonic padding to a 4-byte boundary (RFC 4303 §2.4).
  const size_t pad = (4 - (udp_len + 2) % 4) % 4;
  uint8_t* trailer = udp + udp_len;
  for (size_t j = 0; j < pad; ++j) trailer[j] = static_cast<uint8_t>(j + 1);
  trailer[pad] = static_cast<uint8_t>(pad);
  trailer[pad + 1] = kProtoUdp;
  const size_t plaintext = udp_len + pad + 2;
  const size_t esp_len = kEspHeader + kIv + plaintext + kIcv;

  if (v4) {
    const V4 si = si_v4(k);
    put_ipv4(ip, outer + esp_len, kProtoEsp, si, kAccessV4);
  } else {
    // UDP over IPv6 needs a checksum (RFC 8200 §8.1); over IPv4 0 is allowed.
    const V6 si = si_v6(k);
    put_ipv6(ip, esp_len, kProtoEsp, si, kAccessV6);
    put16(udp + 6,
          udp_checksum(pseudo_sum(si, kAccessV6, udp_len) + checksum_add(0, {udp, udp_len})));
  }

  uint8_t nonce[12];
  std::memcpy(nonce, crypto_->salt(k), 4);
  std::memcpy(nonce + 4, iv, kIv);
  crypto_->encrypt(k, udp, plaintext, nonce, esp);
  return {frame_.data(), kEthernet + outer + esp_len};
}

}  // namespace softwire::trafgen
