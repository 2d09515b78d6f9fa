// The crypto engine's algorithm for a configured ESP proposal. Lives here
// because config/ and crypto/ depend on neither each other nor the data plane.
#pragma once

#include <stdexcept>

#include "config/model.h"
#include "crypto/aead_engine.h"

namespace softwire::dp {

inline crypto::AeadAlg aead_alg(config::Proposal p) {
  switch (p) {
    case config::Proposal::kAes128Gcm16:
      return crypto::AeadAlg::aes128_gcm;
    case config::Proposal::kAes256Gcm16:
      return crypto::AeadAlg::aes256_gcm;
    case config::Proposal::kAes128Gmac:
      return crypto::AeadAlg::aes128_gmac;
    case config::Proposal::kAes256Gmac:
      return crypto::AeadAlg::aes256_gmac;
  }
  throw std::logic_error("unknown proposal");
}

}  // namespace softwire::dp
