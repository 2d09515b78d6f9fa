// Helpers the codec tests (tests/dataplane/proto/*_test.cpp) share.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/proto/bytes.h"

namespace softwire::proto {

// An owning copy, for comparing byte strings with EXPECT_EQ and for editing.
inline std::vector<uint8_t> to_vector(ConstBytes bytes) {
  return {bytes.begin(), bytes.end()};
}

// Names each instance of a parameterised test after its case's `name`:
// INSTANTIATE_TEST_SUITE_P(Scapy, SomeTest, ::testing::ValuesIn(kCases), CaseName()).
struct CaseName {
  template <typename Case>
  std::string operator()(const ::testing::TestParamInfo<Case>& info) const {
    return info.param.name;
  }
};

// Calls check(length, cut) for every length shorter than `packet`, where cut
// is a copy of exactly the first `length` bytes so that ASan catches any read
// past its end. Stops, as an ASSERT_* in a loop would, once check has failed
// fatally.
template <typename Check>
void for_each_truncation(ConstBytes packet, Check check) {
  for (size_t length = 0; length < packet.size(); ++length) {
    SCOPED_TRACE(length);
    const std::vector<uint8_t> cut(packet.begin(), packet.begin() + length);
    check(length, ConstBytes(cut));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A packet the parser must reject, and the to_string() of the status it must
// reject it with, from a header written by VectorHeader (vectors_common.py).
struct InvalidCase {
  const char* name;
  ConstBytes packet;
  const char* status;
};

#define INVALID_CASE(ns)                                                      \
  ::softwire::proto::InvalidCase {                                            \
    .name = #ns, .packet = vectors::ns::packet, .status = vectors::ns::status \
  }

}  // namespace softwire::proto
