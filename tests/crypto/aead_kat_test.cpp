// Known-answer tests of the AEAD engine against published vectors, and the
// engine's contract: statuses, bursts of any length, key wipe.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "crypto/aead_engine.h"

namespace softwire::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(std::string_view s) {
  Bytes out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;  // spaces between groups
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits";
  return out;
}

Bytes cat(const Bytes& a, const Bytes& b) {
  Bytes r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

AeadAlg gcm_for(size_t key_len) {
  return key_len == 16 ? AeadAlg::aes128_gcm : AeadAlg::aes256_gcm;
}

// ---------------------------------------------------------------------------
// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B:
// test cases 1-4 (AES-128) and 13-16 (AES-256). They use 96-bit IVs, which
// map onto RFC 4106's nonce as salt (first 4 bytes) || explicit IV (last 8).
// Cases 5-6 and 17-18 use 64-bit and 480-bit (60-byte) IVs, which go through
// GHASH to form the initial counter; ESP's nonce is always exactly
// salt || 8-byte IV = 96 bits (RFC 4106 §4), so those cases cannot occur.

struct GcmCase {
  const char* name;
  const char* key;
  const char* iv;  // 96 bits
  const char* aad;
  const char* pt;
  const char* ct;
  const char* tag;
};

constexpr const char* kMvKey = "feffe9928665731c6d6a8f9467308308";
constexpr const char* kMvIv = "cafebabefacedbaddecaf888";
constexpr const char* kMvPt64 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kMvPt60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kMvAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

const GcmCase kMcGrewViega[] = {
    {"case1", "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"case2", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"case3", kMvKey, kMvIv, "", kMvPt64,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"case4", kMvKey, kMvIv, kMvAad, kMvPt60,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"case13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", kMvIv, "",
     kMvPt64,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", kMvIv, kMvAad,
     kMvPt60,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

class AeadKat : public ::testing::Test {
 protected:
  AeadEngine engine;
};

TEST_F(AeadKat, ArchIsChosen) {
  EXPECT_NE(engine.arch_name(), "unknown");
  EXPECT_FALSE(engine.describe().empty());
}

TEST_F(AeadKat, McGrewViegaEncryptDecrypt) {
  for (const auto& c : kMcGrewViega) {
    SCOPED_TRACE(c.name);
    const Bytes key = hex(c.key), nonce = hex(c.iv), aad = hex(c.aad), pt = hex(c.pt);
    const Bytes ct = hex(c.ct), tag = hex(c.tag);
    ASSERT_EQ(nonce.size(), kNonceLen);
    const Bytes salt(nonce.begin(), nonce.begin() + 4);
    const Bytes iv(nonce.begin() + 4, nonce.end());
    SaKey sa(gcm_for(key.size()), cat(key, salt), engine);

    Bytes data = pt, out_tag(kTagLen);
    AeadOp op{&sa,
              iv.data(),
              aad.data(),
              data.data(),
              out_tag.data(),
              static_cast<uint32_t>(aad.size()),
              static_cast<uint32_t>(data.size()),
              AeadStatus::error};
    engine.encrypt({&op, 1});
    ASSERT_EQ(op.status, AeadStatus::ok);
    EXPECT_EQ(data, ct);
    EXPECT_EQ(out_tag, tag);

    engine.decrypt({&op, 1});
    ASSERT_EQ(op.status, AeadStatus::ok);
    EXPECT_EQ(data, pt);
  }
}

// ---------------------------------------------------------------------------
// draft-mcgrew-gcm-test-01 ("Test Cases for the use of GCM and GMAC in IPsec
// ESP", §4): complete ESP packets. `seq` has 16 hex digits for an SA with
// extended sequence numbers (high || low; only the low half is on the wire
// and the AAD is SPI || seq_hi || seq_lo), 8 otherwise. `pt` is the payload
// with its ESP trailer (padding, pad length, next header); `packet` is the
// whole ESP packet on the wire: SPI, seq, IV, ciphertext, ICV. The draft's
// AES-192 case (SPI 0000a5f8 with a 24-byte key) is left out: ESP here
// offers AES-128 and AES-256 only.

struct EspCase {
  const char* key;
  const char* nonce;  // salt || IV
  const char* spi;
  const char* seq;
  const char* pt;
  const char* packet;
};

const EspCase kEspPackets[] = {
    {"4c80cdefbb5d10da906ac73c3613a634", "2e443b684956ed7e3b244cfe", "00004321", "8765432100000000",
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f756470037369700963796265726369747902646b00"
     "0021000101020201",
     "00004321000000004956ed7e3b244cfe"
     "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
     "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
     "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "0000a5f8", "0000000a",
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
     "0001000000000000037369700963796265726369747902646b00000100010001",
     "0000a5f80000000afacedbaddecaf888"
     "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
     "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1"
     "83b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "112233440102030405060708",
     "4a2cbfe3", "00000002",
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
     "7002400020bf0000020405b40101040201020201",
     "4a2cbfe3000000020102030405060708"
     "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
     "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
     "15956c96"},
    {"00000000000000000000000000000000", "000000000000000000000000", "00000000", "00000001",
     "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
     "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
     "00000000000000010000000000000000"
     "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
     "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3"
     "f821d496eeb096e98ad2b69e4799c71d"},
    {"3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
     "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
     "42f67e3f101010104e280000a2fca1a3"
     "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917"
     "65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a"
     "e0d731cc978ecafaeae88f00e80d6e48"},
    {"3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "4500001c42a200008001441f406793b6e00000020a00f5ff01020201",
     "42f67e3f101010104e280000a2fca1a3"
     "fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f"
     "35e034be95f112e4e7d05d35"},
    {"abbccddef00112233445566778899aab", "decaf888cafedebaceface74", "00000100", "0000000000000001",
     "4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d5"
     "00004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec95"
     "9b6266c04722b14923010101",
     "0000010000000001cafedebaceface74"
     "18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f"
     "9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c22"
     "6f2127b27db35724e7845d68651f57e65f354f75ff17015769623436"},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "73616c74616e640169766563",
     "17405e67", "156f3126dd0db99b",
     "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602"
     "50101f646d540001",
     "17405e67dd0db99b616e640169766563"
     "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f"
     "f4d3a31ce673119e451626c2415771e3b7eebca614c89b35"},
    {"3de09874b388e6491988d0c3607eae1f", "57690e434e280000a2fca1a3", "42f67e3f", "1010101010101010",
     "45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b"
     "000001e0001e8c18d65759d52284a0352c71475c8880391c764d6e5ee0496b32"
     "5ae270c03899493915010101",
     "42f67e3f101010104e280000a2fca1a3"
     "fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d541828"
     "00cadb0f68d99ef0e0c0c89ae9bea8884e52d65bc1afd0740f742444747b5b39"
     "ab533163aad4550ee5160975cdb608c5769189609763b8e18caa81e2"},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "73616c74616e640169766563",
     "17405e67", "156f3126dd0db99b",
     "636973636f0172756c657301746865016e6574776501646566696e6501746865"
     "746563686e6f6c6f67696573017468617477696c6c01646566696e65746f6d6f"
     "72726f7701020201",
     "17405e67dd0db99b616e640169766563"
     "d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18"
     "d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0"
     "12a49363412364f8c0cac587f249e56b11e24f30e44ccc76"},
    {"7d773d00c144c525ac619d18c84a3f47", "d966426743457e9182443bc6", "335467ae", "ffffffff",
     "01020201",
     "335467aeffffffff43457e9182443bc6"
     "437f866bcb3f699fe9b0822bac961c4504bef270"},
    {"abbccddef00112233445566778899aab", "decaf888cafedebaceface74", "00000100", "0000000000000001",
     "746f016265016f72016e6f7401746f0162650001",
     "0000010000000001cafedebaceface74"
     "29c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f2838"
     "43af8c3e"},
    {"6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961", "7475726e333021696765746d",
     "796b6963", "ffffffffffffffff",
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f707172737401020201",
     "796b6963ffffffff333021696765746d"
     "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
     "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
     "9fb4c053"},
};

// One ESP packet laid out as on the wire, plus the AAD the receiver builds.
struct EspPacket {
  Bytes wire;  // SPI | seq_lo | IV | payload+trailer | ICV
  Bytes aad_scratch;
  size_t payload_len = 0;
  bool esn = false;

  AeadOp op(const SaKey* sa) {
    const uint8_t* aad = esn ? aad_scratch.data() : wire.data();
    return AeadOp{sa,
                  wire.data() + 8,
                  aad,
                  wire.data() + 16,
                  wire.data() + 16 + payload_len,
                  static_cast<uint32_t>(esn ? 12 : 8),
                  static_cast<uint32_t>(payload_len),
                  AeadStatus::error};
  }
};

EspPacket make_packet(const EspCase& c, const Bytes& payload_or_ct) {
  const Bytes nonce = hex(c.nonce), spi = hex(c.spi), seq = hex(c.seq);
  EspPacket p;
  p.esn = seq.size() == 8;
  const Bytes seq_lo(seq.end() - 4, seq.end());
  p.wire = cat(cat(spi, seq_lo), Bytes(nonce.begin() + 4, nonce.end()));
  p.wire = cat(p.wire, payload_or_ct);
  p.payload_len = payload_or_ct.size();
  p.wire.resize(p.wire.size() + kTagLen);
  if (p.esn) p.aad_scratch = cat(spi, seq);  // SPI || seq_hi || seq_lo
  return p;
}

TEST_F(AeadKat, DraftMcGrewEspPacketsOneByOne) {
  int n = 0;
  for (const auto& c : kEspPackets) {
    SCOPED_TRACE("ESP packet #" + std::to_string(++n) + " SPI " + c.spi);
    const Bytes key = hex(c.key), nonce = hex(c.nonce), expected = hex(c.packet);
    SaKey sa(gcm_for(key.size()), cat(key, Bytes(nonce.begin(), nonce.begin() + 4)), engine);

    EspPacket p = make_packet(c, hex(c.pt));
    ASSERT_EQ(p.wire.size(), expected.size());
    AeadOp op = p.op(&sa);
    engine.encrypt({&op, 1});
    ASSERT_EQ(op.status, AeadStatus::ok);
    EXPECT_EQ(p.wire, expected) << "ciphertext or ICV differs";

    // Receive the published packet.
    EspPacket r = make_packet(c, Bytes(expected.begin() + 16, expected.end() - kTagLen));
    std::copy(expected.end() - kTagLen, expected.end(), r.wire.end() - kTagLen);
    AeadOp rop = r.op(&sa);
    engine.decrypt({&rop, 1});
    ASSERT_EQ(rop.status, AeadStatus::ok);
    EXPECT_EQ(Bytes(r.wire.begin() + 16, r.wire.end() - kTagLen), hex(c.pt));
  }
}

// All packets in one burst, mixed key sizes, AAD of 8 and 12 bytes.
TEST_F(AeadKat, DraftMcGrewEspPacketsOneBurst) {
  std::vector<std::unique_ptr<SaKey>> keys;
  std::vector<EspPacket> pkts;
  for (const auto& c : kEspPackets) {
    const Bytes key = hex(c.key), nonce = hex(c.nonce);
    keys.push_back(std::make_unique<SaKey>(
        gcm_for(key.size()), cat(key, Bytes(nonce.begin(), nonce.begin() + 4)), engine));
    pkts.push_back(make_packet(c, hex(c.pt)));
  }
  std::vector<AeadOp> ops;
  for (size_t i = 0; i < pkts.size(); ++i) ops.push_back(pkts[i].op(keys[i].get()));
  engine.encrypt(ops);
  for (size_t i = 0; i < pkts.size(); ++i) {
    EXPECT_EQ(ops[i].status, AeadStatus::ok);
    EXPECT_EQ(pkts[i].wire, hex(kEspPackets[i].packet)) << "packet #" << i + 1;
  }
  engine.decrypt(ops);
  for (size_t i = 0; i < pkts.size(); ++i) {
    EXPECT_EQ(ops[i].status, AeadStatus::ok);
    const Bytes& w = pkts[i].wire;
    EXPECT_EQ(Bytes(w.begin() + 16, w.end() - kTagLen), hex(kEspPackets[i].pt));
  }
}

// A received packet whose ICV, ciphertext or ESN high half is wrong fails
// and does not disturb its neighbours in the burst.
TEST_F(AeadKat, DraftMcGrewTamperedPacketsFail) {
  const EspCase& c = kEspPackets[0];  // ESN
  const Bytes key = hex(c.key), nonce = hex(c.nonce), expected = hex(c.packet);
  SaKey sa(AeadAlg::aes128_gcm, cat(key, Bytes(nonce.begin(), nonce.begin() + 4)), engine);
  const Bytes ct(expected.begin() + 16, expected.end() - kTagLen);

  std::vector<EspPacket> pkts(4, make_packet(c, ct));
  for (auto& p : pkts) std::copy(expected.end() - kTagLen, expected.end(), p.wire.end() - kTagLen);
  pkts[1].wire.back() ^= 0x80;  // ICV
  pkts[2].wire[20] ^= 0x01;     // ciphertext
  pkts[3].aad_scratch[4] ^= 1;  // wrong inferred seq_hi
  std::vector<AeadOp> ops;
  for (auto& p : pkts) ops.push_back(p.op(&sa));
  engine.decrypt(ops);
  EXPECT_EQ(ops[0].status, AeadStatus::ok);
  EXPECT_EQ(ops[1].status, AeadStatus::auth_failed);
  EXPECT_EQ(ops[2].status, AeadStatus::auth_failed);
  EXPECT_EQ(ops[3].status, AeadStatus::auth_failed);
}

// ---------------------------------------------------------------------------
// Engine contract.

TEST_F(AeadKat, InvalidOpsGetErrorOthersProceed) {
  const Bytes keymat = hex("feffe9928665731c6d6a8f9467308308cafebabe");
  SaKey gcm(AeadAlg::aes128_gcm, keymat, engine);
  SaKey gmac(AeadAlg::aes128_gmac, keymat, engine);
  const Bytes iv = hex("facedbaddecaf888");
  Bytes buf(64, 0x5a), tag(kTagLen), aad(8, 1);

  std::vector<AeadOp> ops(
      7, AeadOp{&gcm, iv.data(), aad.data(), buf.data(), tag.data(), 8, 64, AeadStatus::ok});
  ops[1].key = nullptr;
  ops[2].iv = nullptr;
  ops[3].len = kMaxDataLen + 1;
  ops[4].aad_len = kMaxAadLen + 1;
  ops[5].key = &gmac;  // GMAC with aad not contiguous with data
  engine.encrypt(ops);
  EXPECT_EQ(ops[0].status, AeadStatus::ok);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(ops[i].status, AeadStatus::error) << i;
  EXPECT_EQ(ops[6].status, AeadStatus::ok);
}

TEST_F(AeadKat, EmptySpanIsFine) {
  engine.encrypt({});
  engine.decrypt({});
}

// Spans longer than one intel-ipsec-mb burst are chunked; every op is done.
TEST_F(AeadKat, LongSpansAreChunked) {
  const EspCase& c = kEspPackets[1];
  const Bytes key = hex(c.key), nonce = hex(c.nonce);
  SaKey sa(AeadAlg::aes128_gcm, cat(key, Bytes(nonce.begin(), nonce.begin() + 4)), engine);
  for (size_t n : {AeadEngine::kBurst - 1, AeadEngine::kBurst, AeadEngine::kBurst + 1,
                   3 * AeadEngine::kBurst + 7}) {
    std::vector<EspPacket> pkts(n, make_packet(c, hex(c.pt)));
    std::vector<AeadOp> ops;
    for (auto& p : pkts) ops.push_back(p.op(&sa));
    engine.encrypt(ops);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(ops[i].status, AeadStatus::ok);
      ASSERT_EQ(pkts[i].wire, hex(c.packet)) << i;
    }
  }
}

TEST_F(AeadKat, KeyMaterialLengthIsChecked) {
  EXPECT_THROW(SaKey(AeadAlg::aes128_gcm, Bytes(16), engine), std::invalid_argument);
  EXPECT_THROW(SaKey(AeadAlg::aes256_gcm, Bytes(20), engine), std::invalid_argument);
  EXPECT_NO_THROW(SaKey(AeadAlg::aes256_gmac, Bytes(36), engine));
}

TEST(AeadHelpers, ConstantTimeEqual) {
  const uint8_t a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  uint8_t b[16];
  std::memcpy(b, a, 16);
  EXPECT_TRUE(constant_time_equal(a, b, 16));
  EXPECT_TRUE(constant_time_equal(a, b, 0));
  for (int i = 0; i < 16; ++i) {
    b[i] ^= 0x40;
    EXPECT_FALSE(constant_time_equal(a, b, 16)) << i;
    b[i] ^= 0x40;
  }
}

TEST(AeadHelpers, Names) {
  EXPECT_EQ(alg_name(AeadAlg::aes128_gcm), "aes128gcm16");
  EXPECT_EQ(alg_name(AeadAlg::aes256_gmac), "aes256gmac");
  EXPECT_EQ(key_len(AeadAlg::aes256_gcm), 32u);
  EXPECT_TRUE(is_gmac(AeadAlg::aes128_gmac));
  EXPECT_FALSE(is_gmac(AeadAlg::aes256_gcm));
}

// The destructor must wipe the key schedule. AES round key 0 is the key
// itself, so the raw key bytes are in the object while it lives.
TEST_F(AeadKat, DestructorWipesKey) {
  const Bytes keymat =
      hex("8899aabbccddeeff0011223344556677"
          "0123456789abcdeffedcba9876543210"
          "a1b2c3d4");
  const Bytes key(keymat.begin(), keymat.begin() + 32);
  alignas(SaKey) unsigned char storage[sizeof(SaKey)] = {};
  auto contains = [&](const Bytes& needle) {
    return std::search(storage, storage + sizeof storage, needle.begin(), needle.end()) !=
           storage + sizeof storage;
  };
  auto* sa = new (storage) SaKey(AeadAlg::aes256_gcm, keymat, engine);
  ASSERT_TRUE(contains(Bytes(key.begin(), key.begin() + 16)));
  sa->~SaKey();
  EXPECT_FALSE(contains(Bytes(key.begin(), key.begin() + 8)));
  EXPECT_FALSE(contains(Bytes(key.begin() + 16, key.begin() + 24)));
  EXPECT_FALSE(contains(hex("a1b2c3d4")));  // salt
  // Nothing is left but the algorithm and code path bytes.
  EXPECT_LE(
      std::count_if(storage, storage + sizeof storage, [](unsigned char b) { return b != 0; }), 2);
}

}  // namespace
}  // namespace softwire::crypto
