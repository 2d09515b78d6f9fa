// Checks the DPDK-backed checksum against a plain RFC 1071 reference on
// arbitrary bytes, chaining over an even split, and incremental updates
// against recomputation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/proto/checksum.h"
#include "fuzz_support.h"

using namespace softwire::proto;

namespace {

// RFC 1071 section 4.1, with a 64-bit accumulator that cannot overflow here.
uint16_t reference_sum(ConstBytes data) {
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += load_be16(data.data() + i);
  if (i < data.size()) sum += uint64_t{data[i]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ConstBytes in(data, size);
  const uint16_t sum = checksum_sum(in);
  FUZZ_CHECK(sum == reference_sum(in));
  FUZZ_CHECK(internet_checksum(in) == static_cast<uint16_t>(~sum));

  if (size >= 2) {
    const size_t split = (data[0] * 2u) % size & ~size_t{1};
    FUZZ_CHECK(checksum_sum(in.subspan(split), checksum_sum(in.first(split))) == sum);
  }

  // Checksum the data with its first word as the checksum field, then change
  // the word at the offset the next two bytes pick and update incrementally.
  if (size >= 6) {
    std::vector<uint8_t> block(size + size % 2, 0);  // whole words
    std::copy_n(data, size, block.begin());
    store_be16(block.data(), 0);
    store_be16(block.data(), internet_checksum(block));
    FUZZ_CHECK(checksum_ok(block));
    const size_t offset = 2 + 2 * (load_be16(data + 2) % ((block.size() - 2) / 2));
    const uint16_t old_word = load_be16(block.data() + offset);
    const uint16_t new_word = load_be16(data + 4);
    store_be16(block.data() + offset, new_word);
    store_be16(block.data(), checksum_update16(load_be16(block.data()), old_word, new_word));
    // Only an all-zero block cannot verify: its sum is +0, not -0.
    bool all_zero = true;
    for (const uint8_t byte : block) all_zero &= byte == 0;
    FUZZ_CHECK(checksum_ok(block) || all_zero);
  }
  return 0;
}
