// Differential test: the engine against python3-cryptography's AESGCM on
// thousands of random cases (gen_aead_vectors.py writes them at build time;
// the file's path is the test's first argument).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "crypto/aead_engine.h"

namespace softwire::crypto {
namespace {

std::string g_vectors_path;

using Bytes = std::vector<uint8_t>;

struct Case {
  AeadAlg alg;
  uint32_t aad_len;
  Bytes keymat;  // key || salt
  Bytes iv, aad, pt, ct, tag;
};

class Reader {
 public:
  explicit Reader(const Bytes& b) : b_(b) {}
  Bytes take(size_t n) {
    if (pos_ + n > b_.size()) throw std::runtime_error("truncated vector file");
    Bytes r(b_.begin() + pos_, b_.begin() + pos_ + n);
    pos_ += n;
    return r;
  }
  uint32_t u32() {
    Bytes v = take(4);
    return v[0] | v[1] << 8 | v[2] << 16 | uint32_t{v[3]} << 24;
  }
  uint8_t u8() { return take(1)[0]; }
  bool done() const { return pos_ == b_.size(); }

 private:
  const Bytes& b_;
  size_t pos_ = 0;
};

std::vector<Case> load() {
  std::ifstream f(g_vectors_path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + g_vectors_path);
  const Bytes all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Reader r(all);
  if (r.take(8) != Bytes{'S', 'W', 'A', 'E', 'A', 'D', '0', '1'}) {
    throw std::runtime_error("bad vector file magic");
  }
  const uint32_t count = r.u32();
  std::vector<Case> cases;
  cases.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Case c;
    c.alg = static_cast<AeadAlg>(r.u8());
    c.aad_len = r.u8();
    const uint32_t len = r.u32();
    Bytes key = r.take(32);
    key.resize(key_len(c.alg));
    const Bytes salt = r.take(4);
    c.keymat = key;
    c.keymat.insert(c.keymat.end(), salt.begin(), salt.end());
    c.iv = r.take(8);
    c.aad = r.take(12);
    c.aad.resize(c.aad_len);
    c.pt = r.take(len);
    if (!is_gmac(c.alg)) c.ct = r.take(len);
    c.tag = r.take(16);
    cases.push_back(std::move(c));
  }
  if (!r.done()) throw std::runtime_error("trailing bytes in vector file");
  return cases;
}

// One packet buffer laid out as the engine's contract asks: aad || data in
// one buffer (required for GMAC, harmless for GCM), then the tag.
struct Buf {
  Bytes mem;
  uint32_t aad_len = 0, len = 0;
  uint8_t* aad() { return mem.data(); }
  uint8_t* data() { return mem.data() + aad_len; }
  uint8_t* tag() { return mem.data() + aad_len + len; }

  static Buf from(const Case& c, const Bytes& payload) {
    Buf b;
    b.aad_len = c.aad_len;
    b.len = static_cast<uint32_t>(payload.size());
    b.mem = c.aad;
    b.mem.insert(b.mem.end(), payload.begin(), payload.end());
    b.mem.resize(b.mem.size() + kTagLen);
    return b;
  }
  AeadOp op(const SaKey* k, const Case& c) {
    return AeadOp{k, c.iv.data(), aad(), data(), tag(), aad_len, len, AeadStatus::error};
  }
  Bytes payload() const { return Bytes(mem.begin() + aad_len, mem.begin() + aad_len + len); }
  Bytes tag_bytes() const { return Bytes(mem.end() - kTagLen, mem.end()); }
};

class AeadDiff : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cases_ = new std::vector<Case>(load());
    engine_ = new AeadEngine();
    keys_ = new std::vector<std::unique_ptr<SaKey>>();
    for (const auto& c : *cases_)
      keys_->push_back(std::make_unique<SaKey>(c.alg, c.keymat, *engine_));
  }
  static void TearDownTestSuite() {
    delete keys_;
    delete engine_;
    delete cases_;
  }
  static std::vector<Case>* cases_;
  static AeadEngine* engine_;
  static std::vector<std::unique_ptr<SaKey>>* keys_;
};

std::vector<Case>* AeadDiff::cases_ = nullptr;
AeadEngine* AeadDiff::engine_ = nullptr;
std::vector<std::unique_ptr<SaKey>>* AeadDiff::keys_ = nullptr;

TEST_F(AeadDiff, VectorFileCoversTheEdges) {
  ASSERT_GE(cases_->size(), 2000u);
  std::vector<bool> seen(9001);
  int algs[4] = {}, aad8 = 0, aad12 = 0;
  for (const auto& c : *cases_) {
    seen[c.pt.size()] = true;
    ++algs[static_cast<int>(c.alg)];
    (c.aad_len == 8 ? aad8 : aad12)++;
  }
  for (size_t n : {0, 1, 15, 16, 17, 63, 64, 65, 1420, 9000}) EXPECT_TRUE(seen[n]) << n;
  for (int a : algs) EXPECT_GT(a, 100);
  EXPECT_GT(aad8, 500);
  EXPECT_GT(aad12, 500);
}

// Encrypt in mixed bursts (all algorithms, odd burst sizes that straddle the
// engine's internal chunk), compare with Python, then decrypt back.
TEST_F(AeadDiff, EncryptMatchesPythonAndDecryptRoundTrips) {
  const auto& cases = *cases_;
  size_t mismatches = 0;
  for (size_t start = 0; start < cases.size();) {
    const size_t n = std::min<size_t>(cases.size() - start, 1 + (start * 7919) % 300);
    std::vector<Buf> bufs;
    std::vector<AeadOp> ops;
    for (size_t i = 0; i < n; ++i) bufs.push_back(Buf::from(cases[start + i], cases[start + i].pt));
    for (size_t i = 0; i < n; ++i)
      ops.push_back(bufs[i].op((*keys_)[start + i].get(), cases[start + i]));
    engine_->encrypt(ops);
    for (size_t i = 0; i < n; ++i) {
      const Case& c = cases[start + i];
      SCOPED_TRACE("case " + std::to_string(start + i) + " alg " + std::string(alg_name(c.alg)) +
                   " len " + std::to_string(c.pt.size()) + " aad " + std::to_string(c.aad_len));
      ASSERT_EQ(ops[i].status, AeadStatus::ok);
      // GMAC leaves the data as it is.
      const Bytes& want = is_gmac(c.alg) ? c.pt : c.ct;
      if (bufs[i].payload() != want || bufs[i].tag_bytes() != c.tag) ++mismatches;
      EXPECT_EQ(bufs[i].payload(), want);
      EXPECT_EQ(bufs[i].tag_bytes(), c.tag);
    }
    engine_->decrypt(ops);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(ops[i].status, AeadStatus::ok) << "case " << start + i;
      EXPECT_EQ(bufs[i].payload(), cases[start + i].pt) << "case " << start + i;
    }
    start += n;
  }
  EXPECT_EQ(mismatches, 0u);
}

// Every received case altered in one place must fail: each of the 16 tag
// bytes, one ciphertext (GMAC: data) bit, one AAD bit. The untouched copy in
// the same burst must still pass.
TEST_F(AeadDiff, TamperedTagCiphertextAndAadFail) {
  const auto& cases = *cases_;
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    const SaKey* key = (*keys_)[ci].get();
    const Bytes& received = is_gmac(c.alg) ? c.pt : c.ct;
    std::vector<Buf> bufs;
    for (int v = 0; v < 19; ++v) {
      Buf b = Buf::from(c, received);
      std::copy(c.tag.begin(), c.tag.end(), b.tag());
      if (v < 16) {
        b.tag()[v] ^= static_cast<uint8_t>(1u << (v % 8));
      } else if (v == 16) {
        if (b.len == 0) continue;
        b.data()[(ci * 31) % b.len] ^= 0x10;
      } else if (v == 17) {
        b.aad()[ci % c.aad_len] ^= 0x01;
      }  // v == 18: intact
      bufs.push_back(std::move(b));
    }
    std::vector<AeadOp> ops;
    for (auto& b : bufs) ops.push_back(b.op(key, c));
    engine_->decrypt(ops);
    for (size_t i = 0; i + 1 < ops.size(); ++i) {
      ASSERT_EQ(ops[i].status, AeadStatus::auth_failed) << "case " << ci << " variant " << i;
    }
    ASSERT_EQ(ops.back().status, AeadStatus::ok) << "case " << ci;
  }
}

}  // namespace
}  // namespace softwire::crypto

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VECTORS.bin [gtest options]\n", argv[0]);
    return 2;
  }
  softwire::crypto::g_vectors_path = argv[1];
  return RUN_ALL_TESTS();
}
