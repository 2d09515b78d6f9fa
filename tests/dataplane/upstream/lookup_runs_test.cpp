// lookup_runs: one table lookup per run of equal keys, the same values as one
// lookup per key.
#include "dataplane/stages/lookup_runs.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace softwire::dp {
namespace {

// Even keys map to key * 10, odd keys are missing; records what it was asked.
struct FakeTable {
  static constexpr uint32_t kNotFound = UINT32_MAX;
  mutable std::vector<std::vector<uint32_t>> calls;
  uint64_t lookup_bulk(const uint32_t* keys, unsigned n, uint32_t* values) const {
    calls.emplace_back(keys, keys + n);
    for (unsigned i = 0; i < n; ++i) values[i] = keys[i] % 2 == 0 ? keys[i] * 10 : kNotFound;
    return 0;
  }
};

std::vector<uint32_t> run(const FakeTable& table, const std::vector<uint32_t>& keys) {
  std::vector<uint32_t> values(keys.size(), 0);
  lookup_runs(table, keys.data(), static_cast<uint16_t>(keys.size()), values.data());
  return values;
}

TEST(LookupRuns, RunsAreLookedUpOnce) {
  FakeTable t;
  const std::vector<uint32_t> keys = {2, 2, 2, 3, 3, 4, 2, 2};
  const std::vector<uint32_t> expect = {20, 20, 20, FakeTable::kNotFound, FakeTable::kNotFound,
                                        40, 20, 20};
  EXPECT_EQ(run(t, keys), expect);
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0], (std::vector<uint32_t>{2, 3, 4, 2}));
}

TEST(LookupRuns, DistinctKeysGoStraightThrough) {
  FakeTable t;
  EXPECT_EQ(run(t, {6, 7, 8}), (std::vector<uint32_t>{60, FakeTable::kNotFound, 80}));
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0], (std::vector<uint32_t>{6, 7, 8}));
}

TEST(LookupRuns, FullBurstOfOneKey) {
  FakeTable t;
  const std::vector<uint32_t> keys(kMaxBurst, 12);
  EXPECT_EQ(run(t, keys), std::vector<uint32_t>(kMaxBurst, 120));
  ASSERT_EQ(t.calls.size(), 1u);
  EXPECT_EQ(t.calls[0], std::vector<uint32_t>{12});
}

TEST(LookupRuns, Same16ComparesEveryByte) {
  uint8_t a[16] = {}, b[16] = {};
  EXPECT_TRUE(same_16(a, b));
  for (int i = 0; i < 16; ++i) {
    b[i] = 1;
    EXPECT_FALSE(same_16(a, b)) << i;
    b[i] = 0;
  }
}

}  // namespace
}  // namespace softwire::dp
